"""The app icon at every size and in every format, from its one SVG source.

    python packaging/icons.py OUT

writes, from ``desktop/amends/resources/icons/amends.svg``:

- ``OUT/hicolor/<N>x<N>/apps/io.amends.Amends.png`` for the freedesktop
  sizes (16 … 512) and ``OUT/hicolor/scalable/apps/io.amends.Amends.svg``:
  the layout of ``/usr/share/icons/hicolor`` that the .desktop file's
  ``Icon=io.amends.Amends`` is looked up in;
- ``OUT/amends.ico`` (Windows: 16 … 256, PNG-compressed entries, which every
  Windows since Vista reads) and ``OUT/amends.icns`` (macOS: 16 … 1024);
  packaging/amends.spec uses them.

Why generated and not committed: one source, so the sizes can never drift
from it; Qt's SVG renderer draws them (no extra dependency), and the ICO and
ICNS containers are a few lines of struct packing around PNGs.
"""

from __future__ import annotations

import os
import shutil
import struct
import sys
from pathlib import Path

APP_ID = "io.amends.Amends"
SOURCE = Path(__file__).resolve().parents[1] / "desktop" / "amends" / "resources" / "icons" / "amends.svg"
HICOLOR = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICO = (16, 24, 32, 48, 64, 128, 256)
#: ICNS types holding PNG data, by pixel size (Apple's "icns" format).
ICNS = {16: b"icp4", 32: b"icp5", 64: b"icp6", 128: b"ic07", 256: b"ic08", 512: b"ic09", 1024: b"ic10"}


def render(size: int, source: Path = SOURCE) -> bytes:
    """The SVG drawn at ``size`` × ``size`` pixels, as PNG bytes."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(source))
    if not renderer.isValid():
        raise SystemExit(f"{source}: not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise SystemExit(f"could not encode a {size}px PNG")
    return bytes(data.data())


def ico(pngs: dict[int, bytes]) -> bytes:
    """An ICO file of PNG entries (a 256 px entry stores its size as 0)."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = 6 + 16 * len(pngs)
    entries, blobs = b"", b""
    for size, png in sorted(pngs.items()):
        side = 0 if size >= 256 else size
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset + len(blobs))
        blobs += png
    return header + entries + blobs


def icns(pngs: dict[int, bytes]) -> bytes:
    """An ICNS file: the magic, the total length, then (type, length, PNG)."""
    body = b"".join(ICNS[size] + struct.pack(">I", 8 + len(png)) + png for size, png in sorted(pngs.items()))
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def write_all(out: Path, source: Path = SOURCE) -> list[Path]:
    """Every icon file under ``out``; returns the paths written."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    sizes = sorted(set(HICOLOR) | set(ICO) | set(ICNS))
    pngs = {size: render(size, source) for size in sizes}
    written: list[Path] = []
    for size in HICOLOR:
        target = out / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(pngs[size])
        written.append(target)
    scalable = out / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, scalable)
    written.append(scalable)
    (out / "amends.ico").write_bytes(ico({size: pngs[size] for size in ICO}))
    (out / "amends.icns").write_bytes(icns({size: pngs[size] for size in ICNS}))
    written += [out / "amends.ico", out / "amends.icns"]
    return written


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python packaging/icons.py OUT", file=sys.stderr)
        return 2
    for path in write_all(Path(argv[0])):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
