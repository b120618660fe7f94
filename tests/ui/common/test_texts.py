"""Every user-visible string goes through tr(): a scan of desktop/amends/ui for
string literals handed straight to the Qt calls that show text."""

from __future__ import annotations

import ast
import re
from pathlib import Path

UI = Path(__file__).resolve().parents[3] / "desktop" / "amends" / "ui"
#: Calls whose first argument is shown to the person.
SHOWN = {"setText", "setWindowTitle", "setPlaceholderText", "setToolTip", "setLabelText", "addTab", "setTitle",
         "QLabel", "QPushButton", "QCheckBox", "QRadioButton", "QGroupBox", "QAction", "addRow", "addMenu",
         "setAccessibleName", "setAccessibleDescription", "addButton", "showMessage", "QMessageBox"}


def _name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _words(text: str) -> bool:
    """Words a person reads (markup and entities aside)."""
    return re.search(r"[A-Za-z]{3,}", re.sub(r"<[^>]*>|&\w+;", " ", text)) is not None


def _plain_literal(node: ast.AST) -> bool:
    """A str literal or f-string with words in it (not "", "⚠ ", "—" or "{0}")."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return _words(node.value)
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.Constant) and _words(str(v.value)) for v in node.values)
    return False


def untranslated() -> list[str]:
    found = []
    for path in sorted(UI.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node) in SHOWN:
                args = node.args[1:] if _name(node) in ("addTab",) else node.args
                args = [a for a in args if not isinstance(a, ast.Starred)]
                for arg in args[:3]:
                    if _plain_literal(arg):
                        found.append(f"{path.name}:{node.lineno}: {_name(node)}({ast.unparse(arg)})")
    return found


def test_every_shown_literal_goes_through_tr():
    assert untranslated() == []


def test_the_scan_finds_an_untranslated_literal(tmp_path):
    """The scan itself must be able to fail."""
    (tmp_path / "bad.py").write_text('label.setText("Hello there")\nlabel.setText(self.tr("Fine"))\n'
                                     'label.setText(f"<b>{n}</b>")\n')
    globals()["UI"], old = tmp_path, UI
    try:
        assert untranslated() == ["bad.py:1: setText('Hello there')"]
    finally:
        globals()["UI"] = old


def test_qt_texts_follow_the_locale(qapp):
    from amends.ui.common import translations
    from PySide6.QtCore import QCoreApplication, QLocale

    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Cancel"
    translator = translations.install(qapp, QLocale("de_DE"))
    try:
        assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Abbrechen"
    finally:
        if translator is not None:
            qapp.removeTranslator(translator)
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Cancel", "removed again for the next tests"
