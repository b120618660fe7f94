"""The files of a mail: every file part, inline images (``Content-ID``)
too, with its bytes and a safe name; and whether a single-part mail is a
file itself (a photo sent on its own) rather than text.
"""

from __future__ import annotations

from email.message import Message

from amends.core.attachments import Incoming
from amends.core.mail.parsing import READ_ERRORS, text


def attachments(parts: list[Message], used: list[Message], defects: list[str]) -> list[Incoming]:
    """Every file part of the mail, inline images (``Content-ID``) too, with
    its bytes; names made safe (no folders, no bidi tricks). Text parts
    without a name are body text, not files; containers are walked by
    :func:`amends.core.mail.bodies.parts`, so files inside alternatives, related parts and
    forwarded mail are found as well."""
    found: list[Incoming] = []
    for part in parts:
        if part.is_multipart() or any(part is body for body in used):
            continue
        try:
            kind = part.get_content_type()
            name = part.get_filename()
            disposition = part.get_content_disposition()
            cid = " ".join(str(part.get("Content-ID") or "").split()).strip("<>") or None
            if not name and not cid and disposition != "attachment" and part.get_content_maintype() == "text":
                continue
            payload = part.get_payload(decode=True)
        except READ_ERRORS as error:
            defects.append(f"an attachment could not be read ({type(error).__name__})")
            continue
        data = payload if isinstance(payload, bytes) else b""
        name = text(name or "") or f"{(cid or 'attachment').split('@')[0]}{_suffix(kind)}"
        found.append(Incoming(name, kind, data, text(cid) if cid else None,
                              inline=disposition != "attachment" and cid is not None))
    return found


def is_file(part: Message) -> bool:
    """A single-part mail that is a picture, a sound, a film or a named
    document (a photo sent on its own): a file, not its text."""
    try:
        return part.get_content_maintype() in ("image", "audio", "video") or \
            (part.get_content_maintype() != "text" and bool(part.get_filename()))
    except READ_ERRORS:
        return False


def _suffix(kind: str) -> str:
    import mimetypes

    return mimetypes.guess_extension(kind, strict=False) or ""
