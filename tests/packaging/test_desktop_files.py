"""Linux desktop integration: the .desktop entry and the AppStream
metainfo pass Debian's validators, agree with each other, and the app icon
exists at the standard sizes (and as .ico/.icns) generated from its SVG."""

from __future__ import annotations

import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from configparser import ConfigParser
from pathlib import Path

from tests.packaging.tools import tool

ROOT = Path(__file__).resolve().parents[2]
APP_ID = "io.amends.Amends"
DESKTOP = ROOT / "packaging" / f"{APP_ID}.desktop"
METAINFO = ROOT / "packaging" / f"{APP_ID}.metainfo.xml"
sys.path.insert(0, str(ROOT / "packaging"))
import icons  # noqa: E402  (packaging/icons.py: a script, not a package)


def _entry() -> dict[str, str]:
    parser = ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive in desktop files
    parser.read(DESKTOP, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def test_desktop_file_validates() -> None:
    done = subprocess.run([tool("desktop-file-validate"), str(DESKTOP)], capture_output=True, text=True)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def test_metainfo_validates() -> None:
    done = subprocess.run([tool("appstreamcli"), "validate", "--no-net", str(METAINFO)], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    for line in done.stdout.splitlines():  # errors (E:) and warnings (W:) fail; infos are advice
        assert not line.startswith(("E:", "W:")), done.stdout


def test_desktop_entry_and_metainfo_name_the_same_app() -> None:
    entry = _entry()
    assert entry["Icon"] == APP_ID and entry["Exec"].split()[0] == "amends"
    component = ET.parse(METAINFO).getroot()
    assert component.findtext("id") == APP_ID == icons.APP_ID
    assert component.findtext("launchable[@type='desktop-id']") == DESKTOP.name
    developer = component.find("developer")
    assert developer is not None and developer.get("id") and developer.findtext("name"), "no <developer>"
    shots = component.findall("screenshots/screenshot")
    assert shots and sum(shot.get("type") == "default" for shot in shots) == 1
    for shot in shots:
        assert shot.findtext("caption") and (shot.findtext("image") or "").startswith("https://")
    assert component.findtext("provides/binary") == "amends"


def test_the_app_icons_are_generated_from_the_svg(qapp, tmp_path: Path) -> None:
    from PySide6.QtGui import QImage

    written = icons.write_all(tmp_path)
    for size in icons.HICOLOR:
        png = tmp_path / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        image = QImage(str(png))
        assert (image.width(), image.height()) == (size, size), png
        assert image.pixelColor(size // 2, size // 8).alpha() == 255, f"{png} is empty"  # the rounded square
    assert (tmp_path / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").read_bytes() == icons.SOURCE.read_bytes()

    data = (tmp_path / "amends.ico").read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data)
    assert (reserved, kind, count) == (0, 1, len(icons.ICO))
    sides = []
    for index in range(count):
        side, _, _, _, _, _, length, offset = struct.unpack_from("<BBBBHHII", data, 6 + 16 * index)
        assert data[offset:offset + 8] == b"\x89PNG\r\n\x1a\n" and offset + length <= len(data)
        sides.append(side or 256)
    assert sides == sorted(icons.ICO)

    data = (tmp_path / "amends.icns").read_bytes()
    assert data[:4] == b"icns" and struct.unpack_from(">I", data, 4)[0] == len(data)
    position, kinds = 8, []
    while position < len(data):
        kinds.append(data[position:position + 4])
        length = struct.unpack_from(">I", data, position + 4)[0]
        assert data[position + 8:position + 16] == b"\x89PNG\r\n\x1a\n"
        position += length
    assert position == len(data) and kinds == [icons.ICNS[size] for size in sorted(icons.ICNS)]
    assert len(written) == len(icons.HICOLOR) + 3
