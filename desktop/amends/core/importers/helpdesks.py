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

from amends.core.importers.amends import read_checked
from amends.core.importers.helpdesk_fields import (
    address_of,
    category_of,
    email_of,
    files_of,
    id_of,
    json_list,
    mapped,
    obj,
    once,
    tags_of,
    text_of,
    ticket_ident,
    time_of,
    words,
)
from amends.core.importers.records import CustomerRecord, MessageRecord, Parsed, TicketRecord
from amends.core.mail.html_text import html_to_text

ZENDESK_STATUS = {"new": "open", "open": "open", "pending": "pending", "hold": "pending", "solved": "resolved",
                  "closed": "resolved"}
ZENDESK_PRIORITY = {None: 1, "low": 0, "normal": 1, "high": 2, "urgent": 3}
HELPSCOUT_STATUS = {"active": "open", "open": "open", "pending": "pending", "closed": "resolved", "spam": "resolved"}
FRESHDESK_STATUS = {2: "open", 3: "pending", 4: "resolved", 5: "resolved", 6: "pending", 7: "pending"}
FRESHDESK_PRIORITY = {1: 0, 2: 1, 3: 2, 4: 3}
GORGIAS_STATUS = {"open": "open", "closed": "resolved"}
GORGIAS_PRIORITY = {None: 1, "low": 0, "normal": 1, "high": 2, "critical": 3}


def zendesk(doc: dict, folder: Path | None = None) -> Parsed:
    parsed = Parsed("tickets")
    users = {}
    for user in json_list(parsed, doc, "users"):
        if isinstance(user, dict) and id_of(user.get("id")) is not None:
            users[user["id"]] = user
    for number, user in enumerate(json_list(parsed, doc, "users"), start=1):
        if not isinstance(user, dict) or users.get(id_of(user.get("id"))) is not user:
            continue
        email = email_of(parsed, "users", number, "users.email", user.get("email"))
        if email and user.get("role", "end-user") == "end-user":
            parsed.customers.append(CustomerRecord(f"zendesk-user:{user['id']}", email, text_of(user.get("name"))))
    comments: dict[object, list[MessageRecord]] = {}
    for number, audit in enumerate(json_list(parsed, doc, "audits"), start=1):
        audit = obj(audit)
        events = audit.get("events")
        for event in events if isinstance(events, list) else []:
            if isinstance(event, dict) and event.get("type") == "Comment":
                event = dict(event, created_at=event.get("created_at") or audit.get("created_at"),
                             author_id=event.get("author_id") or audit.get("author_id"))
                _zendesk_comment(parsed, "audits", number, audit.get("ticket_id"), event, users, comments, folder)
    for number, comment in enumerate(json_list(parsed, doc, "comments"), start=1):
        if isinstance(comment, dict):
            _zendesk_comment(parsed, "comments", number, comment.get("ticket_id", doc.get("ticket_id")), comment,
                             users, comments, folder)
    seen: dict[str, int] = {}
    customer_refs = {c.ref for c in parsed.customers}
    for number, ticket in enumerate(json_list(parsed, doc, "tickets"), start=1):
        ident = ticket_ident(parsed, number, "tickets", ticket)
        if ident is None:
            continue
        status = mapped(parsed, number, "status", ZENDESK_STATUS, ticket.get("status"), "Zendesk")
        priority = mapped(parsed, number, "priority", ZENDESK_PRIORITY, ticket.get("priority"), "Zendesk")
        created = time_of(parsed, number, "created_at", ticket.get("created_at"))
        updated = time_of(parsed, number, "updated_at", ticket.get("updated_at"), required=False)
        subject = (text_of(ticket.get("subject")) or text_of(ticket.get("raw_subject"))).strip()
        if not subject:
            parsed.problem("tickets", number, "subject", "a ticket needs a subject")
        if status is None or priority is None or created is None or not subject \
                or not once(parsed, number, f"zendesk:{ident}", seen):
            continue
        requester = users.get(id_of(ticket.get("requester_id")))
        description = text_of(ticket.get("description"))
        messages = comments.get(ident) or ([MessageRecord(
            "in", text_of((requester or {}).get("name")) or "customer", created, description,
            f"zendesk-ticket:{ident}:description")] if description.strip() else [])
        assignee = text_of(obj(users.get(id_of(ticket.get("assignee_id")))).get("name")) or None
        customer = f"zendesk-user:{requester['id']}" if requester and \
            f"zendesk-user:{requester['id']}" in customer_refs else None
        parsed.tickets.append(TicketRecord(
            f"zendesk:{ident}", subject, category_of(ticket.get("tags", []), ticket.get("type")), status,
            priority, assignee, created, updated or created, customer,
            sorted(messages, key=lambda m: m.at), None, number, tags=tags_of(ticket.get("tags"))))
    return parsed


def _zendesk_comment(parsed, section, number, ticket_id, comment, users, comments,
                     folder: Path | None = None) -> None:
    at = time_of(parsed, number, f"{section}.created_at", comment.get("created_at"), section=section)
    body = text_of(comment.get("plain_body")) or text_of(comment.get("body")) or html_to_text(text_of(comment.get("html_body")))
    ticket_id = id_of(ticket_id)
    if at is None or ticket_id is None or not body.strip():
        return
    author = obj(users.get(id_of(comment.get("author_id"))))
    direction = "note" if comment.get("public") is False else (
        "in" if author.get("role", "end-user") == "end-user" else "out")
    comments.setdefault(ticket_id, []).append(files_of(
        MessageRecord(direction, text_of(author.get("name")) or "unknown", at, body,
                      f"zendesk-comment:{text_of(comment.get('id'))}"),
        comment.get("attachments"), folder, "file_name", "content_type"))


def helpscout(doc: dict, folder: Path | None = None) -> Parsed:
    parsed = Parsed("tickets")
    embedded = obj(doc.get("_embedded"))
    conversations = embedded.get("conversations") if "conversations" in embedded else doc.get("items", [])
    if not isinstance(conversations, list):
        parsed.problem("document", 0, "conversations", "must be a list")
        conversations = []
    seen_customers: dict[str, CustomerRecord] = {}
    seen: dict[str, int] = {}
    for number, conv in enumerate(conversations, start=1):
        ident = ticket_ident(parsed, number, "conversations", conv)
        if ident is None:
            continue
        status = mapped(parsed, number, "status", HELPSCOUT_STATUS, conv.get("status"), "Help Scout")
        created = time_of(parsed, number, "createdAt", conv.get("createdAt"))
        if status is None or created is None:
            continue
        customer = obj(conv.get("primaryCustomer") or conv.get("customer"))
        email = email_of(parsed, "tickets", number, "primaryCustomer.email", customer.get("email"))
        name = words(customer.get("first") or customer.get("firstName"),
                      customer.get("last") or customer.get("lastName"))
        ref = None
        if email:
            ref = f"email:{email.lower()}"
            seen_customers.setdefault(ref, CustomerRecord(ref, email, name))
        threads = obj(conv.get("_embedded")).get("threads") or conv.get("threads") or []
        messages = []
        for thread in threads if isinstance(threads, list) else []:
            if not isinstance(thread, dict) or thread.get("type") in ("lineitem", "forwardparent", "phone_log"):
                continue
            at = time_of(parsed, number, "threads.createdAt", thread.get("createdAt"))
            body = html_to_text(text_of(thread.get("body")) or text_of(thread.get("text")))
            if at is None or not body:
                continue
            kind = thread.get("type")
            by = obj(thread.get("createdBy"))
            direction = "note" if kind == "note" else ("in" if kind == "customer" or by.get("type") == "customer"
                                                       else "out")
            author = words(by.get("first") or by.get("firstName"), by.get("last") or by.get("lastName")) \
                or text_of(by.get("email")) or "unknown"
            messages.append(files_of(MessageRecord(direction, author, at, body, f"helpscout-thread:{text_of(thread.get('id'))}"),
                                   obj(thread.get("_embedded")).get("attachments") or thread.get("attachments"),
                                   folder, "filename", "mimeType"))
        owner = obj(conv.get("assignee") or conv.get("owner"))
        updated = time_of(parsed, number, "userUpdatedAt", conv.get("userUpdatedAt") or conv.get("modifiedAt"),
                        required=False) or created
        if not once(parsed, number, f"helpscout:{ident}", seen):
            continue
        parsed.tickets.append(TicketRecord(
            f"helpscout:{ident}", text_of(conv.get("subject")).strip() or "(no subject)",
            category_of(conv.get("tags", [])), status, 1,
            words(owner.get("first") or owner.get("firstName"), owner.get("last") or owner.get("lastName")) or None,
            created, updated, ref, sorted(messages, key=lambda m: m.at), None, number,
            tags=tags_of(conv.get("tags"))))
    parsed.customers = list(seen_customers.values())
    return parsed


def freshdesk(doc, folder: Path | None = None) -> Parsed:
    parsed = Parsed("tickets")
    tickets = doc if isinstance(doc, list) else json_list(parsed, doc, "tickets")
    conversations = [] if isinstance(doc, list) else json_list(parsed, doc, "conversations")
    by_ticket: dict[object, list[MessageRecord]] = {}
    for number, conv in enumerate(conversations, start=1):
        if isinstance(conv, dict):
            _freshdesk_conversation(parsed, "conversations", number, conv, by_ticket, folder)
    customers: dict[str, CustomerRecord] = {}
    seen: dict[str, int] = {}
    for number, ticket in enumerate(tickets, start=1):
        ident = ticket_ident(parsed, number, "tickets", ticket)
        if ident is None:
            continue
        inline = ticket.get("conversations")
        for conv in inline if isinstance(inline, list) else []:
            if isinstance(conv, dict):
                _freshdesk_conversation(parsed, "tickets", number, dict(conv, ticket_id=ident), by_ticket, folder)
        status = mapped(parsed, number, "status", FRESHDESK_STATUS, ticket.get("status"), "Freshdesk")
        priority = mapped(parsed, number, "priority", FRESHDESK_PRIORITY, ticket.get("priority", 2), "Freshdesk")
        created = time_of(parsed, number, "created_at", ticket.get("created_at"))
        if status is None or priority is None or created is None:
            continue
        requester = obj(ticket.get("requester"))
        email = email_of(parsed, "tickets", number, "requester.email", requester.get("email") or ticket.get("email"))
        ref = None
        if email:
            ref = f"email:{email.lower()}"
            customers.setdefault(ref, CustomerRecord(ref, email, text_of(requester.get("name"))))
        description = text_of(ticket.get("description_text")) or html_to_text(text_of(ticket.get("description")))
        messages = [files_of(MessageRecord("in", text_of(requester.get("name")) or email or "customer", created, description,
                                         f"freshdesk-ticket:{ident}:description"),
                           ticket.get("attachments"), folder, "name", "content_type")] if description.strip() else []
        messages += by_ticket.get(ident, [])
        updated = time_of(parsed, number, "updated_at", ticket.get("updated_at"), required=False) or created
        if not once(parsed, number, f"freshdesk:{ident}", seen):
            continue
        parsed.tickets.append(TicketRecord(
            f"freshdesk:{ident}", text_of(ticket.get("subject")).strip() or "(no subject)",
            category_of(ticket.get("tags", []), ticket.get("type")), status, priority, None, created,
            updated, ref, sorted(messages, key=lambda m: m.at), None, number, tags=tags_of(ticket.get("tags"))))
    parsed.customers = list(customers.values())
    return parsed


def _freshdesk_conversation(parsed, section, number, conv, by_ticket, folder: Path | None = None) -> None:
    at = time_of(parsed, number, "conversations.created_at", conv.get("created_at"), section=section)
    body = text_of(conv.get("body_text")) or html_to_text(text_of(conv.get("body")))
    ticket_id = id_of(conv.get("ticket_id"))
    if at is None or not body.strip() or ticket_id is None:
        return
    direction = "note" if conv.get("private") else ("in" if conv.get("incoming") else "out")
    by_ticket.setdefault(ticket_id, []).append(files_of(
        MessageRecord(direction, text_of(conv.get("from_email")) or text_of(conv.get("user_id")) or "unknown", at, body,
                      f"freshdesk-conversation:{text_of(conv.get('id'))}"), conv.get("attachments"), folder, "name",
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
        if not isinstance(ticket, dict) or id_of(ticket.get("id")) is None:
            parsed.problem("tickets", number, "id", "a ticket needs an id (a number or text)")
            continue
        if not once(parsed, number, f"gorgias:{ticket['id']}", seen):
            continue
        status = mapped(parsed, number, "status", GORGIAS_STATUS, ticket.get("status"), "Gorgias")
        priority = mapped(parsed, number, "priority", GORGIAS_PRIORITY, ticket.get("priority"), "Gorgias")
        created = time_of(parsed, number, "created_datetime", ticket.get("created_datetime"))
        updated = time_of(parsed, number, "updated_datetime", ticket.get("updated_datetime"), required=False)
        raw_messages = ticket.get("messages") or []
        if not isinstance(raw_messages, list):
            parsed.problem("tickets", number, "messages", "must be a list")
            raw_messages = []
        messages = [m for position, raw in enumerate(raw_messages)
                    if (m := _gorgias_message(parsed, number, position, raw)) is not None]
        customer = obj(ticket.get("customer"))
        email = customer.get("email") or next(
            (_sender_address(raw) for raw in raw_messages if isinstance(raw, dict) and not raw.get("from_agent")
             and _sender_address(raw)), None)
        found = address_of(parsed, "tickets", number, "customer.email", email)
        if status is None or priority is None or created is None:
            continue
        ref = None
        if found:
            ref = f"email:{found[0]}"
            name = " ".join(str(p) for p in (customer.get("firstname"), customer.get("lastname")) if p) or \
                str(customer.get("name") or found[1])
            customers.setdefault(ref, CustomerRecord(ref, found[0], name))
        subject = ticket.get("subject")
        assignee = obj(ticket.get("assignee_user"))
        parsed.tickets.append(TicketRecord(
            f"gorgias:{ticket['id']}", str(subject).strip() if isinstance(subject, str) and subject.strip()
            else "(no subject)", category_of(ticket.get("tags", [])), status, priority,
            str(assignee.get("name") or assignee.get("email") or "") or None, created, updated or created, ref,
            sorted(messages, key=lambda m: m.at), None, number, tags=tags_of(ticket.get("tags"))))
    parsed.customers = list(customers.values())
    return parsed


def _sender_address(message: dict) -> str | None:
    source = obj(message.get("source"))
    sender = obj(source.get("from"))
    if not sender:
        sender = obj(message.get("sender"))
    address = sender.get("address") or sender.get("email")
    return address if isinstance(address, str) and address.strip() else None


def _gorgias_message(parsed: Parsed, number: int, position: int, raw) -> MessageRecord | None:
    where = f"messages[{position}]"
    if not isinstance(raw, dict):
        parsed.problem("tickets", number, where, "must be an object")
        return None
    at = time_of(parsed, number, f"{where}.created_datetime", raw.get("created_datetime"))
    text, html = raw.get("body_text"), raw.get("body_html")
    if (text is not None and not isinstance(text, str)) or (html is not None and not isinstance(html, str)):
        parsed.problem("tickets", number, f"{where}.body_text", "must be text")
        return None
    body = text or html_to_text(html or "")
    if at is None or not body.strip():
        return None
    sender = obj(raw.get("sender"))
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
