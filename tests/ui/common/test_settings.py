"""One typed settings schema: every QSettings key and environment variable
is declared once (amends/settings_schema.py), and only ui/common/settings.py
talks to QSettings."""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

from amends import settings_schema as schema
from amends.ui.common import settings

PACKAGE = Path(__file__).resolve().parents[3] / "desktop" / "amends"
GATE = PACKAGE / "ui" / "common" / "settings.py"


@lru_cache(maxsize=8)
def parsed(root: Path) -> tuple[tuple[Path, tuple[ast.AST, ...]], ...]:
    """Every module under ``root`` parsed and walked once for all the scans of
    this file (parsing the package was most of their time, three times over)."""
    return tuple((path, tuple(ast.walk(ast.parse(path.read_text(encoding="utf-8")))))
                 for path in sorted(root.rglob("*.py")))


def qsettings_users(root: Path = PACKAGE, gate: Path = GATE) -> list[str]:
    """Modules other than the gate that name QSettings (to read or write a key)."""
    found = []
    for path, nodes in parsed(root):
        if path == gate:
            continue
        for node in nodes:
            named = (isinstance(node, ast.Name) and node.id == "QSettings") or \
                    (isinstance(node, ast.Attribute) and node.attr == "QSettings") or \
                    (isinstance(node, ast.alias) and node.name == "QSettings")
            if named:
                found.append(f"{path.relative_to(root)}:{getattr(node, 'lineno', '?')}")
    return found


def environment_reads(root: Path = PACKAGE) -> set[str]:
    """Every ``os.environ.get("X")`` / ``os.environ["X"]`` / ``os.getenv("X")`` with a literal name."""
    names = set()
    for _path, nodes in parsed(root):
        for node in nodes:
            # the attr tests only skip unparsing nodes that cannot match (unparse was the cost)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args \
                    and node.func.attr in ("get", "getenv", "setdefault") \
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str) \
                    and (ast.unparse(node.func) in ("os.environ.get", "os.getenv", "os.environ.setdefault")):
                names.add(node.args[0].value)
            if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) \
                    and node.value.attr == "environ" and ast.unparse(node.value) == "os.environ" \
                    and isinstance(node.slice, ast.Constant):
                names.add(node.slice.value)
    return names


def test_only_the_settings_module_names_qsettings():
    assert qsettings_users() == []


def test_the_scan_finds_a_stray_key(tmp_path):
    (tmp_path / "pane.py").write_text("from PySide6.QtCore import QSettings\nQSettings().value('x/y')\n")
    assert qsettings_users(tmp_path, tmp_path / "none.py") == ["pane.py:1", "pane.py:2"]


def test_every_environment_variable_read_is_declared():
    declared = {s.name for s in schema.ALL if s.where == schema.ENVIRONMENT}
    ours = {n for n in environment_reads() if n.startswith("AMENDS_")}
    assert ours and ours <= declared, ours - declared


def test_every_setting_is_declared_once_with_a_type_and_default():
    names = [s.name for s in schema.ALL]
    assert len(names) == len(set(names))
    assert all(isinstance(s.default, s.type) or s.default is None for s in schema.ALL)


def test_reading_and_writing_through_the_schema(qapp, monkeypatch):
    assert settings.get(schema.NOTIFY_FOLLOWUPS) is True
    settings.put(schema.NOTIFY_FOLLOWUPS, False)
    assert settings.get(schema.NOTIFY_FOLLOWUPS) is False
    settings.put(schema.INBOX_SORT, "priority", db="/tmp/a.db")
    assert settings.get(schema.INBOX_SORT, db="/tmp/a.db") == "priority"
    assert settings.get(schema.INBOX_SORT, db="/tmp/b.db") == ""
    monkeypatch.setenv("AMENDS_LOCK_WAIT_SECONDS", "2.5")
    assert schema.environment(schema.AMENDS_LOCK_WAIT_SECONDS) == 2.5


def test_every_amends_variable_named_anywhere_is_declared():
    """Stricter than the literal-read scan: a variable's name kept in a
    constant (location.py's journal mode was) is found too, so nothing reads
    an AMENDS_ variable that the schema does not describe."""
    import re

    declared = {s.name for s in schema.ALL if s.where == schema.ENVIRONMENT}
    named = {m for path in PACKAGE.rglob("*.py")
             for m in re.findall(r"[\"'](AMENDS_[A-Z_]+)[\"']", path.read_text(encoding="utf-8"))}
    assert named and named <= declared, named - declared


def test_only_the_schema_reads_amends_variables():
    """Every AMENDS_ variable is read through settings_schema.environment()
    (typed, stripped, with its declared default); the lock-wait seconds are
    the one raw read: the CLI explains a value that is not a finite number."""
    raw = {n for n in environment_reads() if n.startswith("AMENDS_")}
    assert raw <= {"AMENDS_LOCK_WAIT_SECONDS"}, raw
