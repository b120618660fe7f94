"""cx_Freeze build of the one-folder app (never one file). Run by
packaging/build.sh from an empty working folder (setuptools, under
cx_Freeze, would otherwise read the project's pyproject.toml):

    python packaging/freeze.py build_exe --build-exe DIST/amends   # Linux, Windows
    python packaging/freeze.py bdist_mac                            # macOS: Amends.app

Why cx_Freeze and not PyInstaller: both were built by build.sh (PyInstaller
through a spec with these same rules, in an earlier commit of issue 15's
branch) and measured on this app (Linux, the same Qt modules and plugins
left out, 5,000 tickets, start to the first painted inbox, median of 7
wall-clock starts alternated with the source install on a 2-core machine at
load average ~8):

    cx_Freeze 8.7    173 MB, 59 MB as .tar.gz, bundle/source start 1.03, 1.10, 1.14 (3 builds)
    PyInstaller 6.22 195 MB, 78 MB as .tar.gz, bundle/source start 0.93 (1 build)

(absolute starts 2.3–4.9 s at that load). On start time the two are within
the noise of a loaded machine (issue 15 measured cx_Freeze 216 ms,
PyInstaller 240 ms, a venv 262 ms on a quiet one); on size they are not:
cx_Freeze is 22 MB less to unpack and 19 MB less to download.
PyInstaller also copies the build machine's glib, X11 and harfbuzz into the
folder; cx_Freeze leaves those to the system, which every desktop has.

The same file builds on Windows (amends.exe for the command line and
amendsw.exe without a console, with amends.ico) and macOS (Amends.app with
amends.icns); packaging/icons.py makes the icons into $AMENDS_ICONS first.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ICONS = Path(os.environ.get("AMENDS_ICONS", ROOT / "build" / "icons"))
APP_ID = "io.amends.Amends"

#: Qt plugins the app never loads, and the libraries only they pull in: the
#: virtual keyboard (QtQuick, QtQml: ~20 MB), the PDF image format (QtPdf),
#: framebuffer, VNC and embedded-GL platforms, evdev input. Kept: the xcb,
#: wayland, offscreen and minimal platforms, the Windows and Cocoa ones, the
#: SVG and usual image formats, the GTK and portal platform themes.
UNUSED = re.compile(r"Qt6?(Quick|Qml|VirtualKeyboard|Pdf)|qtvirtualkeyboardplugin|imageformats/(lib)?qpdf"
                    r"|platforms/(lib)?q(eglfs|linuxfb|vnc|minimalegl|vkkhrdisplay)|egldeviceintegrations|"
                    r"plugins/generic/", re.IGNORECASE)


def qt_modules_used() -> set[str]:
    """The PySide6 modules the package imports, read from its source: every
    other Qt module is left out, so the folder carries only what runs (and a
    module a later change starts to use is found without editing this)."""
    used = {"QtCore", "QtGui", "QtWidgets"}
    for source in (ROOT / "desktop" / "amends").rglob("*.py"):
        used |= set(re.findall(r"PySide6\.(Qt[A-Za-z0-9]+)", source.read_text(encoding="utf-8")))
    return used


def qt_modules_left_out() -> list[str]:
    import PySide6

    folder = Path(PySide6.__file__).parent
    names = {path.name.split(".")[0] for path in folder.iterdir()
             if path.name.startswith("Qt") and path.suffix in (".so", ".pyd", ".pyi")}
    return sorted(f"PySide6.{name}" for name in names - qt_modules_used())


def drop_unused(folder: Path) -> int:
    """Delete the unused Qt plugins and libraries under ``folder``."""
    gone = 0
    for path in sorted(folder.rglob("*"), reverse=True):
        relative = path.relative_to(folder).as_posix()
        if path.is_file() and UNUSED.search(relative):
            path.unlink()
            gone += 1
    return gone


def icon(kind: str) -> str | None:
    path = ICONS / f"amends.{kind}"
    return str(path) if path.exists() else None


def main() -> None:
    from cx_Freeze import Executable, setup

    sys.path.insert(0, str(ROOT / "desktop"))
    from amends import __version__

    script = str(ROOT / "desktop" / "amends" / "__main__.py")
    windows = sys.platform == "win32"
    ico = icon("ico") if windows else None
    # `amends` is the command line too (`amends --version`, `amends check` ...):
    # a console program everywhere; Windows gets a windowed twin for Start.
    executables = [Executable(script, base="console", target_name="amends", icon=ico)]
    if windows:
        executables.append(Executable(script, base="gui", target_name="amendsw", icon=ico))
    setup(
        name="Amends", version=__version__, description="Amends support console",
        executables=executables,
        options={
            "build_exe": {
                "packages": ["amends"],  # as files, with amends/resources (read through importlib.resources)
                "excludes": [*qt_modules_left_out(), "tkinter", "unittest", "pydoc_data", "cx_Freeze"],
                "include_msvcr": windows,
                "silent": True,
            },
            "bdist_mac": {"bundle_name": "Amends", "iconfile": icon("icns"),
                          "plist_items": [("CFBundleIdentifier", APP_ID), ("NSHighResolutionCapable", True)]},
        },
    )
    for target in [Path(arg.split("=", 1)[1]) for arg in sys.argv if arg.startswith("--build-exe=")] or \
            [Path("build"), Path("dist")]:
        if target.exists():
            print(f"left out {drop_unused(target)} unused Qt files under {target}")


if __name__ == "__main__":
    main()
