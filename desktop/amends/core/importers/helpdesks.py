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

from amends.core.importers.amends import read_json
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


def _time(parsed: Parsed, number: int, field: str, value, required: bool = True) -> str | None:
    try:
        return time_value(value, required=required)
    except BadValue as error:
        parsed.problem("tickets", number, field, str(error))
        return None


def zendesk(doc: dict) -> Parsed:
    parsed = Parsed("tickets")
    users = {u.get("id"): u for u in doc.get("users", []) if isinstance(u, dict)}
    for number, user in enumerate(doc.get("users", []), start=1):
        if isinstance(user, dict) and user.get("email") and user.get("role", "end-user") == "end-user":
            found = _address(parsed, "customers", number, "users.email", user["email"])
            if found is None:
                users[user.get("id")] = dict(user, email=None)  # its tickets keep no customer
                continue
            parsed.customers.append(CustomerRecord(f"zendesk-user:{user['id']}", found[0],
                                                   str(user.get("name") or found[1])))
    comments: dict[object, list[MessageRecord]] = {}
    for number, audit in enumerate(doc.get("audits", []), start=1):
        for event in audit.get("events", []) if isinstance(audit, dict) else []:
            if isinstance(event, dict) and event.get("type") == "Comment":
                event = dict(event, created_at=event.get("created_at") or audit.get("created_at"),
                             author_id=event.get("author_id") or audit.get("author_id"))
                _zendesk_comment(parsed, number, audit.get("ticket_id"), event, users, comments)
    for number, comment in enumerate(doc.get("comments", []), start=1):
        if isinstance(comment, dict):
            _zendesk_comment(parsed, number, comment.get("ticket_id", doc.get("ticket_id")), comment, users, comments)
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


def _zendesk_comment(parsed, number, ticket_id, comment, users, comments) -> None:
    at = _time(parsed, number, "comments.created_at", comment.get("created_at"))
    body = comment.get("plain_body") or comment.get("body") or html_to_text(comment.get("html_body") or "")
    if at is None or ticket_id is None or not str(body).strip():
        return
    author = users.get(comment.get("author_id"), {})
    direction = "note" if comment.get("public") is False else (
        "in" if author.get("role", "end-user") == "end-user" else "out")
    comments.setdefault(ticket_id, []).append(MessageRecord(direction, author.get("name") or "unknown", at, str(body),
                                                            f"zendesk-comment:{comment.get('id')}"))


def helpscout(doc: dict) -> Parsed:
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
        if not isinstance(customer, dict):
            customer = {}
        found = _address(parsed, "tickets", number, "primaryCustomer.email", customer.get("email"))
        name = " ".join(filter(None, [customer.get("first") or customer.get("firstName"),
                                      customer.get("last") or customer.get("lastName")]))
        ref = None
        if found:
            ref = f"email:{found[0]}"
            seen_customers.setdefault(ref, CustomerRecord(ref, found[0], name or found[1]))
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
            messages.append(MessageRecord(direction, author, at, body, f"helpscout-thread:{thread.get('id')}"))
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


def freshdesk(doc) -> Parsed:
    parsed = Parsed("tickets")
    tickets = doc if isinstance(doc, list) else doc.get("tickets", [])
    conversations = [] if isinstance(doc, list) else doc.get("conversations", [])
    by_ticket: dict[object, list[MessageRecord]] = {}
    for number, conv in enumerate(conversations, start=1):
        if isinstance(conv, dict):
            _freshdesk_conversation(parsed, number, conv, by_ticket)
    customers: dict[str, CustomerRecord] = {}
    for number, ticket in enumerate(tickets, start=1):
        if not isinstance(ticket, dict) or "id" not in ticket:
            parsed.problem("tickets", number, "tickets", "a ticket needs an id")
            continue
        for conv in ticket.get("conversations", []) or []:
            if isinstance(conv, dict):
                _freshdesk_conversation(parsed, number, dict(conv, ticket_id=ticket["id"]), by_ticket)
        status = _mapped(parsed, number, "status", FRESHDESK_STATUS, ticket.get("status"), "Freshdesk")
        priority = _mapped(parsed, number, "priority", FRESHDESK_PRIORITY, ticket.get("priority", 2), "Freshdesk")
        created = _time(parsed, number, "created_at", ticket.get("created_at"))
        if status is None or priority is None or created is None:
            continue
        requester = ticket.get("requester") or {}
        if not isinstance(requester, dict):
            requester = {}
        email = requester.get("email") or ticket.get("email")
        found = _address(parsed, "tickets", number, "requester.email", email)
        ref = None
        if found:
            email = found[0]
            ref = f"email:{email}"
            customers.setdefault(ref, CustomerRecord(ref, email, requester.get("name") or found[1]))
        description = ticket.get("description_text") or html_to_text(ticket.get("description") or "")
        messages = [MessageRecord("in", requester.get("name") or email or "customer", created, description,
                                  f"freshdesk-ticket:{ticket['id']}:description")] if description else []
        messages += by_ticket.get(ticket["id"], [])
        parsed.tickets.append(TicketRecord(
            f"freshdesk:{ticket['id']}", str(ticket.get("subject") or "(no subject)").strip(),
            _category(ticket.get("tags", []), ticket.get("type")), status, priority, None, created,
            _time(parsed, number, "updated_at", ticket.get("updated_at"), required=False) or created, ref,
            sorted(messages, key=lambda m: m.at), None, number, tags=_tags(ticket.get("tags"))))
    parsed.customers = list(customers.values())
    return parsed


def _freshdesk_conversation(parsed, number, conv, by_ticket) -> None:
    at = _time(parsed, number, "conversations.created_at", conv.get("created_at"))
    body = conv.get("body_text") or html_to_text(conv.get("body") or "")
    if at is None or not body or conv.get("ticket_id") is None:
        return
    direction = "note" if conv.get("private") else ("in" if conv.get("incoming") else "out")
    by_ticket.setdefault(conv["ticket_id"], []).append(
        MessageRecord(direction, str(conv.get("from_email") or conv.get("user_id") or "unknown"), at, body,
                      f"freshdesk-conversation:{conv.get('id')}"))


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
    for number, ticket in enumerate(items, start=1):
        if not isinstance(ticket, dict) or ticket.get("id") is None or isinstance(ticket.get("id"), (dict, list)):
            parsed.problem("tickets", number, "id", "a ticket needs an id")
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
    if text is not None and not isinstance(text, str) or html is not None and not isinstance(html, str):
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
    try:
        doc = read_json(path)
    except BadValue as error:
        parsed = Parsed("tickets")
        parsed.problem("document", 0, "", str(error))
        return parsed
    if kind == "gorgias":
        if not isinstance(doc, (list, dict)):
            parsed = Parsed("tickets")
            parsed.problem("document", 0, "", "expected Gorgias tickets (a list, or an object with data)")
            return parsed
        return gorgias(doc)
    if kind == "freshdesk":
        if not isinstance(doc, (list, dict)):
            parsed = Parsed("tickets")
            parsed.problem("document", 0, "", "expected Freshdesk tickets (a list) or an object with tickets")
            return parsed
        return freshdesk(doc)
    if not isinstance(doc, dict):
        parsed = Parsed("tickets")
        parsed.problem("document", 0, "", f"expected a {kind} API response (a JSON object)")
        return parsed
    return zendesk(doc) if kind == "zendesk" else helpscout(doc)


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
        tickets = doc.get("tickets") or []
        if tickets and isinstance(tickets[0], dict) and "description_text" in tickets[0]:
            return "freshdesk"
        return "zendesk"
    return None
