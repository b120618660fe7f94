"""Exports of other helpdesks: Zendesk, Help Scout, Freshdesk and Gorgias API JSON.

What each file holds is recognised by its keys, so a folder of API dumps can
be imported in any order: tickets (or conversations) become tickets, users
become customers, comments and threads become messages. Tickets keep the
helpdesk's ids as refs (``zendesk:123``), so a newer export updates them.
A category is taken from a tag or type that names one (``damaged_shipment``
or "Damaged shipment"), else ``other``.
"""

from __future__ import annotations

from pathlib import Path

from amends.core.attachments import Incoming
from amends.core.importers.amends import read_checked
from amends.core.importers.mail import html_to_text
from amends.core.importers.records import CustomerRecord, MessageRecord, Parsed, TicketRecord
from amends.core.importers.values import BadValue, category_value, email_value, time_value

ZENDESK_STATUS = {"new": "open", "open": "open", "pending": "pending", "hold": "pending", "solved": "resolved",
                  "closed": "resolved"}
ZENDESK_PRIORITY = {None: 1, "low": 0, "normal": 1, "high": 2, "urgent": 3}
HELPSCOUT_STATUS = {"active": "open", "open": "open", "pending": "pending", "closed": "resolved", "spam": "resolved"}
FRESHDESK_STATUS = {2: "open", 3: "pending", 4: "resolved", 5: "resolved", 6: "pending", 7: "pending"}
FRESHDESK_PRIORITY = {1: 0, 2: 1, 3: 2, 4: 3}
GORGIAS_STATUS = {"open": "open", "closed": "resolved"}
GORGIAS_PRIORITY = {None: 1, "low": 0, "normal": 1, "high": 2, "critical": 3}


def _category(*candidates) -> str:
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


def _tags(raw) -> list[str]:
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


# -- reading fields whatever their JSON type ---------------------------------
# An export is someone else's JSON: every field is read through these, so a
# list where a name belongs, or a number where an object belongs, is reported
# where it is (or, for optional parts, left out), never a TypeError.

def _obj(value: object) -> dict:
    """An optional nested object (a requester, an assignee): anything that
    is not an object counts as missing."""
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str:
    """Optional text (a name, a body): text as it is, a number as its digits,
    anything else empty."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return ""


def _words(*parts: object) -> str:
    return " ".join(filter(None, (_text(p).strip() for p in parts)))


def _ident(value: object) -> int | str | None:
    """An id: a whole number or text; anything else is no id."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or (isinstance(value, str) and value.strip()):
        return value
    return None


def _list(parsed: Parsed, doc: dict, key: str) -> list:
    """A top-level list of the export; a missing one is empty, anything
    else is reported."""
    value = doc.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        parsed.problem("document", 0, key, "must be a list")
        return []
    return value


def _email(parsed: Parsed, section: str, number: int, field: str, value: object) -> str | None:
    """The address, normalised (one customer per address: values.email_value),
    or None after reporting why it is not one."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    found = _address(parsed, section, number, field, value)
    return None if found is None else found[0]


def _mapped(parsed: Parsed, number: int, field: str, table: dict, raw, helpdesk: str):
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


def _address(parsed: Parsed, section: str, number: int, field: str, raw) -> tuple[str, str] | None:
    """A requester's address, normalised (one customer per address across
    every helpdesk, mail and CSV), or None after reporting why it is not one."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        return email_value(raw, name=field)
    except BadValue as error:
        parsed.problem(section, number, field, str(error))
        return None


def _time(parsed: Parsed, number: int, field: str, value, required: bool = True, section: str = "tickets"
          ) -> str | None:
    try:
        return time_value(value, required=required)
    except BadValue as error:
        parsed.problem(section, number, field, str(error))
        return None


def _ticket_id(parsed: Parsed, number: int, field: str, ticket: object) -> int | str | None:
    ident = _ident(ticket.get("id")) if isinstance(ticket, dict) else None
    if ident is None:
        parsed.problem("tickets", number, field, "a ticket needs an id (a number or text)")
    return ident


def _once(parsed: Parsed, number: int, ref: str, seen: dict[str, int]) -> bool:
    """True the first time a ticket appears in the file; a second record for
    it is a problem (it would silently replace the first)."""
    first = seen.setdefault(ref, number)
    if first != number:
        parsed.problem("tickets", number, "id", f"{ref} is also record {first}; each ticket appears once in a file")
        return False
    return True


#: Where the files of an export are looked for, beside the export file.
FILES_FOLDER = "attachments"


def _files(message: MessageRecord, listed, folder: Path | None, name_key: str, type_key: str) -> MessageRecord:
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


def zendesk(doc: dict, folder: Path | None = None) -> Parsed:
    parsed = Parsed("tickets")
    users = {}
    for user in _list(parsed, doc, "users"):
        if isinstance(user, dict) and _ident(user.get("id")) is not None:
            users[user["id"]] = user
    for number, user in enumerate(_list(parsed, doc, "users"), start=1):
        if not isinstance(user, dict) or users.get(_ident(user.get("id"))) is not user:
            continue
        email = _email(parsed, "users", number, "users.email", user.get("email"))
        if email and user.get("role", "end-user") == "end-user":
            parsed.customers.append(CustomerRecord(f"zendesk-user:{user['id']}", email, _text(user.get("name"))))
    comments: dict[object, list[MessageRecord]] = {}
    for number, audit in enumerate(_list(parsed, doc, "audits"), start=1):
        audit = _obj(audit)
        events = audit.get("events")
        for event in events if isinstance(events, list) else []:
            if isinstance(event, dict) and event.get("type") == "Comment":
                event = dict(event, created_at=event.get("created_at") or audit.get("created_at"),
                             author_id=event.get("author_id") or audit.get("author_id"))
                _zendesk_comment(parsed, "audits", number, audit.get("ticket_id"), event, users, comments, folder)
    for number, comment in enumerate(_list(parsed, doc, "comments"), start=1):
        if isinstance(comment, dict):
            _zendesk_comment(parsed, "comments", number, comment.get("ticket_id", doc.get("ticket_id")), comment,
                             users, comments, folder)
    seen: dict[str, int] = {}
    customer_refs = {c.ref for c in parsed.customers}
    for number, ticket in enumerate(_list(parsed, doc, "tickets"), start=1):
        ident = _ticket_id(parsed, number, "tickets", ticket)
        if ident is None:
            continue
        status = _mapped(parsed, number, "status", ZENDESK_STATUS, ticket.get("status"), "Zendesk")
        priority = _mapped(parsed, number, "priority", ZENDESK_PRIORITY, ticket.get("priority"), "Zendesk")
        created = _time(parsed, number, "created_at", ticket.get("created_at"))
        updated = _time(parsed, number, "updated_at", ticket.get("updated_at"), required=False)
        subject = (_text(ticket.get("subject")) or _text(ticket.get("raw_subject"))).strip()
        if not subject:
            parsed.problem("tickets", number, "subject", "a ticket needs a subject")
        if status is None or priority is None or created is None or not subject \
                or not _once(parsed, number, f"zendesk:{ident}", seen):
            continue
        requester = users.get(_ident(ticket.get("requester_id")))
        description = _text(ticket.get("description"))
        messages = comments.get(ident) or ([MessageRecord(
            "in", _text((requester or {}).get("name")) or "customer", created, description,
            f"zendesk-ticket:{ident}:description")] if description.strip() else [])
        assignee = _text(_obj(users.get(_ident(ticket.get("assignee_id")))).get("name")) or None
        customer = f"zendesk-user:{requester['id']}" if requester and \
            f"zendesk-user:{requester['id']}" in customer_refs else None
        parsed.tickets.append(TicketRecord(
            f"zendesk:{ident}", subject, _category(ticket.get("tags", []), ticket.get("type")), status,
            priority, assignee, created, updated or created, customer,
            sorted(messages, key=lambda m: m.at), None, number, tags=_tags(ticket.get("tags"))))
    return parsed


def _zendesk_comment(parsed, section, number, ticket_id, comment, users, comments,
                     folder: Path | None = None) -> None:
    at = _time(parsed, number, f"{section}.created_at", comment.get("created_at"), section=section)
    body = _text(comment.get("plain_body")) or _text(comment.get("body")) or html_to_text(_text(comment.get("html_body")))
    ticket_id = _ident(ticket_id)
    if at is None or ticket_id is None or not body.strip():
        return
    author = _obj(users.get(_ident(comment.get("author_id"))))
    direction = "note" if comment.get("public") is False else (
        "in" if author.get("role", "end-user") == "end-user" else "out")
    comments.setdefault(ticket_id, []).append(_files(
        MessageRecord(direction, _text(author.get("name")) or "unknown", at, body,
                      f"zendesk-comment:{_text(comment.get('id'))}"),
        comment.get("attachments"), folder, "file_name", "content_type"))


def helpscout(doc: dict, folder: Path | None = None) -> Parsed:
    parsed = Parsed("tickets")
    embedded = _obj(doc.get("_embedded"))
    conversations = embedded.get("conversations") if "conversations" in embedded else doc.get("items", [])
    if not isinstance(conversations, list):
        parsed.problem("document", 0, "conversations", "must be a list")
        conversations = []
    seen_customers: dict[str, CustomerRecord] = {}
    seen: dict[str, int] = {}
    for number, conv in enumerate(conversations, start=1):
        ident = _ticket_id(parsed, number, "conversations", conv)
        if ident is None:
            continue
        status = _mapped(parsed, number, "status", HELPSCOUT_STATUS, conv.get("status"), "Help Scout")
        created = _time(parsed, number, "createdAt", conv.get("createdAt"))
        if status is None or created is None:
            continue
        customer = _obj(conv.get("primaryCustomer") or conv.get("customer"))
        email = _email(parsed, "tickets", number, "primaryCustomer.email", customer.get("email"))
        name = _words(customer.get("first") or customer.get("firstName"),
                      customer.get("last") or customer.get("lastName"))
        ref = None
        if email:
            ref = f"email:{email.lower()}"
            seen_customers.setdefault(ref, CustomerRecord(ref, email, name))
        threads = _obj(conv.get("_embedded")).get("threads") or conv.get("threads") or []
        messages = []
        for thread in threads if isinstance(threads, list) else []:
            if not isinstance(thread, dict) or thread.get("type") in ("lineitem", "forwardparent", "phone_log"):
                continue
            at = _time(parsed, number, "threads.createdAt", thread.get("createdAt"))
            body = html_to_text(_text(thread.get("body")) or _text(thread.get("text")))
            if at is None or not body:
                continue
            kind = thread.get("type")
            by = _obj(thread.get("createdBy"))
            direction = "note" if kind == "note" else ("in" if kind == "customer" or by.get("type") == "customer"
                                                       else "out")
            author = _words(by.get("first") or by.get("firstName"), by.get("last") or by.get("lastName")) \
                or _text(by.get("email")) or "unknown"
            messages.append(_files(MessageRecord(direction, author, at, body, f"helpscout-thread:{_text(thread.get('id'))}"),
                                   _obj(thread.get("_embedded")).get("attachments") or thread.get("attachments"),
                                   folder, "filename", "mimeType"))
        owner = _obj(conv.get("assignee") or conv.get("owner"))
        updated = _time(parsed, number, "userUpdatedAt", conv.get("userUpdatedAt") or conv.get("modifiedAt"),
                        required=False) or created
        if not _once(parsed, number, f"helpscout:{ident}", seen):
            continue
        parsed.tickets.append(TicketRecord(
            f"helpscout:{ident}", _text(conv.get("subject")).strip() or "(no subject)",
            _category(conv.get("tags", [])), status, 1,
            _words(owner.get("first") or owner.get("firstName"), owner.get("last") or owner.get("lastName")) or None,
            created, updated, ref, sorted(messages, key=lambda m: m.at), None, number,
            tags=_tags(conv.get("tags"))))
    parsed.customers = list(seen_customers.values())
    return parsed


def freshdesk(doc, folder: Path | None = None) -> Parsed:
    parsed = Parsed("tickets")
    tickets = doc if isinstance(doc, list) else _list(parsed, doc, "tickets")
    conversations = [] if isinstance(doc, list) else _list(parsed, doc, "conversations")
    by_ticket: dict[object, list[MessageRecord]] = {}
    for number, conv in enumerate(conversations, start=1):
        if isinstance(conv, dict):
            _freshdesk_conversation(parsed, "conversations", number, conv, by_ticket, folder)
    customers: dict[str, CustomerRecord] = {}
    seen: dict[str, int] = {}
    for number, ticket in enumerate(tickets, start=1):
        ident = _ticket_id(parsed, number, "tickets", ticket)
        if ident is None:
            continue
        inline = ticket.get("conversations")
        for conv in inline if isinstance(inline, list) else []:
            if isinstance(conv, dict):
                _freshdesk_conversation(parsed, "tickets", number, dict(conv, ticket_id=ident), by_ticket, folder)
        status = _mapped(parsed, number, "status", FRESHDESK_STATUS, ticket.get("status"), "Freshdesk")
        priority = _mapped(parsed, number, "priority", FRESHDESK_PRIORITY, ticket.get("priority", 2), "Freshdesk")
        created = _time(parsed, number, "created_at", ticket.get("created_at"))
        if status is None or priority is None or created is None:
            continue
        requester = _obj(ticket.get("requester"))
        email = _email(parsed, "tickets", number, "requester.email", requester.get("email") or ticket.get("email"))
        ref = None
        if email:
            ref = f"email:{email.lower()}"
            customers.setdefault(ref, CustomerRecord(ref, email, _text(requester.get("name"))))
        description = _text(ticket.get("description_text")) or html_to_text(_text(ticket.get("description")))
        messages = [_files(MessageRecord("in", _text(requester.get("name")) or email or "customer", created, description,
                                         f"freshdesk-ticket:{ident}:description"),
                           ticket.get("attachments"), folder, "name", "content_type")] if description.strip() else []
        messages += by_ticket.get(ident, [])
        updated = _time(parsed, number, "updated_at", ticket.get("updated_at"), required=False) or created
        if not _once(parsed, number, f"freshdesk:{ident}", seen):
            continue
        parsed.tickets.append(TicketRecord(
            f"freshdesk:{ident}", _text(ticket.get("subject")).strip() or "(no subject)",
            _category(ticket.get("tags", []), ticket.get("type")), status, priority, None, created,
            updated, ref, sorted(messages, key=lambda m: m.at), None, number, tags=_tags(ticket.get("tags"))))
    parsed.customers = list(customers.values())
    return parsed


def _freshdesk_conversation(parsed, section, number, conv, by_ticket, folder: Path | None = None) -> None:
    at = _time(parsed, number, "conversations.created_at", conv.get("created_at"), section=section)
    body = _text(conv.get("body_text")) or html_to_text(_text(conv.get("body")))
    ticket_id = _ident(conv.get("ticket_id"))
    if at is None or not body.strip() or ticket_id is None:
        return
    direction = "note" if conv.get("private") else ("in" if conv.get("incoming") else "out")
    by_ticket.setdefault(ticket_id, []).append(_files(
        MessageRecord(direction, _text(conv.get("from_email")) or _text(conv.get("user_id")) or "unknown", at, body,
                      f"freshdesk-conversation:{_text(conv.get('id'))}"), conv.get("attachments"), folder, "name",
        "content_type"))


def gorgias(doc) -> Parsed:
    """Gorgias (common with Shopify subscription stores): its REST API's
    tickets (``GET /api/tickets``, a ``data`` list, or a bare list), each
    with its ``messages`` when exported with them. The customer's address
    is the ticket's ``customer.email``, else the first customer message's
    sender; agents' messages are ``from_agent``; a non-public one is a note."""
    parsed = Parsed("tickets")
    items = doc if isinstance(doc, list) else doc.get("data", doc.get("tickets"))
    if not isinstance(items, list):
        parsed.problem("document", 0, "data", "expected Gorgias tickets (a list, or an object with data)")
        return parsed
    customers: dict[str, CustomerRecord] = {}
    seen: dict[str, int] = {}
    for number, ticket in enumerate(items, start=1):
        if not isinstance(ticket, dict) or _ident(ticket.get("id")) is None:
            parsed.problem("tickets", number, "id", "a ticket needs an id (a number or text)")
            continue
        if not _once(parsed, number, f"gorgias:{ticket['id']}", seen):
            continue
        status = _mapped(parsed, number, "status", GORGIAS_STATUS, ticket.get("status"), "Gorgias")
        priority = _mapped(parsed, number, "priority", GORGIAS_PRIORITY, ticket.get("priority"), "Gorgias")
        created = _time(parsed, number, "created_datetime", ticket.get("created_datetime"))
        updated = _time(parsed, number, "updated_datetime", ticket.get("updated_datetime"), required=False)
        raw_messages = ticket.get("messages") or []
        if not isinstance(raw_messages, list):
            parsed.problem("tickets", number, "messages", "must be a list")
            raw_messages = []
        messages = [m for position, raw in enumerate(raw_messages)
                    if (m := _gorgias_message(parsed, number, position, raw)) is not None]
        customer = _object(ticket.get("customer"))
        email = customer.get("email") or next(
            (_sender_address(raw) for raw in raw_messages if isinstance(raw, dict) and not raw.get("from_agent")
             and _sender_address(raw)), None)
        found = _address(parsed, "tickets", number, "customer.email", email)
        if status is None or priority is None or created is None:
            continue
        ref = None
        if found:
            ref = f"email:{found[0]}"
            name = " ".join(str(p) for p in (customer.get("firstname"), customer.get("lastname")) if p) or \
                str(customer.get("name") or found[1])
            customers.setdefault(ref, CustomerRecord(ref, found[0], name))
        subject = ticket.get("subject")
        assignee = _object(ticket.get("assignee_user"))
        parsed.tickets.append(TicketRecord(
            f"gorgias:{ticket['id']}", str(subject).strip() if isinstance(subject, str) and subject.strip()
            else "(no subject)", _category(ticket.get("tags", [])), status, priority,
            str(assignee.get("name") or assignee.get("email") or "") or None, created, updated or created, ref,
            sorted(messages, key=lambda m: m.at), None, number, tags=_tags(ticket.get("tags"))))
    parsed.customers = list(customers.values())
    return parsed


def _object(value: object) -> dict:
    """``value`` when it is a JSON object, else an empty one (a hostile or
    broken export puts lists, text or null where objects belong)."""
    return value if isinstance(value, dict) else {}


def _sender_address(message: dict) -> str | None:
    source = _object(message.get("source"))
    sender = _object(source.get("from"))
    if not sender:
        sender = _object(message.get("sender"))
    address = sender.get("address") or sender.get("email")
    return address if isinstance(address, str) and address.strip() else None


def _gorgias_message(parsed: Parsed, number: int, position: int, raw) -> MessageRecord | None:
    where = f"messages[{position}]"
    if not isinstance(raw, dict):
        parsed.problem("tickets", number, where, "must be an object")
        return None
    at = _time(parsed, number, f"{where}.created_datetime", raw.get("created_datetime"))
    text, html = raw.get("body_text"), raw.get("body_html")
    if (text is not None and not isinstance(text, str)) or (html is not None and not isinstance(html, str)):
        parsed.problem("tickets", number, f"{where}.body_text", "must be text")
        return None
    body = text or html_to_text(html or "")
    if at is None or not body.strip():
        return None
    sender = _object(raw.get("sender"))
    direction = "note" if raw.get("public") is False else ("out" if raw.get("from_agent") else "in")
    author = str(sender.get("name") or sender.get("email") or _sender_address(raw) or "unknown")
    return MessageRecord(direction, author, at, body, f"gorgias-message:{raw.get('id', f'{number}.{position}')}")


def parse(path: Path, kind: str) -> Parsed:
    checked = Parsed("tickets")
    doc = read_checked(path, checked)
    if doc is None:
        return checked
    if kind == "gorgias":
        if not isinstance(doc, (list, dict)):
            checked.problem("document", 0, "", "expected Gorgias tickets (a list, or an object with data)")
            return checked
        return gorgias(doc)
    if kind == "freshdesk":
        if not isinstance(doc, (list, dict)):
            parsed = Parsed("tickets")
            parsed.problem("document", 0, "", "expected Freshdesk tickets (a list) or an object with tickets")
            return parsed
        return freshdesk(doc, path.parent)
    if not isinstance(doc, dict):
        parsed = Parsed("tickets")
        parsed.problem("document", 0, "", f"expected a {kind} API response (a JSON object)")
        return parsed
    return zendesk(doc, path.parent) if kind == "zendesk" else helpscout(doc, path.parent)


def sniff(doc: object) -> str | None:
    """Which helpdesk wrote this JSON, from its keys."""
    if isinstance(doc, list):
        if doc and isinstance(doc[0], dict) and "created_datetime" in doc[0]:
            return "gorgias"
        return "freshdesk" if doc and isinstance(doc[0], dict) and "description_text" in doc[0] else None
    if not isinstance(doc, dict):
        return None
    if doc.get("format") == "amends":
        return "amends"
    data = doc.get("data")
    if isinstance(data, list) and data and isinstance(data[0], dict) and "created_datetime" in data[0]:
        return "gorgias"
    if "_embedded" in doc or ("items" in doc and "page" in doc):
        return "helpscout"
    if any(k in doc for k in ("tickets", "audits", "comments", "users")):
        tickets = doc.get("tickets")
        if isinstance(tickets, list) and tickets and isinstance(tickets[0], dict) and "description_text" in tickets[0]:
            return "freshdesk"
        return "zendesk"
    return None
