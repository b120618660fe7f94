"""Attachments: kept with their message, one copy per content, in the database.

Why in the database and not in a folder beside it: a file of Amends is
shared by a small team (several processes, often on a network share) and
backed up, restored and exported as one thing. BLOBs in the same file ride
along with the backup API, restore, the lock protocol and every transaction
(a message and its files are written together or not at all); a folder
beside it would need its own locking, its own backups and its own
clean-up, and would drift from the database after any copy by hand. The
cost, measured by benchmarks/bench_attachments.py, is a copy into SQLite
pages (a 10 MB photo writes in a small multiple of a plain file write) and a
bigger database file; nothing that lists tickets or messages reads the
bytes, only :func:`content` does.

Contents are addressed by SHA-256 (``attachment_contents``), so the same
photo sent twice, or quoted in a reply, is stored once. A file larger than
the limit (setting ``attachments.max_bytes``) is listed without its bytes,
and a note on its message names it and its size.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import mimetypes
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from amends.core import audit, safe_html
from amends.core.errors import NotFound, ValidationError
from amends.core.store import Database

LIMIT_KEY = "attachments.max_bytes"
#: 25 MB: what the common mail services accept as one attachment.
DEFAULT_LIMIT = 25 * 1024 * 1024
#: Types that run code when opened: the viewer asks first.
EXECUTABLE_SUFFIXES = frozenset(
    ["exe", "com", "bat", "cmd", "scr", "pif", "msi", "msp", "msc", "cpl", "jar", "js", "jse", "vbs", "vbe", "wsf", "wsh", "ps1", "psm1", "hta", "lnk", "reg", "dll", "sys", "sh", "bash", "zsh", "csh", "ksh", "command", "app", "dmg", "pkg", "deb", "rpm", "appimage", "run", "bin", "py", "pyw", "pl", "rb", "php", "apk", "iso", "docm", "xlsm", "pptm"])
EXECUTABLE_TYPES = frozenset({
    "application/x-msdownload", "application/x-msdos-program", "application/x-executable",
    "application/x-dosexec", "application/x-sh", "application/x-shellscript", "application/java-archive",
    "application/x-ms-installer", "application/x-msi", "application/vnd.microsoft.portable-executable",
    "application/javascript", "text/javascript", "application/x-bat", "application/hta"})
_HEX = re.compile(r"^[0-9a-f]{64}$")
_CID = re.compile(r"""(src\s*=\s*["'])cid:([^"']+)(["'])""", re.I)


@dataclass
class Incoming:
    """A file as an importer found it. ``data`` None: its bytes were not
    given (a helpdesk export without the file); ``sha256`` when the source
    declared one (the exchange format), else computed from ``data``."""

    name: str
    type: str
    data: bytes | None
    content_id: str | None = None
    inline: bool = False
    size: int | None = None
    sha256: str | None = None

    def __post_init__(self) -> None:
        self.name = safe_html.safe_filename(self.name)
        self.type = (self.type or "").strip().lower() or guess_type(self.name)
        if self.data is not None:
            self.size = len(self.data)
            self.sha256 = digest(self.data)


@dataclass(frozen=True)
class Attachment:
    """One listed file of a message; ``kept``: its bytes are stored."""

    id: int
    message_id: int
    name: str
    type: str
    size: int
    sha256: str | None
    kept: bool
    content_id: str | None = None
    inline: bool = False

    @property
    def is_image(self) -> bool:
        return self.type.startswith("image/") and self.type != "image/svg+xml"

    @property
    def executable(self) -> bool:
        return is_executable(self.name, self.type)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_sha256(value: object) -> bool:
    return isinstance(value, str) and bool(_HEX.match(value))


def guess_type(name: str) -> str:
    return mimetypes.guess_type(name, strict=False)[0] or "application/octet-stream"


def is_executable(name: str, type_: str) -> bool:
    """Would opening it run code? By every suffix (``invoice.pdf.exe``) and
    by the declared type, whichever says so."""
    suffixes = {s.lower() for s in safe_html.display_name(name).split(".")[1:]}
    return bool(suffixes & EXECUTABLE_SUFFIXES) or type_.lower() in EXECUTABLE_TYPES


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def limit(conn: sqlite3.Connection) -> int:
    """The largest file kept, in bytes (0: none is kept)."""
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (LIMIT_KEY,)).fetchone()
    try:
        return max(0, int(row[0])) if row is not None and row[0] is not None else DEFAULT_LIMIT
    except ValueError:
        return DEFAULT_LIMIT


def set_limit(db: Database, max_bytes: int) -> None:
    if not 0 <= max_bytes <= 2_000_000_000:
        raise ValidationError([("max_bytes", "between 0 and 2,000,000,000 bytes")])
    with db.transaction() as conn:
        conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
                     "value = excluded.value, version = version + 1", (LIMIT_KEY, str(max_bytes)))
        audit.record(conn, db.actor, "settings", None, "update", {"after": {LIMIT_KEY: max_bytes}})


def over_limit(files: list[Incoming], max_bytes: int) -> list[str]:
    """Notes naming each file too large to keep (they are listed, not kept)."""
    return [f"attachment {f.name} ({human_size(f.size or 0)}) is over the {human_size(max_bytes)} limit "
            "for kept files; it is listed, not kept"
            for f in files if f.data is not None and len(f.data) > max_bytes]


def store(conn: sqlite3.Connection, message_id: int, files: list[Incoming], max_bytes: int) -> None:
    """List ``files`` on the message, keeping each content once (inside the
    caller's transaction)."""
    for position, item in enumerate(files):
        kept = item.data is not None and len(item.data) <= max_bytes
        if kept and item.data is not None:
            conn.execute("INSERT INTO attachment_contents (sha256, size, data) VALUES (?, ?, ?) "
                         "ON CONFLICT (sha256) DO NOTHING", (item.sha256, len(item.data), item.data))
        conn.execute("INSERT INTO attachments (message_id, position, name, type, size, sha256, kept, content_id, "
                     "inline) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (message_id, position, item.name, item.type, item.size or 0, item.sha256, int(kept),
                      item.content_id, int(item.inline)))


def _row(r) -> Attachment:
    return Attachment(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), r[7], bool(r[8]))


_COLUMNS = "id, message_id, name, type, size, sha256, kept, content_id, inline"


def for_messages(db: Database, message_ids: list[int]) -> dict[int, list[Attachment]]:
    """Each message's files, in order (never their bytes)."""
    found: dict[int, list[Attachment]] = {}
    for start in range(0, len(message_ids), 500):
        chunk = message_ids[start:start + 500]
        found.update(_by_message(db.tuples(f"SELECT {_COLUMNS} FROM attachments WHERE message_id IN "
                                           f"({','.join('?' * len(chunk))}) ORDER BY message_id, position",
                                           tuple(chunk))))
    return found


def for_ticket(db: Database, ticket_id: int) -> dict[int, list[Attachment]]:
    return _by_message(db.tuples(
        f"SELECT {', '.join('a.' + c.strip() for c in _COLUMNS.split(','))} FROM attachments a "
        "JOIN messages m ON m.id = a.message_id WHERE m.ticket_id = ? ORDER BY a.message_id, a.position",
        (ticket_id,)))


def _by_message(rows) -> dict[int, list[Attachment]]:
    found: dict[int, list[Attachment]] = {}
    for r in rows:
        found.setdefault(r[1], []).append(_row(r))
    return found


def get(db: Database, attachment_id: int) -> Attachment:
    rows = db.tuples(f"SELECT {_COLUMNS} FROM attachments WHERE id = ?", (attachment_id,))
    if not rows:
        raise NotFound(f"Attachment {attachment_id} does not exist.")
    return _row(rows[0])


def content(db: Database, attachment_id: int) -> bytes:
    """The bytes of a kept file."""
    item = get(db, attachment_id)
    if not item.kept:
        raise NotFound(f"{item.name} ({human_size(item.size)}) was listed but not kept: it was over the size limit "
                       "or its file was not given with the import.")
    data = db.scalar("SELECT data FROM attachment_contents WHERE sha256 = ?", (item.sha256,))
    if data is None:
        raise NotFound(f"The content of {item.name} is missing from the database.")
    return bytes(data)


def save_copy(db: Database, attachment_id: int, folder: Path) -> Path:
    """A copy of the file under its safe name in ``folder`` (for the system
    viewer): a name that is there already gets a number."""
    from amends.core.output_files import write_bytes

    item = get(db, attachment_id)
    data = content(db, attachment_id)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / item.name
    stem, dot, suffix = item.name.partition(".")
    number = 1
    while target.exists():
        number += 1
        target = folder / f"{stem} ({number}){dot}{suffix}"
    return write_bytes(target, data)


def inline_html(markup: str, files: list[Attachment], scheme: str = "amends-attachment") -> str:
    """The HTML with each ``cid:`` image pointing at its stored part
    (``amends-attachment:<id>``), never at the network; a cid with no kept
    part loses its source."""
    by_cid = {(f.content_id or "").strip("<>").lower(): f for f in files if f.content_id and f.kept}

    def swap(match: re.Match) -> str:
        found = by_cid.get(html_lib.unescape(match.group(2)).strip("<>").lower())
        return f"{match.group(1)}{scheme}:{found.id}{match.group(3)}" if found else f"{match.group(1)}{match.group(3)}"

    return _CID.sub(swap, markup)


def exchange_entry(db: Database, item: Attachment) -> dict:
    """One file as the exchange format writes it (docs/FORMAT.md)."""
    import base64

    entry: dict = {"name": item.name, "type": item.type, "size": item.size}
    if item.sha256:
        entry["sha256"] = item.sha256
    if item.kept:
        entry["data"] = base64.b64encode(content(db, item.id)).decode("ascii")
    if item.content_id:
        entry["content_id"] = item.content_id
    if item.inline:
        entry["inline"] = True
    return entry


def from_exchange(raw: object, where: str) -> tuple[Incoming | None, list[tuple[str, str]]]:
    """A file of the exchange format, checked: the bytes must have the size
    and SHA-256 the entry declares. Returns the file or the problems
    (field, reason)."""
    import base64
    import binascii

    if not isinstance(raw, dict):
        return None, [(where, "must be an object with name, type, size, sha256 and data")]
    problems = []
    name, kind, size, declared = raw.get("name"), raw.get("type"), raw.get("size"), raw.get("sha256")
    if not isinstance(name, str) or not name.strip():
        problems.append((f"{where}.name", "must be the file's name"))
    if kind is not None and not isinstance(kind, str):
        problems.append((f"{where}.type", "must be a MIME type such as image/jpeg"))
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        problems.append((f"{where}.size", "must be the size in bytes"))
    if declared is not None and not is_sha256(declared):
        problems.append((f"{where}.sha256", "must be 64 lower-case hex digits"))
    content_id = raw.get("content_id")
    if content_id is not None and not isinstance(content_id, str):
        problems.append((f"{where}.content_id", "must be text"))
    data = None
    if raw.get("data") is not None:
        try:
            data = base64.b64decode(str(raw["data"]), validate=True)
        except (binascii.Error, ValueError):
            problems.append((f"{where}.data", "is not base64"))
    if data is not None and not problems:
        if len(data) != size:
            problems.append((f"{where}.size", f"says {size} bytes, the data has {len(data)}"))
        if declared is not None and digest(data) != declared:
            problems.append((f"{where}.sha256", f"does not match the data (its SHA-256 is {digest(data)})"))
    if problems:
        return None, problems
    item = Incoming(str(name), str(kind or ""), data, content_id, bool(raw.get("inline")))
    if data is None:
        item.size, item.sha256 = int(size), declared  # type: ignore[arg-type]
    return item, []


def verify(db: Database) -> list[str]:
    """Problems with the kept files: content whose bytes no longer have its
    SHA-256 (damaged), and files listed as kept whose content is missing.
    Reads every byte once; for ``check``."""
    problems = []
    for sha, size, data in db.tuples("SELECT sha256, size, data FROM attachment_contents"):
        if digest(bytes(data)) != sha or len(data) != size:
            names = ", ".join(r[0] for r in db.tuples("SELECT DISTINCT name FROM attachments WHERE sha256 = ?", (sha,)))
            problems.append(f"the stored content of {names or sha} does not match its SHA-256 (damaged)")
    for name, message_id in db.tuples("SELECT a.name, a.message_id FROM attachments a WHERE a.kept = 1 AND NOT EXISTS "
                                      "(SELECT 1 FROM attachment_contents c WHERE c.sha256 = a.sha256)"):
        problems.append(f"{name} (message {message_id}) is listed as kept but its content is missing")
    return problems
