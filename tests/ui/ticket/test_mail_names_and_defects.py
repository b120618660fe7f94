"""Issue 11 point 4 and issue 12 point 4 (the UI): names from mail are shown
without bidi controls (data imported before the import-side fix still has
them), and a message kept with defects says so under it; a bounce is marked."""

from __future__ import annotations

import json

from amends.core import customers, tickets
from amends.core.mail.fetch import FetchReport
from amends.ui.inbox.inbox_model import COLUMNS

RLO = "\u202e"


def _old_import(db) -> int:
    """A ticket as an older import wrote it: bidi controls in the sender's
    name, the customer's name and an attachment's name; one message with
    defects noted, one bounce."""
    customer = customers.create(db, "eve@example.com", f"Eve {RLO}gnaH")
    ticket_id = tickets.create(db, "Invoice", "see attached", customer_id=customer,
                               author=f"Eve {RLO}gnaH <eve@example.com>", created_at="2026-11-01T09:00:00Z")
    first = db.scalar("SELECT id FROM messages WHERE ticket_id = ?", (ticket_id,))
    body = f"see attached\n\n[attachment: invoice{RLO}fdp.exe (3 KB) — not kept]"
    with db.transaction() as conn:
        conn.execute("UPDATE messages SET body = ?, defects = ? WHERE id = ?",
                     (body, json.dumps(["no Date header; the arrival time is used", "From: unreadable"]), first))
        conn.execute("INSERT INTO messages (ticket_id, direction, author, created_at, body, flag, defects) "
                     "VALUES (?, 'in', 'Mail Delivery System', '2026-11-01T10:00:00Z', 'Undelivered', 'bounce', ?)",
                     (ticket_id, json.dumps(["a delivery failure report (bounce): mailbox full"])))
    return ticket_id


def _open(window, ticket_id: int) -> str:
    window.inbox.show_query(tickets.InboxQuery(status="all"))
    assert window.inbox.select_ticket(ticket_id)
    return window.inbox.ticket_view.conversation.toPlainText()


def test_names_from_mail_are_shown_without_bidi_controls(qtbot, window):
    ticket_id = _old_import(window.db)
    shown = _open(window, ticket_id)
    assert RLO not in shown
    assert "Eve gnaH" in shown, "the sender's name, as it is"
    assert "invoicefdp.exe" in shown, "the attachment's real name: it does not read as invoiceexe.pdf"
    assert RLO not in window.inbox.ticket_view.customer.toPlainText()
    model = window.inbox.model
    row = model.row_of(ticket_id)
    cell = model.index(row, COLUMNS.index("customer")).data()
    assert cell == "Eve gnaH"


def test_a_message_kept_with_defects_says_so_and_a_bounce_is_marked(qtbot, window):
    ticket_id = _old_import(window.db)
    shown = _open(window, ticket_id)
    assert "no Date header; the arrival time is used" in shown and "From: unreadable" in shown
    assert "mailbox full" in shown
    assert "bounce" in shown.lower() and "delivery failure" in shown.lower()
    html = window.inbox.ticket_view.conversation.toHtml()
    assert "Kept with defects" in html or "kept with defects" in html.lower()
    # a clean ticket has no note
    clean = tickets.create(window.db, "Clean", "all good", created_at="2026-11-02T09:00:00Z")
    assert "defect" not in _open(window, clean).lower()


def test_the_fetch_status_line_counts_defective_and_lists_unreadable(qtbot, window):
    said = []
    window.bus.status.connect(lambda text, _ms: said.append(text))
    window.mail.fetched(FetchReport(messages=5, defective=2, unreadable=[(41, "the server did not hand it over (NO)")]))
    line = said[-1]
    assert "5" in line and "2 kept with defects" in line
    assert "41" in line and "did not hand it over" in line
    window.mail.fetched(FetchReport(messages=1))
    assert said[-1] == "Fetched 1 new message(s)."


def test_links_in_the_conversation_take_the_bubble_text_colour_in_dark_mode():
    """A file's link in a dark bubble was the palette's dark blue on dark navy
    (seen in the screenshots): links now take the bubble's text colour."""
    from amends.core import tickets
    from amends.ui.common.appearance import bubble_colours
    from amends.ui.ticket.ticket_html import conversation_html

    message = tickets.Message(id=1, ticket_id=1, direction="in", author="Eve", created_at="2026-12-01T10:00:00Z",
                              body="see the file", html='<p>see <a href="https://example.org/x">this</a></p>')
    ticket = tickets.Ticket(id=1, ref=None, subject="s", status="open", category="other", priority=1, assignee=None,
                            customer_id=None, created_at="2026-12-01T10:00:00Z", updated_at="2026-12-01T10:00:00Z",
                            resolved_at=None, billing_cycle=None, version=1, messages=[message])
    page = conversation_html(ticket, dark=True)
    text_colour = bubble_colours(True)["in"][1]
    assert f'<a style="color:{text_colour};" href=' in page
