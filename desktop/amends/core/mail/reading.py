"""Reading one raw mail into what a ticket needs, whatever the mail is like.

A user's mail must never be dropped, and one odd message must never stop
intake (issues 11 and 12). So nothing here refuses a message: a missing or
impossible Date, a missing sender, an unknown charset, undeclared 8-bit
text, broken or absurdly deep MIME, text that is not Unicode — each becomes
a short sentence in ``defects`` and the message is read as far as it goes.
The stdlib ``email`` package with the default policy parses; the sender comes
from the parsed ``From`` header object (not ``parseaddr``, whose answer to
odd addresses differs between Python builds).
"""

from __future__ import annotations

import email
import email.errors
import email.parser
import email.policy
import email.utils
import functools
import hashlib
import html as html_lib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage, Message
from typing import cast

from amends.core import clock, safe_html
from amends.core.attachments import Incoming, human_size
from amends.core.mail import automatic

UNKNOWN_SENDER = "unknown sender"
#: Deeper MIME than this is not walked (real mail nests a handful of levels).
MAX_DEPTH = 60
#: Dates before this are not mail dates (clocks at zero, forged headers).
EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)
_IDS = re.compile(r"<[^<>\s]+>")
_SURROGATES = re.compile(r"[\ud800-\udfff\x00]")
_BOUNCE_SENDERS = re.compile(r"^(mailer-daemon|postmaster|mail-daemon)@", re.I)
#: Errors the email package raises from odd input while reading a header or part.
_READ_ERRORS = (LookupError, UnicodeError, ValueError, TypeError, IndexError, AttributeError, AssertionError,
                email.errors.MessageError, RecursionError)


@dataclass
class Mail:
    """One message as read; ``defects`` says what could not be trusted."""

    message_id: str
    references: list[str]
    name: str
    address: str | None          # None: no usable sender (kept as "unknown sender")
    at: str
    subject: str
    body: str
    html: str | None = None
    defects: list[str] = field(default_factory=list)
    bounced_id: str | None = None  # a bounce: the Message-ID of the mail that did not arrive
    bounce_reason: str = ""
    attachments: list[Incoming] = field(default_factory=list)  # every file part, inline images too
    automatic: str | None = None  # which header says a machine sent it (core/mail/automatic.py)


def content_id(raw: bytes) -> str:
    """A Message-ID for mail that has none, from its content (line endings
    made alike, so the same mail from an mbox or from IMAP gets the same id):
    importing it again adds nothing, in any process."""
    digest = hashlib.sha256(raw.replace(b"\r\n", b"\n")).hexdigest()
    return f"<sha256-{digest}@amends>"


def text(value: str, defects: list[str] | None = None) -> str:
    """Text that SQLite and Qt can hold: lone surrogates (bytes that were not
    Unicode) and NUL become U+FFFD, noted once."""
    cleaned = _SURROGATES.sub("\ufffd", value)
    if cleaned != value and defects is not None and "text that is not Unicode was replaced by \ufffd" not in defects:
        defects.append("text that is not Unicode was replaced by \ufffd")
    return cleaned


#: Above this many characters of markup, or this deep a tree, the plain lxml
#: walk below is used: inscriptis is linear but spends ~20 µs per element in
#: Python (a dense 1 MB body would take seconds on a busy machine), and it
#: recurses once per level.
LARGE_HTML = 200_000
DEEP_HTML = 150
_BLOCKS = frozenset(["address", "article", "aside", "blockquote", "br", "center", "dd", "div", "dl", "dt", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre", "section", "table", "tr", "ul"])
_HIDDEN = frozenset(["head", "title", "script", "style", "template", "noscript"])
_HIDDEN_TAGS = re.compile(r"<(/?)(head|title|script|style|template|noscript)\b[^>]*>", re.I)


def html_to_text(markup: str, large: int = LARGE_HTML, defects: list[str] | None = None) -> str:
    """The text of an HTML mail, in linear time: no <title>, <style> or
    <script>; lists keep their bullets and each table row its own line.
    inscriptis (Apache-2.0) lays it out; very large or deep bodies get a
    lighter walk of the same lxml tree (benchmarks/bench_mail.py: 1 MB well
    under 1 s). HTML nested deeper than the parser goes (unclosed tags by the
    thousand) is read as plain words instead, so no text is lost."""
    import lxml.html
    from inscriptis import Inscriptis
    from lxml.etree import LxmlError

    markup = text(markup).strip()
    if not markup:
        return ""
    try:
        parser = lxml.html.HTMLParser(huge_tree=True)
        root = lxml.html.document_fromstring(markup, parser=parser)
        if any("depth" in entry.message.lower() for entry in parser.error_log):
            if defects is not None:
                defects.append("HTML nested too deeply to lay out; read as plain text")
            return _plain_words(markup)
        if len(markup) <= large and _depth(root) <= DEEP_HTML:
            return Inscriptis(root).get_text().strip()
        return _walk_text(root).strip()
    except (LxmlError, ValueError, RecursionError):
        # lxml refused the document: the words without the tags (linear passes)
        return _plain_words(markup)


_WORDS = re.compile(r"\w+")


def omitted_plain(body: str, markup: str | None) -> str | None:
    """The plain text when the HTML leaves some of it out (a mail whose
    plain part says what the HTML does not, or a text part after the HTML),
    so that the HTML view can show it beside; None when the HTML has it all.
    Compared by words: layout and link brackets do not count."""
    if not markup or not body.strip():
        return None
    shown = set(_WORDS.findall(html_to_text(markup).lower()))
    lines = [line for line in body.splitlines() if not line.startswith("[attachment: ")]
    missing = [w for line in lines for w in _WORDS.findall(line.lower()) if w not in shown]
    return "\n".join(lines).strip() or None if missing else None


def _plain_words(markup: str) -> str:
    """The words outside <head>/<script>/<style>..., tags dropped (linear:
    one scan for those tags, one for the rest; nothing is matched twice)."""
    kept, hidden, at = [], 0, 0
    for tag in _HIDDEN_TAGS.finditer(markup):
        if not hidden:
            kept.append(markup[at:tag.start()])
        hidden = max(0, hidden + (-1 if tag.group(1) else 1))
        at = tag.end()
    if not hidden:
        kept.append(markup[at:])
    words = re.sub(r"<[^>]*>", " ", "".join(kept))
    return re.sub(r"[ \t]*\n\s*", "\n", re.sub(r"[ \t]+", " ", html_lib.unescape(words))).strip()


def _depth(root) -> int:
    from lxml import etree

    depth = deepest = 0
    for event, _ in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        deepest = max(deepest, depth)
    return deepest


def _walk_text(root) -> str:
    """One pass over the parsed tree: text and tails in order, a line break
    around block elements, '* ' before list items, cells apart."""
    from lxml import etree

    out: list[str] = []
    hidden = 0
    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in _HIDDEN:
            hidden += 1 if event == "start" else -1
            if event == "end" and not hidden and element.tail:
                out.append(element.tail)
            continue
        if hidden:
            continue
        if event == "start":
            out.append("\n  * " if tag == "li" else "\n" if tag in _BLOCKS else "  " if tag in ("td", "th") else "")
            out.append(element.text or "")
        else:
            out.append(("\n" if tag in _BLOCKS else "") + (element.tail or ""))
    return re.sub(r"[ \t]*\n\s*", "\n", "".join(out))


@functools.lru_cache(maxsize=4096)
def _parsed_header(name: str, value: str):
    return email.policy.default.header_fetch_parse(name, value)


class _RememberingPolicy(email.policy.EmailPolicy):
    """email.policy.default, but a header is parsed once, not on every look
    at it: reading one plain mail asked for its Content-Type eight times, and
    that parsing was most of a fetch's time (benchmarks/bench_mail.py). The
    same header text always gives the same (immutable) header object, so
    mails with the same Content-Type or sender share it."""

    def header_fetch_parse(self, name, value):
        if type(value) is str:
            return _parsed_header(name, value)
        return super().header_fetch_parse(name, value)


_ABSENT = object()


class _Message(EmailMessage):
    """An EmailMessage that finds each header once: the email package looks
    Content-Type up by a scan of every header on each question about the
    part (nine scans for one plain mail; a real one has dozens of headers),
    and so did :func:`_raw_header`. Any change to the headers (or to the
    default type) forgets what was found."""

    _found: dict[str, object] | None = None
    _raw: dict[str, str] | None = None
    _type: str | None = None

    def _forget(self) -> None:
        self._found = self._raw = self._type = None

    def get(self, name, failobj=None):
        found = self._found
        if found is None:
            found = self._found = {}
        key = name.lower()
        value = found.get(key, _ABSENT)
        if value is _ABSENT:
            value = found[key] = super().get(name, _ABSENT)
        return failobj if value is _ABSENT else value

    def raw_first(self, name: str) -> str | None:
        """The first header of that name as it came (not parsed)."""
        raw = self._raw
        if raw is None:
            raw = self._raw = {}
            for key, value in self.raw_items():
                raw.setdefault(key.lower(), str(value))
        return raw.get(name.lower())

    def get_content_type(self) -> str:
        if self._type is None:
            self._type = super().get_content_type()
        return self._type

    def set_default_type(self, ctype):
        self._forget()
        super().set_default_type(ctype)

    def set_raw(self, name, value):
        self._forget()
        super().set_raw(name, value)

    def __setitem__(self, name, val):
        self._forget()
        super().__setitem__(name, val)

    def __delitem__(self, name):
        self._forget()
        super().__delitem__(name)

    def replace_header(self, _name, _value):
        self._forget()
        super().replace_header(_name, _value)

    def add_header(self, _name, _value, **_params):
        self._forget()
        super().add_header(_name, _value, **_params)

    def _make_multipart(self, subtype, disallowed_subtypes, boundary):
        self._forget()
        super()._make_multipart(subtype, disallowed_subtypes, boundary)


POLICY = _RememberingPolicy(message_factory=_Message)


def read(raw: bytes, arrived: datetime | None = None, now: datetime | None = None) -> Mail:
    """Read one raw message. Never raises for what is in the mail."""
    defects: list[str] = []
    message: EmailMessage
    try:  # an EmailPolicy makes EmailMessage objects (typeshed only knows that of email.policy.default)
        # (Parsing the headers alone first, and the whole mail only when it has
        # parts, was tried for speed: no gain measured, even for a 200 KB body.)
        message = cast(EmailMessage, email.message_from_bytes(raw, policy=POLICY))
    except RecursionError:
        # nested too deep for the parser: the headers, and the rest as raw text
        defects.append("MIME nested too deeply to read; the message is kept as raw text")
        message = cast(EmailMessage, email.parser.BytesHeaderParser(policy=POLICY).parsebytes(raw))
        message.set_payload(raw.split(b"\n\n", 1)[-1].decode("utf-8", errors="replace"))
        message.set_type("text/plain")
    return _read(message, raw, defects, arrived, now or clock.now())


def _read(message: EmailMessage, raw: bytes, defects: list[str], arrived: datetime | None,
          now: datetime) -> Mail:
    name, address = _sender(message, defects)
    message_id = (_IDS.findall(_raw_header(message, "Message-ID") or "") or [None])[0]
    if message_id is None:
        message_id = content_id(raw)
    references = _IDS.findall(_raw_header(message, "In-Reply-To") or "") + \
        _IDS.findall(_raw_header(message, "References") or "")
    subject = " ".join(_header(message, "Subject", defects).split()) or "(no subject)"
    parts = _parts(message, defects)
    _note_parser_defects(parts, defects)
    body, html, used = _bodies(message, parts, defects)
    extra = _other_texts(message, used, defects)
    if extra:  # a text part after the files ("Sent from my phone"): part of the message, not a file
        body = "\n\n".join(t for t in (body, *extra) if t)
    files = _attachments(parts, used, defects)
    shown_inline = safe_html.referenced_cids(html)
    for item in files:
        item.inline = item.inline or (item.content_id or "").lower() in shown_inline
    if files:
        body = (body + "\n\n" if body else "") + "\n".join(
            f"[attachment: {f.name} ({human_size(f.size or 0)})]" for f in files)
    if not body and subject == "(no subject)":
        defects.append("an empty message")
    mail = Mail(text(message_id, defects), [text(r) for r in references], safe_html.display_name(text(name, defects)),
                text(address) if address else None, clock.to_iso(_moment(message, defects, arrived, now)),
                text(subject, defects), text(body, defects), text(html) if html else None, defects,
                attachments=files)
    _bounce(message, parts, address, mail)
    mail.automatic = automatic.reason(message, address) or ("a delivery failure report" if mail.bounce_reason else None)
    return mail


def _raw_header(message: Message, name: str) -> str | None:
    """A header as it came (not parsed): for ids and dates we read ourselves."""
    if isinstance(message, _Message):
        return message.raw_first(name)
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return None


_LINE_BREAKS = re.compile(r"[\r\n]")


def _header(message: Message, name: str, defects: list[str]) -> str:
    raw = _raw_header(message, name)
    if raw is not None and raw.isascii() and "=?" not in raw:
        # plain ASCII without encoded words: the parsed header would be this
        # text unfolded, and the callers fold whitespace anyway (parsing each
        # Subject was a tenth of a fetch's time)
        return _LINE_BREAKS.sub("", raw)
    try:
        value = message.get(name)
        return "" if value is None else str(value)
    except _READ_ERRORS as error:
        defects.append(f"{name}: unreadable header ({type(error).__name__}); kept as it came")
        return _raw_header(message, name) or ""


def _sender(message: EmailMessage, defects: list[str]) -> tuple[str, str | None]:
    try:
        header = message.get("From")
        addresses = list(header.addresses) if header is not None else []
        header_defects = list(getattr(header, "defects", ()))
    except _READ_ERRORS as error:
        defects.append(f"From: unreadable ({type(error).__name__}); {UNKNOWN_SENDER}")
        return _raw_header(message, "From") or UNKNOWN_SENDER, None
    usable = next((a for a in addresses if "@" in a.addr_spec and not a.addr_spec.startswith("<")), None)
    if header_defects:
        defects.append(f"From: {header_defects[0]} in {str(_raw_header(message, 'From'))[:120]!r}")
    if usable is None:
        raw = " ".join((_raw_header(message, "From") or "").split())
        defects.append("no sender address" + (f" in From {raw[:120]!r}" if raw else " (no From header)") +
                       f"; kept as {UNKNOWN_SENDER}")
        return raw or UNKNOWN_SENDER, None
    return usable.display_name, usable.addr_spec


#: A four-digit year below 1000 ("01 Jan 0001"): email.utils would read it as 2001.
_TINY_YEAR = re.compile(r"\b\d{1,2}\s+[A-Za-z]{3}\s+0\d{3}\b")


def _date(value: str | None) -> datetime | None:
    """A header date in UTC, or None when it is unreadable or impossible."""
    if not value or _TINY_YEAR.search(value):
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _moment(message: Message, defects: list[str], arrived: datetime | None, now: datetime) -> datetime:
    """The Date header; else the newest Received time; else the arrival (IMAP)
    or file time; else now. Dates outside 1970 … tomorrow are not believed."""
    latest = now + timedelta(days=1)

    def plausible(moment: datetime | None) -> bool:
        return moment is not None and EARLIEST <= moment <= latest

    raw = _raw_header(message, "Date")
    moment = _date(raw)
    if moment is not None and plausible(moment):
        return moment
    why = "no Date header" if raw is None else f"Date {' '.join(raw.split())[:80]!r} is unreadable or impossible"
    received = [d for d in (_date(v.rpartition(";")[2]) for k, v in message.raw_items()
                            if k.lower() == "received" and ";" in str(v)) if d is not None and plausible(d)]
    if received:
        defects.append(f"{why}; used the newest Received time")
        return max(received)
    if arrived is not None and plausible(arrived.astimezone(UTC)):
        defects.append(f"{why}; used the time it arrived")
        return arrived.astimezone(UTC)
    defects.append(f"{why}; used the time it was imported")
    return now


def _parts(message: Message, defects: list[str]) -> list[Message]:
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


def _note_parser_defects(parts: list[Message], defects: list[str]) -> None:
    names = []
    for part in parts:
        for defect in part.defects:
            name = type(defect).__name__
            if name not in names:
                names.append(name)
    if names:
        defects.append("broken MIME: " + ", ".join(names[:5]))


def _part_text(part: Message, defects: list[str]) -> str:
    """A text part decoded by its charset; an unknown charset or undeclared
    8-bit text is read as UTF-8 (else Windows-1252) and noted."""
    payload: bytes | None
    try:
        decoded_payload = part.get_payload(decode=True)
        payload = decoded_payload if isinstance(decoded_payload, bytes) else None
    except _READ_ERRORS as error:
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


def _bodies(message: EmailMessage, parts: list[Message],
            defects: list[str]) -> tuple[str, str | None, list[Message]]:
    """The plain text (or the HTML's text), the sanitised HTML and the parts
    they came from."""
    plain: Message | None
    rich: Message | None
    try:
        plain = message.get_body(preferencelist=("plain",))
        rich = message.get_body(preferencelist=("html",))
    except _READ_ERRORS:
        plain = rich = None
    if plain is None and rich is None:
        # get_body found nothing usable (broken or odd structure): the first text parts
        texts = [p for p in parts if p.get_content_maintype() == "text" and not p.is_multipart()]
        plain = next((p for p in texts if p.get_content_subtype() != "html"), None)
        rich = next((p for p in texts if p.get_content_subtype() == "html"), None)
        if plain is None and rich is None and not message.is_multipart() and not _is_file(message):
            plain = message
    markup = _part_text(rich, defects) if rich is not None else None
    clean_html = None
    if markup is not None:
        try:
            clean_html = safe_html.clean(text(markup)) or None
        except (ValueError, TypeError) as error:
            defects.append(f"the HTML part could not be cleaned ({type(error).__name__}); only its text is kept")
    used = [p for p in (plain, rich) if p is not None]
    if plain is not None:
        return _part_text(plain, defects).strip(), clean_html, used
    return (html_to_text(markup, defects=defects) if markup is not None else ""), clean_html, used


def _attachments(parts: list[Message], used: list[Message], defects: list[str]) -> list[Incoming]:
    """Every file part of the mail, inline images (``Content-ID``) too, with
    its bytes; names made safe (no folders, no bidi tricks). Text parts
    without a name are body text, not files; containers are walked by
    :func:`_parts`, so files inside alternatives, related parts and
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
        except _READ_ERRORS as error:
            defects.append(f"an attachment could not be read ({type(error).__name__})")
            continue
        data = payload if isinstance(payload, bytes) else b""
        name = text(name or "") or f"{(cid or 'attachment').split('@')[0]}{_suffix(kind)}"
        found.append(Incoming(name, kind, data, text(cid) if cid else None,
                              inline=disposition != "attachment" and cid is not None))
    return found


def _is_file(part: Message) -> bool:
    """A single-part mail that is a picture, a sound, a film or a named
    document (a photo sent on its own): a file, not its text."""
    try:
        return part.get_content_maintype() in ("image", "audio", "video") or \
            (part.get_content_maintype() != "text" and bool(part.get_filename()))
    except _READ_ERRORS:
        return False


def _other_texts(message: Message, used: list[Message], defects: list[str]) -> list[str]:
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
        except _READ_ERRORS:
            continue
        words = _part_text(part, defects).strip()
        if words:
            found.append(words)
    return found


def _suffix(kind: str) -> str:
    import mimetypes

    return mimetypes.guess_extension(kind, strict=False) or ""


def _bounce(message: Message, parts: list[Message], address: str | None, mail: Mail) -> None:
    """A delivery failure report (multipart/report, or from MAILER-DAEMON):
    which mail of ours did not arrive, and why."""
    is_report = message.get_content_type() == "multipart/report"
    if not is_report and not (address and _BOUNCE_SENDERS.match(address)):
        return
    original, reason = None, ""
    for part in parts:
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            status = " ".join(_part_text(part, []).split()) if not part.is_multipart() else \
                " ".join(str(p) for p in part.get_payload())
            found = re.search(r"Diagnostic-Code:\s*(.+?)(?=\s+[A-Z][\w-]*:|$)", status) or \
                re.search(r"Status:\s*(\S+)", status)
            reason = found.group(1) if found else reason
        elif kind == "message/rfc822" and part.is_multipart():
            contained = part.get_payload()  # a multipart's payload is the list of its parts
            inner = contained[0] if isinstance(contained, list) and contained else None
            if not isinstance(inner, Message):
                continue
            original = original or (_IDS.findall(_raw_header(inner, "Message-ID") or "") or [None])[0]
        elif kind == "text/rfc822-headers":
            headers = email.parser.Parser(policy=POLICY).parsestr(_part_text(part, []), headersonly=True)
            original = original or (_IDS.findall(_raw_header(headers, "Message-ID") or "") or [None])[0]
    if original is None:  # a plain-text bounce quotes the headers of the mail in its body
        quoted = re.search(r"^\s*Message-ID:\s*(<[^<>\s]+>)", mail.body, re.I | re.M)
        original = quoted.group(1) if quoted else None
    mail.bounced_id = text(original) if original else None
    mail.bounce_reason = text(reason or "the receiving server returned it")[:300]
    mail.defects.append(f"a delivery failure report (bounce): {mail.bounce_reason}")
    if mail.bounced_id and mail.bounced_id not in mail.references:
        mail.references.insert(0, mail.bounced_id)
