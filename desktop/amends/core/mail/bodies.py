"""A mail's MIME parts and the text in them: every part walked without
recursion (no deeper than MAX_DEPTH), a text part decoded by its charset
(or read as UTF-8, else Windows-1252, and noted), and the body: the plain
part, or the HTML's text, beside the sanitised HTML; text parts that are
neither body nor file are kept as body text too.
"""

from __future__ import annotations

from email.message import EmailMessage, Message

from amends.core import safe_html
from amends.core.mail.file_parts import is_file
from amends.core.mail.html_text import html_to_text
from amends.core.mail.parsing import READ_ERRORS, text

#: Deeper MIME than this is not walked (real mail nests a handful of levels).
MAX_DEPTH = 60


def parts(message: Message, defects: list[str]) -> list[Message]:
    """Every part, walked without recursion and no deeper than MAX_DEPTH."""
    found, stack, cut = [], [(message, 0)], False
    while stack:
        part, depth = stack.pop()
        found.append(part)
        payload = part.get_payload() if part.is_multipart() else None
        if isinstance(payload, list):
            if depth >= MAX_DEPTH:
                cut = True
                continue
            stack.extend((p, depth + 1) for p in reversed(payload) if isinstance(p, Message))
    if cut:
        defects.append(f"MIME nested deeper than {MAX_DEPTH} levels; the inner parts were read as text")
    return found


def note_parser_defects(parts: list[Message], defects: list[str]) -> None:
    names = []
    for part in parts:
        for defect in part.defects:
            name = type(defect).__name__
            if name not in names:
                names.append(name)
    if names:
        defects.append("broken MIME: " + ", ".join(names[:5]))


def part_text(part: Message, defects: list[str]) -> str:
    """A text part decoded by its charset; an unknown charset or undeclared
    8-bit text is read as UTF-8 (else Windows-1252) and noted."""
    payload: bytes | None
    try:
        decoded_payload = part.get_payload(decode=True)
        payload = decoded_payload if isinstance(decoded_payload, bytes) else None
    except READ_ERRORS as error:
        defects.append(f"a text part could not be decoded ({type(error).__name__})")
        payload = None
    if payload is None:
        inner = part.get_payload()
        payload = inner.encode("utf-8", "surrogateescape") if isinstance(inner, str) else b""
    charset = part.get_param("charset")
    charset = str(charset).strip().strip('"') if isinstance(charset, str) else None
    if charset and charset.lower() in ("us-ascii", "ascii"):
        charset = None  # often a lie about 8-bit text: read as undeclared below
    if charset:
        try:
            decoded = payload.decode(charset, errors="replace")
            if "\ufffd" in decoded and b"\xef\xbf\xbd" not in payload:
                defects.append(f"bytes that are not valid {charset[:40]} were replaced by \ufffd")
            return decoded
        except (LookupError, UnicodeError, ValueError, TypeError):
            defects.append(f"unknown charset {charset[:40]!r}; read as UTF-8")
            charset = None
    try:
        return payload.decode("ascii")
    except UnicodeDecodeError:
        pass
    try:
        decoded = payload.decode("utf-8")
        if not any("charset" in d for d in defects):
            defects.append("8-bit text without a declared charset; read as UTF-8")
        return decoded
    except UnicodeDecodeError:
        defects.append("8-bit text without a declared charset; read as Windows-1252")
        return payload.decode("cp1252", errors="replace")


def bodies(message: EmailMessage, parts: list[Message],
            defects: list[str]) -> tuple[str, str | None, list[Message]]:
    """The plain text (or the HTML's text), the sanitised HTML and the parts
    they came from."""
    plain: Message | None
    rich: Message | None
    try:
        plain = message.get_body(preferencelist=("plain",))
        rich = message.get_body(preferencelist=("html",))
    except READ_ERRORS:
        plain = rich = None
    if plain is None and rich is None:
        # get_body found nothing usable (broken or odd structure): the first text parts
        texts = [p for p in parts if p.get_content_maintype() == "text" and not p.is_multipart()]
        plain = next((p for p in texts if p.get_content_subtype() != "html"), None)
        rich = next((p for p in texts if p.get_content_subtype() == "html"), None)
        if plain is None and rich is None and not message.is_multipart() and not is_file(message):
            plain = message
    markup = part_text(rich, defects) if rich is not None else None
    clean_html = None
    if markup is not None:
        try:
            clean_html = safe_html.clean(text(markup)) or None
        except (ValueError, TypeError) as error:
            defects.append(f"the HTML part could not be cleaned ({type(error).__name__}); only its text is kept")
    used = [p for p in (plain, rich) if p is not None]
    if plain is not None:
        return part_text(plain, defects).strip(), clean_html, used
    return (html_to_text(markup, defects=defects) if markup is not None else ""), clean_html, used


def other_texts(message: Message, used: list[Message], defects: list[str]) -> list[str]:
    """Plain-text parts of the message itself (not of mail it forwards or
    returns) that are not its body and not files: kept as body text."""
    found, stack = [], [(message, 0)]
    while stack:
        part, depth = stack.pop()
        if part.get_content_maintype() == "message" and part is not message:
            continue
        payload = part.get_payload() if part.is_multipart() else None
        if isinstance(payload, list):
            if depth < MAX_DEPTH:
                stack.extend((p, depth + 1) for p in reversed(payload) if isinstance(p, Message))
            continue
        if part.get_content_type() != "text/plain" or any(part is body for body in used):
            continue
        try:
            if part.get_filename() or part.get_content_disposition() == "attachment" or part.get("Content-ID"):
                continue
        except READ_ERRORS:
            continue
        words = part_text(part, defects).strip()
        if words:
            found.append(words)
    return found
