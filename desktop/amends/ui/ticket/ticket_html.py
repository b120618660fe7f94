"""A ticket as HTML for the conversation, its tags, its history and its
resolution: pure functions of core records (every text escaped, it is user
input), kept apart from the widgets so that tests and the report can render
without a window."""

from __future__ import annotations

import dataclasses
import html
import re

from PySide6.QtWidgets import QTextBrowser

from amends.core import attachments, audit, policies, resolution, safe_html, tickets
from amends.core.mail import delivery
from amends.core.vocabulary import OFFER_KINDS
from amends.ui.common import local_time
from amends.ui.ticket.attachments_view import body_html

_LABELS = {"in": "Customer", "out": "Reply", "note": "Internal note"}
#: The lines the mail reader adds for attachments it did not keep.
_ATTACHMENT_LINE = re.compile(r"^\[attachment: .*\]$", re.MULTILINE)
_LINK = re.compile(r"<a\b", re.IGNORECASE)


def _shown_names(body: str) -> str:
    """Attachment names in a body without bidi controls (an older import
    kept them: 'invoice\u202efdp.exe' would read as 'invoiceexe.pdf')."""
    return _ATTACHMENT_LINE.sub(lambda line: safe_html.display_name(line.group(0)), body)


def _defects_html(notes: list[str], foreground: str) -> str:
    if not notes:
        return ""
    items = "; ".join(html.escape(n) for n in notes)
    return (f'<br><small style="color:{foreground};"><i>⚠ Kept with defects (do not trust these parts): '
            f'{items}</i></small>')


def conversation_html(ticket: tickets.Ticket, dark: bool = False,
                      files: dict[int, list[attachments.Attachment]] | None = None,
                      defects: dict[int, list[str]] | None = None,
                      deliveries: dict[int, delivery.Delivery] | None = None) -> str:
    """The conversation as HTML; every text is escaped (it is user input).
    ``files``: each message's attachments (listed, images as thumbnails).
    ``defects``: message id → what was wrong with that mail when it came in
    (``amends.core.mail.defects.of_ticket``), noted under the message.
    ``deliveries``: each reply's delivery state (queued, sent, failed, not sent)."""
    from amends.ui.common.appearance import bubble_colours
    from amends.ui.ticket.delivery_view import delivery_html

    colours = bubble_colours(dark)
    defects = defects or {}
    parts = []
    for message in ticket.messages:
        label = _LABELS[message.direction]
        background, foreground = colours[message.direction]
        if message.flag == "thanks":
            label += " · thank-you (did not reopen)"
        elif message.flag == "bounce":
            label = "Bounce · a delivery failure report, not the customer"
        elif message.flag == "survey":
            label += " · survey answer"
        # Mail HTML was sanitised when it came in (nothing remote, no scripts;
        # cid: images from the stored parts); plain text is escaped, with long
        # quoted history folded away; then the message's files. Attachment
        # names an older import kept with bidi controls are shown without.
        shown = dataclasses.replace(message, body=_shown_names(message.body or ""))
        body = body_html(shown, (files or {}).get(message.id, []))
        # Links (attachments, mail links) in the bubble's own text colour: the
        # palette's link blue is unreadable on a dark bubble.
        body = _LINK.sub(f'<a style="color:{foreground};"', body)
        author = safe_html.display_name(message.author)
        parts.append(
            f'<table width="100%" cellpadding="8" style="margin-bottom:6px; background:{background};">'
            f'<tr><td style="color:{foreground};"><b>{html.escape(label)}</b> · {html.escape(author)} · '
            f'{html.escape(local_time.stamp(message.created_at))}<br>{body}'
            f'{_defects_html((defects or {}).get(message.id, []), foreground)}'
            f'{delivery_html((deliveries or {}).get(message.id), foreground)}</td></tr></table>')
    if not parts:
        parts.append("<p><i>No messages yet.</i></p>")
    return "".join(parts)


def tags_html(ticket_tags: list) -> str:
    """Tags as coloured chips with their names (colour is never the only sign)."""
    return " ".join(f'<span style="background:{t.colour}; color:#ffffff;">&nbsp;{html.escape(t.name)}&nbsp;</span>'
                    for t in ticket_tags)


def history_html(entries: list[audit.AuditEntry]) -> str:
    """Every change to the ticket, newest first: who, when, what."""
    if not entries:
        return "<p><i>No changes recorded.</i></p>"
    rows = "".join(f"<tr><td>{html.escape(e.at[:16].replace('T', ' '))}</td><td>{html.escape(e.actor)}</td>"
                   f"<td>{html.escape(e.action.replace('_', ' '))}</td><td>{html.escape(audit.describe(e))}</td></tr>"
                   for e in entries)
    return f"<table cellpadding='3'><tr><th>When</th><th>Who</th><th>What</th><th>Change</th></tr>{rows}</table>"


def resolution_summary(record: resolution.Resolution, version: policies.PolicyVersion | None) -> str:
    """What was done for the customer, against which exact policy version."""
    e = html.escape
    policy = f"{e(version.policy_name)} v{version.number}" if version else "no policy"
    parts = [f"<b>Resolved</b> {e(record.resolved_at[:16].replace('T', ' '))} by {e(record.actor)} with {policy}"]
    skipped = [s for s in record.steps if s.outcome == "skipped"]
    done = len(record.steps) - len(skipped)
    if record.steps:
        parts.append(f"{done} of {len(record.steps)} steps done")
    for step in skipped:
        parts.append(f"skipped {e(step.type.replace('_', ' '))}: “{e(step.reason or '')}”")
    if record.offer_value is not None:
        flag = " ⚑ outside the approved range" if record.offer_in_bounds is False else ""
        reason = f" (override: {e(record.override_reason)})" if record.override_reason else ""
        parts.append(f"offer {record.offer_value:g} {e(OFFER_KINDS.get(record.offer_kind or '', ''))}{flag}{reason}")
    return " · ".join(parts)


def set_html(browser: QTextBrowser, markup: str) -> None:
    """Show ``markup`` unless the browser shows it already: a reload after
    a field changed (by me or someone else) laid out a long conversation
    again for nothing and dropped the reader's selection (issue 16)."""
    if browser.property("amendsHtml") != markup:
        browser.setHtml(markup)
        browser.setProperty("amendsHtml", markup)
