"""The one-folder build (packaging/build.sh + freeze.py) is too slow for
the suite (minutes); these fast checks cover what can go wrong without
building: it stays one-folder and cross-platform, leaves out exactly the
Qt modules and plugins the app does not use, and the script smoke-tests
what the issue asks for."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "packaging" / "build.sh"
sys.path.insert(0, str(ROOT / "packaging"))
import freeze  # noqa: E402  (packaging/freeze.py imports cx_Freeze only when it builds)


def test_the_build_leaves_out_the_qt_modules_the_app_does_not_import() -> None:
    used = freeze.qt_modules_used()
    imported = set()
    for source in (ROOT / "desktop" / "amends").rglob("*.py"):
        imported |= set(re.findall(r"^\s*(?:from|import) PySide6\.(Qt\w+)", source.read_text(encoding="utf-8"), re.M))
    assert imported <= used and {"QtCore", "QtGui", "QtWidgets", "QtSvg"} <= used
    left_out = set(freeze.qt_modules_left_out())
    assert {"PySide6.QtQuick", "PySide6.QtQml", "PySide6.QtNetwork", "PySide6.QtOpenGL"} <= left_out
    assert not {f"PySide6.{name}" for name in used} & left_out


def test_the_build_drops_unused_qt_plugins_on_every_platform_and_keeps_the_needed_ones(tmp_path: Path) -> None:
    dropped = ["lib/PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so",
               "lib/PySide6/Qt/lib/libQt6Quick.so.6", "lib/PySide6/Qt/lib/libQt6QmlModels.so.6",
               "lib/PySide6/Qt/plugins/imageformats/libqpdf.so", "lib/PySide6/Qt/plugins/platforms/libqvnc.so",
               "lib/PySide6/Qt6Quick.dll", "lib/PySide6/plugins/platforminputcontexts/qtvirtualkeyboardplugin.dll",
               "lib/PySide6/Qt/lib/QtQuick.framework/Versions/A/QtQuick",
               "lib/PySide6/Qt/plugins/generic/libqtuiotouchplugin.so"]
    kept = ["lib/PySide6/Qt/lib/libQt6Gui.so.6", "lib/PySide6/Qt/lib/libQt6Widgets.so.6",
            "lib/PySide6/Qt/lib/libQt6Svg.so.6", "lib/PySide6/Qt/plugins/platforms/libqxcb.so",
            "lib/PySide6/Qt/plugins/platforms/libqwayland.so", "lib/PySide6/Qt/plugins/platforms/libqoffscreen.so",
            "lib/PySide6/plugins/platforms/qwindows.dll", "lib/PySide6/Qt/plugins/platforms/libqcocoa.dylib",
            "lib/PySide6/Qt/plugins/imageformats/libqsvg.so", "lib/PySide6/Qt/plugins/iconengines/libqsvgicon.so",
            "lib/PySide6/Qt/lib/QtGui.framework/Versions/A/QtGui", "lib/PySide6/Qt/translations/qtbase_de.qm",
            "lib/amends/resources/icons/amends.svg", "lib/amends/ui/shell/smoke.py", "amends"]
    for name in dropped + kept:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    assert freeze.drop_unused(tmp_path) == len(dropped)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()) == sorted(kept)


def test_the_build_is_one_folder_with_windows_and_macos_icons() -> None:
    source = (ROOT / "packaging" / "freeze.py").read_text(encoding="utf-8")
    assert "build_exe" in source and "bdist_mac" in source and "onefile" not in source.lower()
    assert 'icon("ico")' in source and 'icon("icns")' in source and 'base="gui"' in source
    assert '"packages": ["amends"]' in source, "the package travels as files, with its resources"


def test_build_script_smoke_tests_what_the_issue_asks() -> None:
    script = BUILD.read_text(encoding="utf-8")
    assert script.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in script
    assert "packaging/freeze.py" in script and "packaging/icons.py" in script
    for step in ("--version", "AMENDS_SMOKE_TEST=1", "QT_QPA_PLATFORM=offscreen", "qt_de_cancel=Abbrechen",
                 "icons=6/6 app_icon=yes", "window=shown", "qtbase_de.qm", "mktemp -d", "AMENDS_STARTUP_PROBE=1",
                 "lib/amends/resources/icons/ui", "panes=4"):
        assert step in script, f"build.sh does not check {step}"
