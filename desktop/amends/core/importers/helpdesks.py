"""Exports of other helpdesks: Zendesk, Help Scout and Freshdesk API JSON.

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
from amends.core.importers.amends import read_json
from amends.core.importers.mail import html_to_text
from amends.core.importers.records import CustomerRecord, MessageRecord, Parsed, TicketRecord
from amends.core.importers.values import BadValue, category_value, time_value

ZENDESK_STATUS = {"new": "open", "open": "open", "pending": "pending", "hold": "pending", "solved": "resolved",
                  "closed": "resolved"}
ZENDESK_PRIORITY = {None: 1, "low": 0, "normal": 1, "high": 2, "urgent": 3}
HELPSCOUT_STATUS = {"active": "open", "open": "open", "pending": "pending", "closed": "resolved", "spam": "resolved"}
FRESHDESK_STATUS = {2: "open", 3: "pending", 4: "resolved", 5: "resolved", 6: "pending", 7: "pending"}
FRESHDESK_PRIORITY = {1: 0, 2: 1, 3: 2, 4: 3}


def _category(*candidates) -> str:
    for candidate in candidates:
        for value in (candidate if isinstance(candidate, list) else [candidate]):
            if isinstance(value, dict):
                value = value.get("tag") or value.get("name")
            if not value:
                continue
            try:
                category = category_value(value)
            except BadValue:
                continue
            if category != "other" or str(value).lower() == "other":
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


def _mapped(parsed: Parsed, number: int, field: str, table: dict, raw, helpdesk: str):
    """The Amends value for a helpdesk's status or priority, or None after
    reporting where the unknown one was; a list or object where a scalar
    belongs is unknown too, not a crash."""
    try:
        value = table.get(raw)
    except TypeError:  # unhashable: a list or an object
        value = None
    if value is None:
        parsed.problem("tickets", number, field, f"unknown {helpdesk} {field} {raw!r}")
    return value


def _time(parsed: Parsed, number: int, field: str, value, required: bool = True) -> str | None:
    try:
        return time_value(value, required=required)
    except BadValue as error:
        parsed.problem("tickets", number, field, str(error))
        return None


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
    users = {u.get("id"): u for u in doc.get("users", []) if isinstance(u, dict)}
    for user in users.values():
        if user.get("email") and user.get("role", "end-user") == "end-user":
            parsed.customers.append(CustomerRecord(f"zendesk-user:{user['id']}", user["email"], user.get("name") or ""))
    comments: dict[object, list[MessageRecord]] = {}
    for number, audit in enumerate(doc.get("audits", []), start=1):
        for event in audit.get("events", []) if isinstance(audit, dict) else []:
            if isinstance(event, dict) and event.get("type") == "Comment":
                event = dict(event, created_at=event.get("created_at") or audit.get("created_at"),
                             author_id=event.get("author_id") or audit.get("author_id"))
                _zendesk_comment(parsed, number, audit.get("ticket_id"), event, users, comments, folder)
    for number, comment in enumerate(doc.get("comments", []), start=1):
        if isinstance(comment, dict):
            _zendesk_comment(parsed, number, comment.get("ticket_id", doc.get("ticket_id")), comment, users, comments,
                             folder)
    for number, ticket in enumerate(doc.get("tickets", []), start=1):
        if not isinstance(ticket, dict) or "id" not in ticket:
            parsed.problem("tickets", number, "tickets", "a ticket needs an id")
            continue
        status = _mapped(parsed, number, "status", ZENDESK_STATUS, ticket.get("status"), "Zendesk")
        priority = _mapped(parsed, number, "priority", ZENDESK_PRIORITY, ticket.get("priority"), "Zendesk")
        created = _time(parsed, number, "created_at", ticket.get("created_at"))
        updated = _time(parsed, number, "updated_at", ticket.get("updated_at"), required=False)
        subject = str(ticket.get("subject") or ticket.get("raw_subject") or "").strip()
        if not subject:
            parsed.problem("tickets", number, "subject", "a ticket needs a subject")
        if status is None or priority is None or created is None or not subject:
            continue
        requester = users.get(ticket.get("requester_id"))
        messages = comments.get(ticket["id"]) or ([MessageRecord(
            "in", (requester or {}).get("name") or "customer", created, str(ticket["description"]),
            f"zendesk-ticket:{ticket['id']}:description")] if ticket.get("description") else [])
        assignee = users.get(ticket.get("assignee_id"), {}).get("name")
        parsed.tickets.append(TicketRecord(
            f"zendesk:{ticket['id']}", subject, _category(ticket.get("tags", []), ticket.get("type")), status,
            priority, assignee, created, updated or created,
            f"zendesk-user:{ticket['requester_id']}" if requester and requester.get("email") else None,
            sorted(messages, key=lambda m: m.at), None, number, tags=_tags(ticket.get("tags"))))
    return parsed


def _zendesk_comment(parsed, number, ticket_id, comment, users, comments, folder: Path | None = None) -> None:
    at = _time(parsed, number, "comments.created_at", comment.get("created_at"))
    body = comment.get("plain_body") or comment.get("body") or html_to_text(comment.get("html_body") or "")
    if at is None or ticket_id is None or not str(body).strip():
        return
    author = users.get(comment.get("author_id"), {})
    direction = "note" if comment.get("public") is False else (
        "in" if author.get("role", "end-user") == "end-user" else "out")
    comments.setdefault(ticket_id, []).append(_files(
        MessageRecord(direction, author.get("name") or "unknown", at, str(body), f"zendesk-comment:{comment.get('id')}"),
        comment.get("attachments"), folder, "file_name", "content_type"))


def helpscout(doc: dict, folder: Path | None = None) -> Parsed:
    parsed = Parsed("tickets")
    conversations = doc.get("_embedded", {}).get("conversations") if isinstance(doc.get("_embedded"), dict) else None
    if conversations is None:
        conversations = doc.get("items", [])  # the v1 shape
    seen_customers: dict[str, CustomerRecord] = {}
    for number, conv in enumerate(conversations, start=1):
        if not isinstance(conv, dict) or "id" not in conv:
            parsed.problem("tickets", number, "conversations", "a conversation needs an id")
            continue
        status = _mapped(parsed, number, "status", HELPSCOUT_STATUS, conv.get("status"), "Help Scout")
        if status is None:
            continue
        created = _time(parsed, number, "createdAt", conv.get("createdAt"))
        if created is None:
            continue
        customer = conv.get("primaryCustomer") or conv.get("customer") or {}
        email = customer.get("email")
        name = " ".join(filter(None, [customer.get("first") or customer.get("firstName"),
                                      customer.get("last") or customer.get("lastName")]))
        ref = None
        if email:
            ref = f"email:{email.lower()}"
            seen_customers.setdefault(ref, CustomerRecord(ref, email, name))
        threads = (conv.get("_embedded") or {}).get("threads") or conv.get("threads") or []
        messages = []
        for thread in threads:
            if not isinstance(thread, dict) or thread.get("type") in ("lineitem", "forwardparent", "phone_log"):
                continue
            at = _time(parsed, number, "threads.createdAt", thread.get("createdAt"))
            body = html_to_text(thread.get("body") or thread.get("text") or "")
            if at is None or not body:
                continue
            kind = thread.get("type")
            by = thread.get("createdBy") or {}
            direction = "note" if kind == "note" else ("in" if kind == "customer" or by.get("type") == "customer"
                                                       else "out")
            author = " ".join(filter(None, [by.get("first") or by.get("firstName"),
                                            by.get("last") or by.get("lastName")])) or by.get("email") or "unknown"
            messages.append(_files(MessageRecord(direction, author, at, body, f"helpscout-thread:{thread.get('id')}"),
                                   (thread.get("_embedded") or {}).get("attachments") or thread.get("attachments"),
                                   folder, "filename", "mimeType"))
        owner = conv.get("assignee") or conv.get("owner") or {}
        parsed.tickets.append(TicketRecord(
            f"helpscout:{conv['id']}", str(conv.get("subject") or "(no subject)").strip(),
            _category(conv.get("tags", [])), status, 1,
            " ".join(filter(None, [owner.get("first") or owner.get("firstName"),
                                   owner.get("last") or owner.get("lastName")])) or None,
            created, _time(parsed, number, "userUpdatedAt", conv.get("userUpdatedAt") or conv.get("modifiedAt"),
                           required=False) or created, ref, sorted(messages, key=lambda m: m.at), None, number,
            tags=_tags(conv.get("tags"))))
    parsed.customers = list(seen_customers.values())
    return parsed


def freshdesk(doc, folder: Path | None = None) -> Parsed:
    parsed = Parsed("tickets")
    tickets = doc if isinstance(doc, list) else doc.get("tickets", [])
    conversations = [] if isinstance(doc, list) else doc.get("conversations", [])
    by_ticket: dict[object, list[MessageRecord]] = {}
    for number, conv in enumerate(conversations, start=1):
        if isinstance(conv, dict):
            _freshdesk_conversation(parsed, number, conv, by_ticket, folder)
    customers: dict[str, CustomerRecord] = {}
    for number, ticket in enumerate(tickets, start=1):
        if not isinstance(ticket, dict) or "id" not in ticket:
            parsed.problem("tickets", number, "tickets", "a ticket needs an id")
            continue
        for conv in ticket.get("conversations", []) or []:
            if isinstance(conv, dict):
                _freshdesk_conversation(parsed, number, dict(conv, ticket_id=ticket["id"]), by_ticket, folder)
        status = _mapped(parsed, number, "status", FRESHDESK_STATUS, ticket.get("status"), "Freshdesk")
        priority = _mapped(parsed, number, "priority", FRESHDESK_PRIORITY, ticket.get("priority", 2), "Freshdesk")
        created = _time(parsed, number, "created_at", ticket.get("created_at"))
        if status is None or priority is None or created is None:
            continue
        requester = ticket.get("requester") or {}
        email = requester.get("email") or ticket.get("email")
        ref = None
        if email:
            ref = f"email:{email.lower()}"
            customers.setdefault(ref, CustomerRecord(ref, email, requester.get("name") or ""))
        description = ticket.get("description_text") or html_to_text(ticket.get("description") or "")
        messages = [_files(MessageRecord("in", requester.get("name") or email or "customer", created, description,
                                         f"freshdesk-ticket:{ticket['id']}:description"),
                           ticket.get("attachments"), folder, "name", "content_type")] if description else []
        messages += by_ticket.get(ticket["id"], [])
        parsed.tickets.append(TicketRecord(
            f"freshdesk:{ticket['id']}", str(ticket.get("subject") or "(no subject)").strip(),
            _category(ticket.get("tags", []), ticket.get("type")), status, priority, None, created,
            _time(parsed, number, "updated_at", ticket.get("updated_at"), required=False) or created, ref,
            sorted(messages, key=lambda m: m.at), None, number, tags=_tags(ticket.get("tags"))))
    parsed.customers = list(customers.values())
    return parsed


def _freshdesk_conversation(parsed, number, conv, by_ticket, folder: Path | None = None) -> None:
    at = _time(parsed, number, "conversations.created_at", conv.get("created_at"))
    body = conv.get("body_text") or html_to_text(conv.get("body") or "")
    if at is None or not body or conv.get("ticket_id") is None:
        return
    direction = "note" if conv.get("private") else ("in" if conv.get("incoming") else "out")
    by_ticket.setdefault(conv["ticket_id"], []).append(_files(
        MessageRecord(direction, str(conv.get("from_email") or conv.get("user_id") or "unknown"), at, body,
                      f"freshdesk-conversation:{conv.get('id')}"), conv.get("attachments"), folder, "name",
        "content_type"))


def parse(path: Path, kind: str) -> Parsed:
    try:
        doc = read_json(path)
    except BadValue as error:
        parsed = Parsed("tickets")
        parsed.problem("document", 0, "", str(error))
        return parsed
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
        return "freshdesk" if doc and isinstance(doc[0], dict) and "description_text" in doc[0] else None
    if not isinstance(doc, dict):
        return None
    if doc.get("format") == "amends":
        return "amends"
    if "_embedded" in doc or ("items" in doc and "page" in doc):
        return "helpscout"
    if any(k in doc for k in ("tickets", "audits", "comments", "users")):
        tickets = doc.get("tickets") or []
        if tickets and isinstance(tickets[0], dict) and "description_text" in tickets[0]:
            return "freshdesk"
        return "zendesk"
    return None
