"""Reading the fields of another helpdesk's export whatever their JSON type.

An export is someone else's JSON: every field is read through these, so a
list where a name belongs, or a number where an object belongs, is reported
where it is (or, for optional parts, left out), never a TypeError. Also the
Amends values they name: a category from a tag or type, tags, addresses,
times, and the files given beside the export.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from amends.core.attachments import Incoming
from amends.core.importers.records import MessageRecord, Parsed
from amends.core.importers.values import BadValue, category_value, email_value, time_value


def category_of(*candidates: object) -> str:
    for candidate in candidates:
        for value in (candidate if isinstance(candidate, list) else [candidate]):
            if isinstance(value, dict):
                value = value.get("tag") or value.get("name")
            if not value or not isinstance(value, str):
                continue
            try:
                category = category_value(value)
            except BadValue:
                continue
            if category != "other" or value.lower() == "other":
                return category
    return "other"


def tags_of(raw: object) -> list[str]:
    """The helpdesk's tags as Amends tags: names cleaned (no colons or quotes,
    at most 40 characters), each once."""
    found: dict[str, str] = {}
    for value in raw if isinstance(raw, list) else []:
        if isinstance(value, dict):
            value = value.get("tag") or value.get("name")
        if not isinstance(value, str):
            continue
        name = " ".join(value.replace(":", "-").replace('"', "").split())[:40].strip()
        if name:
            found.setdefault(name.lower(), name)
    return list(found.values())


def obj(value: object) -> dict:
    """An optional nested object (a requester, an assignee): ``value`` when
    it is a JSON object, else an empty one (a hostile or broken export puts
    lists, text or null where objects belong)."""
    return value if isinstance(value, dict) else {}


def text_of(value: object) -> str:
    """Optional text (a name, a body): text as it is, a number as its digits,
    anything else empty."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return ""


def words(*parts: object) -> str:
    return " ".join(filter(None, (text_of(p).strip() for p in parts)))


def id_of(value: object) -> int | str | None:
    """An id: a whole number or text; anything else is no id."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or (isinstance(value, str) and value.strip()):
        return value
    return None


def json_list(parsed: Parsed, doc: dict, key: str) -> list:
    """A top-level list of the export; a missing one is empty, anything
    else is reported."""
    value = doc.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        parsed.problem("document", 0, key, "must be a list")
        return []
    return value


def email_of(parsed: Parsed, section: str, number: int, field: str, value: object) -> str | None:
    """The address, normalised (one customer per address: values.email_value),
    or None after reporting why it is not one."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    found = address_of(parsed, section, number, field, value)
    return None if found is None else found[0]


def mapped(parsed: Parsed, number: int, field: str, table: dict, raw: object, helpdesk: str) -> Any:
    """The Amends value for a helpdesk's status or priority, or None after
    reporting where the unknown one was; a list or object where a scalar
    belongs is unknown too, not a crash."""
    try:
        value = table.get(raw)
    except TypeError:  # unhashable: a list or an object
        value = None
    if value is None:
        parsed.problem("tickets", number, field, f"unknown {helpdesk} {field} {raw!r}"[:200])
    return value


def address_of(parsed: Parsed, section: str, number: int, field: str, raw: object) -> tuple[str, str] | None:
    """A requester's address, normalised (one customer per address across
    every helpdesk, mail and CSV), or None after reporting why it is not one."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        return email_value(raw, name=field)
    except BadValue as error:
        parsed.problem(section, number, field, str(error))
        return None


def time_of(parsed: Parsed, number: int, field: str, value: object, required: bool = True, section: str = "tickets"
          ) -> str | None:
    try:
        return time_value(value, required=required)
    except BadValue as error:
        parsed.problem(section, number, field, str(error))
        return None


def ticket_ident(parsed: Parsed, number: int, field: str, ticket: object) -> int | str | None:
    ident = id_of(ticket.get("id")) if isinstance(ticket, dict) else None
    if ident is None:
        parsed.problem("tickets", number, field, "a ticket needs an id (a number or text)")
    return ident


def once(parsed: Parsed, number: int, ref: str, seen: dict[str, int]) -> bool:
    """True the first time a ticket appears in the file; a second record for
    it is a problem (it would silently replace the first)."""
    first = seen.setdefault(ref, number)
    if first != number:
        parsed.problem("tickets", number, "id", f"{ref} is also record {first}; each ticket appears once in a file")
        return False
    return True


#: Where the files of an export are looked for, beside the export file.
FILES_FOLDER = "attachments"


def files_of(message: MessageRecord, listed: object, folder: Path | None, name_key: str,
             type_key: str) -> MessageRecord:
    """The helpdesk's attachments of one message, with their bytes when the
    file is given beside the export (``attachments/<id>/<name>``,
    ``attachments/<id>-<name>`` or ``attachments/<name>``); one that is not
    is listed, not kept, and noted on the message."""
    for raw in listed if isinstance(listed, list) else []:
        if not isinstance(raw, dict) or not raw.get(name_key):
            continue
        item = Incoming(str(raw[name_key]), str(raw.get(type_key) or ""), None, inline=raw.get("inline") is True)
        size = raw.get("size")
        item.size = size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else 0
        found = None
        if folder is not None:
            base = folder / FILES_FOLDER
            ident = str(raw.get("id") or "").replace("/", "_").replace("\\", "_").strip(".")
            candidates = ([base / ident / item.name, base / f"{ident}-{item.name}"] if ident else []) + \
                [base / item.name]
            found = next((c for c in candidates if c.is_file()), None)
        if found is not None:
            item = Incoming(item.name, item.type, found.read_bytes(), inline=item.inline)
        else:
            message.defects.append(f"attachment {item.name} was not given beside the export "
                                   f"(looked in {FILES_FOLDER}/); it is listed, not kept")
        message.attachments.append(item)
    return message
