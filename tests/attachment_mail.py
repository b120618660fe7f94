"""Real-world-shaped mail with files, built with the stdlib the way mail
programs build it: a damaged-shipment claim with the photo of the crushed
box, an inline logo (multipart/related, ``cid:``), a PDF and an .exe."""

from __future__ import annotations

import random
import struct
import zlib
from email.message import EmailMessage
from email.utils import make_msgid


def png(width: int = 40, height: int = 30, colour: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    """A real (decodable) PNG of one colour."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes(colour) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def photo(size: int = 10 * 1024 * 1024, seed: int = 5) -> bytes:
    """A 'photo' of ``size`` bytes: a JPEG start, then bytes that do not
    compress (like a camera's)."""
    return b"\xff\xd8\xff\xe0" + random.Random(seed).randbytes(size - 4)


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00" + bytes(60) + b"PE\x00\x00"


def claim(*, message_id: str = "<claim-1@mail.example.com>", big_photo: bytes | None = None,
          logo: bytes | None = None, exe: bool = True, trailing_text: str | None = None) -> bytes:
    """mixed( alternative( plain, related( html with <img src=cid:…>, png ) ), photo.jpg, receipt.pdf,
    tool.exe[, a plain-text part after the files] )."""
    logo = logo if logo is not None else png()
    mail = EmailMessage()
    mail["From"] = "Ada Okafor <ada@example.com>"
    mail["To"] = "support@shop.example"
    mail["Subject"] = "Box arrived crushed"
    mail["Date"] = "Mon, 05 Jan 2026 10:00:00 +0000"
    mail["Message-ID"] = message_id
    cid = make_msgid(domain="mail.example.com")
    mail.set_content("The box arrived crushed, photo attached.\n")
    mail.add_alternative(f'<p>The box arrived <b>crushed</b>, photo attached.</p><img src="cid:{cid[1:-1]}" '
                         'alt="our logo"><img src="https://tracker.example/pixel.gif">', subtype="html")
    mail.get_payload()[1].add_related(logo, "image", "png", cid=cid, filename="logo.png")
    mail.add_attachment(big_photo if big_photo is not None else photo(200_000), "image", "jpeg",
                        filename="crushed box.jpg")
    mail.add_attachment(PDF, "application", "pdf", filename="receipt.pdf")
    if exe:
        mail.add_attachment(EXE, "application", "octet-stream", filename="tool.exe")
    if trailing_text is not None:
        mail.add_attachment(trailing_text, disposition="inline")
        del mail.get_payload()[-1]["Content-Disposition"]
    return mail.as_bytes()
