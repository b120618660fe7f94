"""The one-folder build (packaging/build.sh + amends.spec) is too slow for
the suite (minutes); these fast checks cover what can go wrong without
building: the spec stays one-folder and cross-platform, leaves out exactly
the Qt modules and plugins the app does not use, and the script smoke-tests
what the issue asks for."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "packaging" / "amends.spec"
BUILD = ROOT / "packaging" / "build.sh"


def _spec_namespace() -> dict:
    """The spec's imports, helper functions and constants, without running
    PyInstaller's Analysis (not installed in the test venv)."""
    tree = ast.parse(SPEC.read_text(encoding="utf-8"))
    keep = [node for node in tree.body if (isinstance(node, ast.Import | ast.ImportFrom | ast.FunctionDef) and
            "PyInstaller" not in ast.unparse(node)) or
            (isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "UNUSED" for t in node.targets))]
    namespace: dict = {"root": ROOT}
    exec(compile(ast.Module(body=keep, type_ignores=[]), str(SPEC), "exec"), namespace)
    return namespace


def test_the_spec_leaves_out_the_qt_modules_the_app_does_not_import() -> None:
    spec = _spec_namespace()
    used = spec["qt_modules_used"]()
    imported = set()
    for source in (ROOT / "desktop" / "amends").rglob("*.py"):
        imported |= set(re.findall(r"^\s*(?:from|import) PySide6\.(Qt\w+)", source.read_text(encoding="utf-8"), re.M))
    assert imported <= used and {"QtCore", "QtGui", "QtWidgets", "QtSvg"} <= used
    left_out = set(spec["qt_modules_left_out"]())
    assert {"PySide6.QtQuick", "PySide6.QtQml", "PySide6.QtNetwork", "PySide6.QtOpenGL"} <= left_out
    assert not {f"PySide6.{name}" for name in used} & left_out


def test_the_spec_drops_unused_qt_plugins_on_every_platform_and_keeps_the_needed_ones() -> None:
    unused = _spec_namespace()["UNUSED"]
    dropped = ["PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so",
               "PySide6/Qt/lib/libQt6Quick.so.6", "PySide6/Qt/lib/libQt6QmlModels.so.6",
               "PySide6/Qt/plugins/imageformats/libqpdf.so", "PySide6/Qt/plugins/platforms/libqvnc.so",
               "PySide6/Qt6Quick.dll", "PySide6/plugins/platforminputcontexts/qtvirtualkeyboardplugin.dll",
               "PySide6/Qt/lib/QtQuick.framework/Versions/A/QtQuick", "PySide6/Qt/plugins/generic/libqtuiotouchplugin.so"]
    kept = ["PySide6/Qt/lib/libQt6Gui.so.6", "PySide6/Qt/lib/libQt6Widgets.so.6", "PySide6/Qt/lib/libQt6Svg.so.6",
            "PySide6/Qt/plugins/platforms/libqxcb.so", "PySide6/Qt/plugins/platforms/libqwayland.so",
            "PySide6/Qt/plugins/platforms/libqoffscreen.so", "PySide6/plugins/platforms/qwindows.dll",
            "PySide6/Qt/plugins/platforms/libqcocoa.dylib", "PySide6/Qt/plugins/imageformats/libqsvg.so",
            "PySide6/Qt/plugins/iconengines/libqsvgicon.so", "PySide6/Qt/lib/QtGui.framework/Versions/A/QtGui",
            "PySide6/Qt/translations/qtbase_de.qm", "amends/resources/icons/amends.svg"]
    assert [name for name in dropped if not unused.search(name)] == []
    assert [name for name in kept if unused.search(name)] == []


def test_the_spec_is_one_folder_and_has_windows_and_macos_icons() -> None:
    spec = SPEC.read_text(encoding="utf-8")
    assert "COLLECT(" in spec and "exclude_binaries=True" in spec, "one-folder: binaries beside the program"
    assert "onefile" not in spec.lower()
    assert '"amends.ico"' in spec and '"amends.icns"' in spec and "BUNDLE(" in spec
    assert 'collect_data_files("amends")' in spec, "the resources travel as the package's data"


def test_build_script_smoke_tests_what_the_issue_asks() -> None:
    script = BUILD.read_text(encoding="utf-8")
    assert script.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in script
    assert "--onefile" not in script and "packaging/amends.spec" in script
    assert "packaging/icons.py" in script, "the .ico/.icns come from the SVG before PyInstaller runs"
    for step in ('--version', "AMENDS_SMOKE_TEST=1", "QT_QPA_PLATFORM=offscreen", "qt_de_cancel=Abbrechen",
                 "icons=6/6 app_icon=yes", "window=shown", "qtbase_de.qm", "mktemp -d", "AMENDS_STARTUP_PROBE=1"):
        assert step in script, f"build.sh does not check {step}"
