"""One ticket: the conversation, the customer beside it, the fields, a
composer for replies and internal notes, and Resolve.

Over 500 lines on purpose: the conversation, fields, composer and sidebar
show one ticket at one version; conflict handling (reload / keep mine) needs
all of them together."""

from __future__ import annotations

import dataclasses
import html
import logging
import re

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QTextOption
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from amends import settings_schema as schema
from amends.core import (
    attachments,
    audit,
    clock,
    customers,
    drafts,
    edits,
    followups,
    local_drafts,
    merges,
    money,
    policies,
    proposals,
    replies,
    resolution,
    safe_html,
    signatures,
    split,
    suggestions,
    tags,
    tickets,
)
from amends.core.errors import AmendsError, ConflictError
from amends.core.mail import defects as mail_defects
from amends.core.mail import delivery, mailboxes
from amends.core.store import Database
from amends.core.vocabulary import CATEGORIES, OFFER_KINDS, PRIORITIES, STATUSES, category_name
from amends.ui.common import appearance, ops, settings
from amends.ui.common.button_row import ButtonRow
from amends.ui.common.messages import conflict_box, describe, show_error
from amends.ui.ticket.attachments_view import AttachmentBrowser, body_html

log = logging.getLogger("amends.ui.ticket")

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
            f'{html.escape(_stamp(message.created_at))}<br>{body}'
            f'{_defects_html((defects or {}).get(message.id, []), foreground)}'
            f'{delivery_html((deliveries or {}).get(message.id), foreground)}</td></tr></table>')
    if not parts:
        parts.append("<p><i>No messages yet.</i></p>")
    return "".join(parts)


def tags_html(ticket_tags: list) -> str:
    """Tags as coloured chips with their names (colour is never the only sign)."""
    return " ".join(f'<span style="background:{t.colour}; color:#ffffff;">&nbsp;{html.escape(t.name)}&nbsp;</span>'
                    for t in ticket_tags)


#: An invisible break opportunity: where a long e-mail address may wrap
_BREAK = "\u200b"


def breakable_address(address: str) -> str:
    """An address that may wrap after "@" and after dots: the line breaker
    sees one long word in "hana.keller966@mail.example.com" and a 160 px
    panel cut it off behind a horizontal scroll bar (the 1,280 px screenshots)."""
    return address.replace("@", "@" + _BREAK).replace(".", "." + _BREAK)


class CustomerBrowser(QTextBrowser):
    """The customer sidebar's browser: a copy gives the text as it is, without
    the invisible break opportunities put into addresses."""

    def createMimeDataFromSelection(self):  # -> QMimeData
        # The base's own object, changed in place: a QMimeData made here in
        # Python and handed to the clipboard was freed twice at exit (a
        # segfault after the whole suite had passed).
        mime = super().createMimeDataFromSelection()
        html = mime.html() if mime.hasHtml() else None
        mime.setText(mime.text().replace(_BREAK, ""))
        if html is not None:
            mime.setHtml(html.replace(_BREAK, ""))
        return mime


class CustomerPanel(QWidget):
    """The customer sidebar, foldable to a strip with one icon (a 1,280 px
    laptop needs the width for the conversation). The state is remembered."""

    def __init__(self, browser: QTextBrowser, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("customerPanel")
        self.browser = browser
        self.toggle = QToolButton()
        self.toggle.setObjectName("customerToggle")
        self.toggle.setAutoRaise(True)
        self.toggle.setCheckable(True)
        self.toggle.setAccessibleName(self.tr("Show or fold the customer panel"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        layout.addWidget(browser, 1)
        self.toggle.toggled.connect(self.set_collapsed)
        self.set_collapsed(bool(settings.get(schema.CUSTOMER_COLLAPSED)))

    @property
    def collapsed(self) -> bool:
        return not self.browser.isVisibleTo(self)

    def set_collapsed(self, collapsed: bool) -> None:
        self.toggle.blockSignals(True)
        self.toggle.setChecked(collapsed)
        self.toggle.blockSignals(False)
        self.browser.setVisible(not collapsed)
        self.toggle.setIcon(appearance.icon("customer", self))
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly if collapsed
                                       else Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setText(self.tr("Customer ‹"))
        self.toggle.setToolTip(self.tr("Show the customer panel") if collapsed else self.tr("Fold to an icon"))
        if collapsed:
            self.setFixedWidth(self.toggle.sizeHint().width() + 4)
        else:
            self.setMinimumWidth(160)
            self.setMaximumWidth(16777215)
        settings.put(schema.CUSTOMER_COLLAPSED, collapsed)


def _stamp(iso: str) -> str:
    """A message's time, local, with its zone's short name (the list shows the full zone on hover)."""
    try:
        moment = clock.parse_iso(iso).astimezone()
    except ValueError:
        return iso
    return moment.strftime("%Y-%m-%d %H:%M ") + (moment.tzname() or "")


def local_time(iso: str) -> str:
    """A stored UTC time as the person's local date and time."""
    return clock.parse_iso(iso).astimezone().strftime("%a %Y-%m-%d %H:%M")


def _status(sub: customers.Subscription) -> str:
    """'active (trialing)': ours, and the platform's word when it says more."""
    original = sub.status_original
    if original and original.lower() != sub.status:
        return f"{html.escape(sub.status)} ({html.escape(original)})"
    return html.escape(sub.status)


def _price(sub: customers.Subscription) -> str:
    return f" · {html.escape(money.label(sub.price_minor, sub.currency))}" if sub.price_minor is not None else ""


def profile_html(profile: customers.CustomerProfile | None) -> str:
    if profile is None:
        return "<p><i>No customer is linked to this ticket.</i></p>"
    e = html.escape
    name = safe_html.display_name(profile.name or profile.email)  # a name from mail: no bidi controls
    lines = [f"<h3>{e(name)}</h3><p>{e(breakable_address(safe_html.display_name(profile.email)))}</p>"]
    sub = profile.subscription
    if sub is None:
        lines.append("<p><i>No subscription.</i></p>")
    else:
        lines.append(
            f"<p><b>{e(sub.plan)}</b> · {_status(sub)}<br>{e(sub.interval.label())}{_price(sub)} since "
            f"{e(sub.started_at[:10])}"
            + (f"<br>cancelled {e(sub.cancelled_at[:10])}" if sub.cancelled_at else "")
            + f"<br><b>Now in billing cycle {profile.current_cycle}</b> · {profile.days_subscribed} days subscribed</p>")
        others = [s for s in profile.subscriptions if s.id != sub.id]
        if others:  # two boxes, or a cancelled one and a new one: all shown, none hidden
            lines.append("<p><b>Other subscriptions</b></p><ul>" + "".join(
                f"<li>{e(s.plan)} · {_status(s)}<br><small>{e(s.interval.label())}{_price(s)} since "
                f"{e(s.started_at[:10])}" + (f" · cancelled {e(s.cancelled_at[:10])}" if s.cancelled_at else "")
                + "</small></li>" for s in others) + "</ul>")
    if profile.tickets:
        lines.append("<p><b>Tickets</b></p><ul>")
        for past in profile.tickets:
            lines.append(f"<li>#{past.id} {e(past.subject)}<br><small>{e(past.created_at[:10])} · "
                         f"{e(category_name(past.category))} · {e(past.outcome)}</small></li>")
        lines.append("</ul>")
    if profile.offers:
        lines.append("<p><b>Offers received</b></p><ul>")
        for offer in profile.offers:
            flag = " ⚑ outside range" if offer.in_bounds is False else ""
            lines.append(f"<li>{offer.value:g} {e(OFFER_KINDS.get(offer.kind or '', offer.kind or ''))} · "
                         f"#{offer.ticket_id} · {e(offer.at[:10])}{flag}</li>")
        lines.append("</ul>")
    else:
        lines.append("<p><small>No offers received before.</small></p>")
    return "".join(lines)


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


DRAFT_SAVE_MS = 600


def _set_html(browser: QTextBrowser, markup: str) -> None:
    """Show ``markup`` unless the browser shows it already: a reload after
    a field changed (by me or someone else) laid out a long conversation
    again for nothing and dropped the reader's selection (issue 16)."""
    if browser.property("amendsHtml") != markup:
        browser.setHtml(markup)
        browser.setProperty("amendsHtml", markup)


class TicketView(QWidget):
    """Shows one ticket. Emits ``changed(ticket_id)`` after any edit."""

    changed = Signal(int)
    resolve_requested = Signal(int)
    #: The ticket shown or the composing state changed (for presence).
    activity_changed = Signal()
    #: A reply (not a note) was stored: its message id (the outbox mails it).
    reply_stored = Signal(int)
    #: An undoable edit was made here (the main window's undo stack takes it).
    edit_made = Signal(object)
    #: "Set up a mailbox…" (composer banner or a "not sent" reply): open the Mailboxes dialog.
    mailbox_setup_requested = Signal()
    #: A mail was made due again (Retry): the outbox should send now.
    send_requested = Signal()

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self.ticket: tickets.Ticket | None = None
        self._loading = False
        self.dark = False  # set by the window from the colour scheme (set_dark)

        self.subject = QLabel()
        self.subject.setObjectName("ticketSubject")
        self.subject.setWordWrap(True)
        self.subject.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.meta = QLabel()
        self.meta.setObjectName("secondary")
        self.meta.setWordWrap(True)
        self.meta.setTextFormat(Qt.TextFormat.RichText)  # numbers and times only, nothing a person typed
        self.tags = QLabel()
        self.tags.setObjectName("ticketTags")
        self.tags.setAccessibleName(self.tr("Tags"))
        self.tags.setTextFormat(Qt.TextFormat.RichText)
        self.policy = QLabel()
        self.policy.setObjectName("policyLabel")
        self.policy.setWordWrap(True)
        self.followup = QLabel()
        self.followup.setObjectName("followupLabel")
        self.followup.setWordWrap(True)
        self.followup_button = QPushButton(self.tr("Check-in done"))
        self.followup_button.setObjectName("followupDone")
        self.followup_button.setAccessibleName(self.tr("Mark the due check-in done"))
        self.proposals = QLabel()
        self.proposals.setObjectName("ticketProposals")
        self.proposals.setWordWrap(True)
        followup_row = QHBoxLayout()
        followup_row.addWidget(self.followup, 1)
        followup_row.addWidget(self.followup_button)

        self.category = QComboBox()
        for key, name in CATEGORIES.items():
            self.category.addItem(name, key)
        self.priority = QComboBox()
        for key, name in PRIORITIES.items():
            self.priority.addItem(name, key)
        self.status = QComboBox()
        for key, name in STATUSES.items():
            self.status.addItem(name, key)
        self.assignee = QComboBox()
        self.assignee.setEditable(True)
        self.assignee.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.take_button = QPushButton(self.tr("Take"))
        self.take_button.setObjectName("takeTicket")
        self.take_button.setToolTip(self.tr("Assign this ticket to me (Ctrl+Shift+T)"))
        self.take_button.setAccessibleName(self.tr("Take ticket"))
        self.others = QLabel()
        self.others.setObjectName("presenceLabel")
        self.others.hide()
        self.resolve_button = QPushButton(self.tr("Resolve…"))
        self.resolve_button.setObjectName("resolveTicket")
        self.resolve_button.setToolTip(self.tr("Resolve through the recovery checklist (Ctrl+E)"))
        for widget, name in ((self.category, "Category"), (self.priority, "Priority"), (self.status, "Status"),
                             (self.assignee, "Assignee"), (self.resolve_button, "Resolve ticket")):
            widget.setAccessibleName(self.tr(name))

        # A category suggested where no rule sorted the ticket (never applied by itself).
        self.suggestion = QLabel()
        self.suggestion.setObjectName("categorySuggestion")
        self.suggestion.setWordWrap(True)
        self.suggestion_button = QPushButton(self.tr("Use it"))
        self.suggestion_button.setObjectName("acceptSuggestion")
        self.suggestion_button.setAccessibleName(self.tr("Use the suggested category"))
        self.suggestion_button.clicked.connect(self._accept_suggestion)
        self._suggested: suggestions.Suggestion | None = None
        self._learning: ops.Operation | None = None
        suggestion_row = QHBoxLayout()
        suggestion_row.addWidget(self.suggestion, 1)
        suggestion_row.addWidget(self.suggestion_button)
        self.suggestion.hide()
        self.suggestion_button.hide()

        fields = QFormLayout()
        fields.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        row1 = QHBoxLayout()
        row1.addWidget(QLabel(self.tr("Category")))
        row1.addWidget(self.category, 2)
        row1.addWidget(QLabel(self.tr("Priority")))
        row1.addWidget(self.priority, 1)
        # Two short rows, not one long one: on a 1,280 px laptop the names in the
        # assignee and status boxes were cut to a few letters.
        row2 = QVBoxLayout()
        assign_row, status_row = QHBoxLayout(), QHBoxLayout()
        assign_row.addWidget(QLabel(self.tr("Assignee")))
        assign_row.addWidget(self.assignee, 1)
        assign_row.addWidget(self.take_button)
        status_row.addWidget(QLabel(self.tr("Status")))
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.resolve_button)
        row2.addLayout(assign_row)
        row2.addLayout(status_row)

        self.conversation = AttachmentBrowser(db)  # loads the mail's own images only: no network, no disk
        self.conversation.setObjectName("conversation")
        self.conversation.setAccessibleName(self.tr("Conversation"))
        self.conversation.setOpenLinks(False)
        self.composer = QPlainTextEdit()
        self.composer.setObjectName("composer")
        self.composer.setAccessibleName(self.tr("Reply or note"))
        self.composer.setPlaceholderText(self.tr("Write a reply (Ctrl+Enter) or an internal note (Ctrl+Shift+Enter)…"))
        self.composer.setMaximumHeight(120)
        self.reply_button = QPushButton(self.tr("Send reply"))
        self.reply_button.setObjectName("sendReply")
        self.note_button = QPushButton(self.tr("Add internal note"))
        self.note_button.setObjectName("addNote")
        self.saved_reply_button = QPushButton(self.tr("Saved reply…"))
        self.saved_reply_button.setObjectName("savedReplyButton")
        self.saved_reply_button.setToolTip(self.tr("Insert a saved reply with its placeholders filled (Ctrl+Shift+I)"))
        self.saved_reply_button.clicked.connect(lambda: self.choose_saved_reply())
        self.placeholder_warning = QLabel()
        self.placeholder_warning.setObjectName("placeholderWarning")
        self.placeholder_warning.setWordWrap(True)
        self.placeholder_warning.hide()
        from amends.ui.ticket.delivery_view import ComposerStatus

        self.composer_status = ComposerStatus()
        self.composer_status.setup_requested.connect(self.mailbox_setup_requested)
        self.composer_status.undo_requested.connect(self.undo_send)
        self.later_button = QPushButton(self.tr("Send later…"))
        self.later_button.setObjectName("sendLater")
        self.later_button.setToolTip(self.tr("Send the reply at a time you choose (it waits in the outbox)"))
        self.later_button.clicked.connect(self.choose_later)
        self.composer_buttons = ButtonRow([self.saved_reply_button, self.note_button],
                                          [self.later_button, self.reply_button])

        main = QWidget()
        column = QVBoxLayout(main)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.subject)
        column.addWidget(self.others)
        column.addWidget(self.meta)
        column.addWidget(self.tags)
        column.addWidget(self.policy)
        column.addLayout(followup_row)
        column.addWidget(self.proposals)
        column.addLayout(row1)
        column.addLayout(suggestion_row)
        column.addLayout(row2)
        self.history = QTextBrowser()
        self.history.setObjectName("ticketHistory")
        self.history.setAccessibleName(self.tr("History of this ticket"))
        self.tabs = QTabWidget()
        self.tabs.setObjectName("ticketTabs")
        self.tabs.addTab(self.conversation, self.tr("Conversation"))
        self.tabs.addTab(self.history, self.tr("History"))
        # The log is read when its tab is shown, not with every ticket opened:
        # decoding its entries was ~40 % of opening a long ticket (issue 16).
        self._history_of: int | None = None  # the ticket the History tab shows
        self.tabs.currentChanged.connect(lambda _i: self._show_history())
        column.addWidget(self.tabs, 1)
        column.addWidget(self.composer)
        column.addWidget(self.placeholder_warning)
        column.addWidget(self.composer_status)
        column.addWidget(self.composer_buttons)

        self.customer = CustomerBrowser()
        self.customer.setObjectName("customerSidebar")
        self.customer.setAccessibleName(self.tr("Customer"))
        # Words wrap whole (the default also broke them anywhere: a letter per line when narrow).
        self.customer.setWordWrapMode(QTextOption.WrapMode.WordWrap)
        self.conversation.setWordWrapMode(QTextOption.WrapMode.WordWrap)
        self.customer_panel = CustomerPanel(self.customer)
        main.setMinimumWidth(320)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("ticketSplitter")
        self.splitter.addWidget(main)
        self.splitter.addWidget(self.customer_panel)
        self.splitter.setChildrenCollapsible(False)  # dragged hard, a pane stops at its minimum
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([640, 220])
        self._pending: list[followups.FollowUp] = []
        self.empty = QLabel(self.tr("Select a ticket to see the conversation."))
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        outer = QVBoxLayout(self)
        outer.addWidget(self.empty)
        outer.addWidget(self.splitter)
        self.splitter.hide()

        self.category.activated.connect(lambda _i: self._save_field("category", self.category.currentData()))
        self.priority.activated.connect(lambda _i: self._save_field("priority", self.priority.currentData()))
        self.status.activated.connect(lambda _i: self._status_chosen())
        self.assignee.lineEdit().editingFinished.connect(self._assignee_chosen)
        self.assignee.activated.connect(lambda _i: self._assignee_chosen())
        self.reply_button.clicked.connect(lambda: self._send("out"))
        self.conversation.anchorClicked.connect(self._delivery_link)
        self.note_button.clicked.connect(lambda: self._send("note"))
        self.resolve_button.clicked.connect(lambda: self.ticket and self.resolve_requested.emit(self.ticket.id))
        self.followup_button.clicked.connect(self._followup_done)
        self.take_button.clicked.connect(self.take)
        self.composer.textChanged.connect(self._composer_changed)
        self.composer.textChanged.connect(self._check_placeholders)
        self.draft_timer = QTimer(self)
        self.draft_timer.setSingleShot(True)
        self.draft_timer.setInterval(DRAFT_SAVE_MS)
        self.draft_timer.timeout.connect(self.save_draft)
        self.composer.textChanged.connect(lambda: None if self._loading else self.draft_timer.start())
        self._composing = False
        self._seen_message_id = 0  # the newest message the person had seen when they began to write
        self._seen_status = ""
        self.mode = "out"  # what Ctrl+Enter does: a reply, or (after N) an internal note
        QShortcut(QKeySequence("Ctrl+Return"), self.composer, lambda: self._send(self.mode))
        QShortcut(QKeySequence("Ctrl+Shift+Return"), self.composer, lambda: self._send("note"))

    # -- showing -------------------------------------------------------------
    def show_ticket(self, ticket_id: int | None) -> None:
        if ticket_id is None:
            self.ticket = None
            self.splitter.hide()
            self.empty.show()
            return
        try:
            ticket = tickets.get(self._db, ticket_id)
            profile = customers.profile(self._db, ticket.customer_id) if ticket.customer_id else None
            context = resolution.context_for(self._db, ticket)
            matched = policies.match(self._db, context)
            people = tickets.assignees(self._db)
            history = resolution.resolutions_for(self._db, ticket_id)
            record = policies.version(self._db, history[-1].policy_version_id) \
                if history and history[-1].policy_version_id else None
            pending = [f for f in followups.for_ticket(self._db, ticket_id) if f.done_at is None]
            filed = proposals.for_ticket(self._db, ticket_id)
            ticket_tags = tags.for_tickets(self._db, [ticket_id]).get(ticket_id, [])
            joined = merges.merged_from(self._db, ticket_id)
            split_from, split_into = split.links(self._db, ticket_id)
            files = attachments.for_ticket(self._db, ticket_id)
            noted = mail_defects.of_ticket(self._db, ticket_id)
            delivered = delivery.for_messages(self._db, [m.id for m in ticket.messages if m.direction == "out"])
            sender = mailboxes.for_ticket(self._db, ticket_id)  # the one it came in on, else the first
            signed_with = signatures.for_reply(self._db, ticket_id, sender)
        except AmendsError as error:
            show_error(self, error)
            return
        keep_draft = self.ticket is not None and self.ticket.id == ticket_id
        scroll = self.conversation.verticalScrollBar()
        at_bottom = scroll.value() >= scroll.maximum() - 4
        kept_scroll = scroll.value()
        self.ticket = ticket
        self._loading = True
        # Shown before it is filled (nothing paints in between): filled while
        # hidden, the long conversation was laid out twice, at the old size and
        # again when shown (issue 16).
        self.empty.hide()
        self.splitter.show()
        self.subject.setText(f"<h2>{html.escape(ticket.subject)}</h2>")
        cycle = self.tr(" · billing cycle {0}").format(ticket.billing_cycle) if ticket.billing_cycle else ""
        extra = ""
        if ticket.snoozed_until and ticket.snoozed_until > clock.now_iso():
            extra += self.tr(" · <b>snoozed</b> until {0}").format(local_time(ticket.snoozed_until))
        if joined:
            extra += self.tr(" · merged from {0}").format(", ".join(f"#{t}" for t in joined))
        if ticket.merged_into:
            extra += self.tr(" · merged into #{0}").format(ticket.merged_into)
        if split_from:
            extra += self.tr(" · split from #{0}").format(split_from)
        if split_into:
            extra += self.tr(" · split into {0}").format(", ".join(f"#{t}" for t in split_into))
        self.meta.setText(self.tr("#{0} · opened {1}{2} · updated {3}{4}").format(
            ticket.id, _stamp(ticket.created_at), cycle, _stamp(ticket.updated_at),
            extra))
        self.tags.setText(tags_html(ticket_tags))
        self.tags.setVisible(bool(ticket_tags))
        if ticket.status == "resolved" and history:
            self.policy.setText(resolution_summary(history[-1], record))
        else:
            self.policy.setText(self.tr("Policy: {0}").format(html.escape(matched.reason)))
        self._pending = pending
        self.proposals.setText("<br>".join(
            f"Proposal #{p.id} ({p.status}{': ' + html.escape(p.decline_reason) if p.decline_reason else ''}): "
            f"{html.escape(p.text)}" for p in filed))
        self.proposals.setVisible(bool(filed))
        if pending:
            first = pending[0]
            overdue = first.due_at <= clock.now_iso()
            self.followup.setText(self.tr("{0}: {1}, due {2}{3}").format(
                self.tr("<b>Follow-up due</b>") if overdue else self.tr("Follow-up"), html.escape(first.note),
                first.due_at[:10], self.tr(" (now)") if overdue else ""))
        self.followup.setVisible(bool(pending))
        self.followup_button.setVisible(bool(pending))
        self.category.setCurrentIndex(self.category.findData(ticket.category))
        self._show_suggestion()
        self.priority.setCurrentIndex(self.priority.findData(ticket.priority))
        self.status.setCurrentIndex(self.status.findData(ticket.status))
        self.assignee.clear()
        self.assignee.addItem(self.tr("Unassigned"), None)
        for name in sorted(set(people) | {self._db.actor}):
            self.assignee.addItem(name, name)
        found = self.assignee.findData(ticket.assignee) if ticket.assignee else 0
        if found < 0:
            self.assignee.addItem(ticket.assignee, ticket.assignee)
            found = self.assignee.count() - 1
        self.assignee.setCurrentIndex(found)
        self.resolve_button.setEnabled(ticket.status != "resolved")
        _set_html(self.conversation, conversation_html(ticket, self.dark, files, noted, delivered))
        self._signature = signed_with
        self.composer_status.show_mailbox(sender is not None)
        self.composer_status.show_signature(signed_with, self.mode == "out")
        # Someone else's change re-renders the conversation: keep the reader's place.
        scroll.setValue(scroll.maximum() if not keep_draft or at_bottom else kept_scroll)
        self.take_button.setEnabled(ticket.assignee != self._db.actor)
        _set_html(self.customer, profile_html(profile))
        self._history_of = None  # stale: re-read when (or if) its tab is shown
        self._show_history()
        if not keep_draft:
            self._set_mode("out")
            self.draft_timer.stop()
            self.composer.setPlainText(local_drafts.load_any(self._db, ticket_id, "reply") or "")
            self._mark_seen(ticket)
            self.activity_changed.emit()
        self._loading = False

    def _show_history(self) -> None:
        """Fill the History tab for the shown ticket if it is in front and
        not filled yet; a hidden tab is emptied (nothing stale to read).
        Synchronous: at most 200 entries, about a millisecond."""
        ticket_id = self.ticket.id if self.ticket is not None else None
        if self.tabs.currentWidget() is not self.history:
            if self._history_of is None:
                self.history.clear()
            return
        if ticket_id is None or self._history_of == ticket_id:
            return
        try:
            entries = audit.for_entity(self._db, "ticket", ticket_id)
        except AmendsError as error:
            show_error(self, error, self.tr("The history of this ticket could not be read"))
            return
        self.history.setHtml(history_html(entries))
        self._history_of = ticket_id

    # -- suggestion ---------------------------------------------------------------
    def _show_suggestion(self) -> None:
        """A category for a ticket still in "other", from the cached model; the
        model is (re)built off the UI thread and the suggestion shown then."""
        ticket, self._suggested = self.ticket, None
        found = None
        if ticket is not None and ticket.category == "other":
            try:
                model, stale = suggestions.cached(self._db)
                if stale and self._learning is None:
                    self._learning = ops.run(self._db, lambda job: suggestions.model_for(job.db, fresh=True),
                                             success=self._model_ready, failure=self._model_failed, parent=self)
                found = suggestions.suggest(self._db, ticket.id, model) if model is not None else None
            except AmendsError as error:
                log.warning("No category suggestion for ticket %s: %s", ticket.id, error)
        self._suggested = found
        if found is not None:
            because = ", ".join(found.because)
            self.suggestion.setText(self.tr("Suggested category: <b>{0}</b> ({1:.0%}; words like {2})").format(
                html.escape(category_name(found.category)), found.confidence, html.escape(because)))
        self.suggestion.setVisible(found is not None)
        self.suggestion_button.setVisible(found is not None)

    def _model_ready(self, _model) -> None:
        self._learning = None
        self._show_suggestion()

    def _model_failed(self, error: BaseException) -> None:
        self._learning = None
        log.warning("Category suggestions could not be learnt: %s", error)  # no suggestion; nothing else changes

    def _accept_suggestion(self) -> None:
        found = self._suggested
        if found is None or self.ticket is None or self.ticket.id != found.ticket_id:
            return
        self._save_field("category", found.category)  # undoable, conflicts handled as for any edit
        try:
            if tickets.get(self._db, found.ticket_id, with_messages=False).category == found.category:
                suggestions.record_accepted(self._db, found)
        except AmendsError as error:
            show_error(self, error)

    # -- presence ---------------------------------------------------------------
    def presence_state(self) -> tuple[int | None, str]:
        if self.ticket is None:
            return None, "idle"
        return self.ticket.id, "replying" if self.composer.toPlainText().strip() else "viewing"

    def show_presence(self, people: list) -> None:
        here = [p for p in people if self.ticket is not None and p.ticket_id == self.ticket.id
                and p.activity != "idle"]
        self.others.setText(" · ".join(html.escape(p.describe()) for p in here))
        self.others.setVisible(bool(here))

    def _composer_changed(self) -> None:
        composing = bool(self.composer.toPlainText().strip())
        if composing and not self._composing and self.ticket is not None:
            self._mark_seen(self.ticket)
        if composing != self._composing:
            self._composing = composing
            self.activity_changed.emit()

    def _mark_seen(self, ticket: tickets.Ticket) -> None:
        self._seen_message_id = max((m.id for m in ticket.messages), default=0)
        self._seen_status = ticket.status

    def set_dark(self, dark: bool) -> None:
        """The conversation's colours follow the scheme: redrawn only when it changed."""
        if self.dark != dark:
            self.dark = dark
            self.reload()

    def reload(self) -> None:
        if self.ticket is not None:
            self.show_ticket(self.ticket.id)

    # -- editing ---------------------------------------------------------------
    def _assignee_chosen(self) -> None:
        text = self.assignee.currentText().strip()
        value = None if not text or text == self.tr("Unassigned") else text
        if self.ticket is not None and value != self.ticket.assignee:
            self._save_field("assignee", value)

    def _status_chosen(self) -> None:
        if self.ticket is None:
            return
        if self.status.currentData() == "resolved":
            # Resolving always goes through the checklist.
            self.status.setCurrentIndex(self.status.findData(self.ticket.status))
            self.resolve_requested.emit(self.ticket.id)
            return
        self._save_field("status", self.status.currentData())

    def _save_field(self, name: str, value) -> None:
        if self._loading or self.ticket is None or getattr(self.ticket, name) == value:
            return
        ticket_id = self.ticket.id
        edit = None
        try:
            if name == "status" and self.ticket.status == "resolved":
                # Reopening: a deliberate single edit (its resolution stays on record), not on the undo stack.
                tickets.update(self._db, ticket_id, self.ticket.version, status=value)
            else:
                edit = edits.set_values(self._db, name, {ticket_id: value},
                                        expected_versions={ticket_id: self.ticket.version})
        except ConflictError as error:
            self._resolve_conflict(error, name, value)
            return
        except AmendsError as error:
            show_error(self, error, self.tr("Your change of {0} was not saved").format(name))
            self.reload()
            return
        self.reload()
        self.changed.emit(ticket_id)
        if edit is not None:
            self.edit_made.emit(edit)

    def _resolve_conflict(self, error: ConflictError, name: str, value) -> QMessageBox:
        """Someone else saved first: show what they changed, offer reload or
        keep mine (an explicit, audited overwrite of this one field)."""
        ticket_id = self.ticket.id

        def keep_mine() -> None:
            self.edit_made.emit(edits.set_values(self._db, name, {ticket_id: value}))

        def after() -> None:
            self.show_ticket(ticket_id)
            self.changed.emit(ticket_id)

        self.conflict_box = conflict_box(self, self.tr("Changed by someone else"), describe(error), keep_mine, after)
        self.conflict_box.setObjectName("conflictBox")
        return self.conflict_box

    def _followup_done(self) -> None:
        if self.ticket is None or not self._pending:
            return
        try:
            followups.complete(self._db, self._pending[0].id)
        except AmendsError as error:
            show_error(self, error)
        ticket_id = self.ticket.id
        self.reload()
        self.changed.emit(ticket_id)

    def take(self) -> None:
        """Assign to me; if someone took it a moment earlier, say who."""
        if self.ticket is None:
            return
        ticket_id = self.ticket.id
        try:
            edit = edits.take(self._db, ticket_id)
        except AmendsError as error:
            show_error(self, error)
            edit = None
        self.reload()
        self.changed.emit(ticket_id)
        if edit is not None and edit.rows:
            self.edit_made.emit(edit)

    def _send(self, direction: str, send_at: str | None = None) -> None:
        if self.ticket is None:
            return
        text = self.composer.toPlainText()
        if not text.strip():
            self.composer.setFocus()
            return
        self._send_at = send_at if direction == "out" else None
        if direction == "out" and self._refuse_placeholders(text):
            return
        if direction == "out" and self._warn_if_overtaken(text):
            return
        self._store(direction, text)

    def has_unsent_draft(self) -> bool:
        """Is there text in the composer that was neither sent nor added as a
        note? (Resolving asks send / keep as draft / discard.)"""
        return self.ticket is not None and bool(self.composer.toPlainText().strip())

    def choose_later(self):
        """Send later: a menu of times (and "Pick a time…")."""
        from amends.ui.ticket.delivery_view import later_menu

        self.later_menu = later_menu(self, lambda when: self._send("out", when))
        self.later_menu.popup(self.later_button.mapToGlobal(self.later_button.rect().bottomLeft()))
        return self.later_menu

    def undo_send(self, outbox_id: int) -> None:
        """Take a held reply back: it leaves the ticket and its text returns
        to the composer (after what is being typed there, if anything)."""
        from amends.core.mail import outbox  # sending (smtplib) is imported when a reply is sent, not at start-up

        try:
            text = outbox.take_back(self._db, outbox_id)
        except AmendsError as error:
            self.composer_status.release()
            show_error(self, error, self.tr("The reply could not be taken back"))
            self.reload()
            return
        self.composer_status.release()
        if self.ticket is not None:
            current = self.composer.toPlainText()
            self.composer.setPlainText(f"{current.rstrip()}\n\n{text}" if current.strip() else text)
            self.composer.setFocus()
            ticket_id = self.ticket.id
            self.reload()
            self.changed.emit(ticket_id)

    def _delivery_link(self, url) -> None:
        from amends.core.mail import outbox
        from amends.ui.ticket.delivery_view import CANCEL, RETRY, SETUP

        scheme, _, ident = url.toString().partition(":")
        if scheme == SETUP:
            self.mailbox_setup_requested.emit()
        elif scheme == RETRY and ident.isdigit():
            try:
                outbox.retry(self._db, int(ident))
            except AmendsError as error:
                show_error(self, error)
            self.reload()
            self.send_requested.emit()
        elif scheme == CANCEL and ident.isdigit():
            self.undo_send(int(ident))

    def compose(self, mode: str) -> None:
        """Start writing a reply ("out") or an internal note ("note")."""
        self._set_mode(mode)
        self.composer.setFocus()

    def _set_mode(self, mode: str) -> None:
        self.mode = mode
        self.composer.setPlaceholderText(
            self.tr("Write an internal note — only your team sees it (Ctrl+Enter adds it)…") if mode == "note"
            else self.tr("Write a reply (Ctrl+Enter) or an internal note (Ctrl+Shift+Enter)…"))
        self.composer.setAccessibleDescription(self.tr("Internal note") if mode == "note" else self.tr("Reply"))
        self.note_button.setDefault(mode == "note")
        self.reply_button.setDefault(mode == "out")
        self.composer_status.show_signature(getattr(self, "_signature", ""), mode == "out")

    # -- saved replies -----------------------------------------------------------
    def choose_saved_reply(self, step_type: str | None = None):
        """A menu of saved replies (those for ``step_type`` first); the chosen
        one goes into the composer with its placeholders filled."""
        from PySide6.QtWidgets import QMenu

        if self.ticket is None:
            return None
        try:
            available = replies.all_replies(self._db)
        except AmendsError as error:
            show_error(self, error)
            return None
        menu = QMenu(self)
        menu.setObjectName("savedRepliesMenu")
        menu.setAccessibleName(self.tr("Saved replies"))
        ordered = sorted(available, key=lambda r: (r.step_type != step_type, r.name.lower()))
        for reply in ordered:
            action = menu.addAction(reply.name)
            action.triggered.connect(lambda _c=False, r=reply: self.insert_reply(r))
        if not ordered:
            menu.addAction(self.tr("No saved replies yet (Edit → Saved replies…)")).setEnabled(False)
        self.replies_menu = menu
        menu.popup(self.saved_reply_button.mapToGlobal(self.saved_reply_button.rect().topLeft()))
        return menu

    def insert_reply(self, reply: replies.SavedReply, offer: str | None = None) -> replies.Rendered | None:
        if self.ticket is None:
            return None
        try:
            rendered = replies.render_for(self._db, reply, self.ticket.id, offer=offer)
        except AmendsError as error:
            show_error(self, error)
            return None
        cursor = self.composer.textCursor()
        cursor.insertText(rendered.text)
        self.composer.setFocus()
        return rendered

    def _check_placeholders(self) -> None:
        left = replies.unfilled(self.composer.toPlainText())
        self.placeholder_warning.setText(self.tr("⚠ Fill in before sending: {0}").format(replies.braced(left)))
        self.placeholder_warning.setVisible(bool(left))

    def _refuse_placeholders(self, text: str) -> bool:
        left = replies.unfilled(text)
        if not left:
            return False
        QMessageBox.warning(self, self.tr("Placeholders left in the reply"), self.tr(
            "The reply still contains {0}. Replace them with the real words before sending; "
            "a customer should never read a placeholder.").format(replies.braced(left)))
        self.composer.setFocus()
        return True

    def _warn_if_overtaken(self, text: str) -> bool:
        """Someone else replied to or resolved the ticket since the person
        began writing: show it and ask before sending. True = wait."""
        ticket_id = self.ticket.id
        try:
            fresh = tickets.get(self._db, ticket_id)
        except AmendsError as error:
            show_error(self, error)
            return True
        theirs = [m for m in fresh.messages if m.id > self._seen_message_id and m.direction in ("out", "note")
                  and m.author != self._db.actor]
        resolved = fresh.status == "resolved" and self._seen_status != "resolved"
        if not theirs and not resolved:
            return False
        lines = [f"{m.author} wrote at {m.created_at[11:16]}:\n“{m.body[:400]}”" for m in theirs[-3:]]
        if resolved:
            lines.append(self.tr("The ticket was resolved meanwhile."))
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Someone else answered"),
                          self.tr("Since you began writing:") + "\n\n" + "\n\n".join(lines), parent=self)
        box.setObjectName("overtakenBox")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        send = box.addButton(self.tr("Send mine anyway"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(self.tr("Don't send"), QMessageBox.ButtonRole.RejectRole)

        def chosen(button) -> None:
            if self.ticket is None or self.ticket.id != ticket_id:
                return
            self._mark_seen(fresh)
            if button is send:
                self._store("out", text)
            else:
                self.reload()

        box.buttonClicked.connect(chosen)
        self.overtaken_box = box
        box.open()
        return True

    def send_unsent(self) -> bool:
        """Send what is in the composer (as the mode says); True when it went.
        The person was just asked about this ticket they resolved: that is no
        news to warn about (someone else's reply still is)."""
        if self.ticket is not None:
            try:
                self._seen_status = tickets.get(self._db, self.ticket.id, with_messages=False).status
            except AmendsError as error:
                show_error(self, error)
                return False
        self._send(self.mode)
        return not self.has_unsent_draft()

    def discard_unsent(self) -> None:
        """Throw the composer's text away, and its stored draft."""
        if self.ticket is None:
            return
        self.draft_timer.stop()
        self.composer.clear()
        try:
            drafts.clear(self._db, self.ticket.id, "reply")
        except AmendsError as error:  # a stale draft comes back as text to delete, nothing worse
            log.info("discarded draft of ticket %s still stored: %s", self.ticket.id, error)

    def save_draft(self) -> None:
        """What is being typed survives a crash or restart."""
        self.draft_timer.stop()
        if self.ticket is None:
            return
        try:  # on this computer while the server is away (local_drafts): nothing typed is lost
            local_drafts.save(self._db, self.ticket.id, "reply", self.composer.toPlainText())
        except AmendsError as error:
            log.info("reply draft not saved yet (busy: tried again shortly; the text is on screen): %s", error)
            self.draft_timer.start()

    def _store(self, direction: str, text: str) -> None:
        from amends import settings_schema
        from amends.core.mail import outbox
        from amends.ui.common import settings

        hold = int(settings.get(settings_schema.UNDO_SEND_SECONDS)) if direction == "out" else 0
        send_at, self._send_at = getattr(self, "_send_at", None), None
        stored = None
        try:
            if direction == "out":  # the reply and its outbox entry (or "not sent") in one write
                stored = outbox.send_reply(self._db, self.ticket.id, text, hold_seconds=hold, send_at=send_at)
                message_id = stored.message_id
            else:
                message_id = tickets.add_message(self._db, self.ticket.id, direction, text)
        except AmendsError as error:  # the text stays in the composer
            show_error(self, error, self.tr("Your reply was not saved") if direction == "out"
                       else self.tr("Your note was not saved"))
            return
        self.draft_timer.stop()
        self.composer.clear()
        if self.mode != "out":
            self._set_mode("out")
        ticket_id = self.ticket.id
        try:
            drafts.clear(self._db, ticket_id, "reply")
        except AmendsError as error:
            # the message is stored; a stale draft only comes back as text to delete
            log.info("draft of ticket %s not cleared: %s", ticket_id, error)
        self.reload()
        self.changed.emit(ticket_id)
        if stored is not None and stored.outbox_id is not None and stored.not_before and send_at is None:
            self.composer_status.held(stored.outbox_id, hold)
        if direction == "out":
            self.reply_stored.emit(message_id)
