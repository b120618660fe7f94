"""One ticket: the conversation, the customer beside it, the fields, a
composer for replies and internal notes, and Resolve.

The view lays the ticket out and shows it at one version; each feature is a
controller of its own that makes its widgets and answers through signals:
``fields.TicketFields`` (category, priority, status, assignee, Take, Resolve,
conflicts), ``composer.Composer`` (replies, notes, drafts, saved replies,
Send later, Undo send), ``suggestion.CategorySuggestion``. The HTML is made
in ``ticket_html`` and ``customer_panel``."""

from __future__ import annotations

import html
import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QTextOption
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from amends.core import (
    attachments,
    audit,
    clock,
    customers,
    followups,
    merges,
    policies,
    proposals,
    replies,
    resolution,
    signatures,
    split,
    suggestions,
    tags,
    tickets,
)
from amends.core.errors import AmendsError
from amends.core.mail import defects as mail_defects
from amends.core.mail import delivery, mailboxes
from amends.core.store import Database
from amends.ui.common import local_time
from amends.ui.common.messages import show_error
from amends.ui.ticket.attachments_view import AttachmentBrowser
from amends.ui.ticket.composer import Composer
from amends.ui.ticket.customer_panel import CustomerBrowser, CustomerPanel, profile_html
from amends.ui.ticket.fields import TicketFields
from amends.ui.ticket.suggestion import CategorySuggestion
from amends.ui.ticket.ticket_html import (
    conversation_html,
    history_html,
    resolution_summary,
    set_html,
    tags_html,
)

log = logging.getLogger("amends.ui.ticket")


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
        self._ticket: tickets.Ticket | None = None
        self.dark = False  # set by the window from the colour scheme (set_dark)
        self.editing = TicketFields(db, self)
        self.composing = Composer(db, self)
        self.suggesting = CategorySuggestion(db, self)
        self._wire_controllers()

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

        # The controllers' widgets, by the names the window, menus and tests use.
        fields = self.editing
        self.category, self.priority, self.status = fields.category, fields.priority, fields.status
        self.assignee, self.take_button, self.resolve_button = fields.assignee, fields.take_button, fields.resolve_button
        self.others = QLabel()
        self.others.setObjectName("presenceLabel")
        self.others.hide()
        self.suggestion, self.suggestion_button = self.suggesting.suggestion, self.suggesting.suggestion_button
        suggestion_row = QHBoxLayout()
        suggestion_row.addWidget(self.suggestion, 1)
        suggestion_row.addWidget(self.suggestion_button)
        composing = self.composing
        self.composer, self.composer_status = composing.composer, composing.composer_status
        self.reply_button, self.note_button = composing.reply_button, composing.note_button
        self.saved_reply_button, self.later_button = composing.saved_reply_button, composing.later_button
        self.placeholder_warning, self.composer_buttons = composing.placeholder_warning, composing.composer_buttons
        self.draft_timer = composing.draft_timer
        self._lay_out(followup_row, suggestion_row)
        self.followup_button.clicked.connect(self._followup_done)

    def _wire_controllers(self) -> None:
        """The controllers' signals: their edits become this view's signals."""
        self.editing.changed.connect(self.changed)
        self.editing.edit_made.connect(self.edit_made)
        self.editing.resolve_requested.connect(self.resolve_requested)
        self.editing.reload_requested.connect(self.reload)
        self.editing.show_requested.connect(self.show_ticket)
        self.composing.stored.connect(self._stored)
        self.composing.reload_requested.connect(self.reload)
        self.composing.reply_stored.connect(self.reply_stored)
        self.composing.mailbox_setup_requested.connect(self.mailbox_setup_requested)
        self.composing.send_requested.connect(self.send_requested)
        self.composing.composing_changed.connect(self.activity_changed)
        self.suggesting.accepted.connect(self._accept_suggestion)

    def _lay_out(self, followup_row: QHBoxLayout, suggestion_row: QHBoxLayout) -> None:
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

        self.conversation = AttachmentBrowser(self._db)  # loads the mail's own images only: no network, no disk
        self.conversation.setObjectName("conversation")
        self.conversation.setAccessibleName(self.tr("Conversation"))
        self.conversation.setOpenLinks(False)
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
        self.conversation.anchorClicked.connect(self.composing.delivery_link)

    @property
    def ticket(self) -> tickets.Ticket | None:
        """The ticket shown (at the version read last); the controllers follow it."""
        return self._ticket

    @ticket.setter
    def ticket(self, ticket: tickets.Ticket | None) -> None:
        self._ticket = ticket
        self.editing.ticket = self.composing.ticket = self.suggesting.ticket = ticket

    def _set_loading(self, loading: bool) -> None:
        """While the ticket is filled in, nothing typed or chosen is saved."""
        self.editing.loading = self.composing.loading = loading

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
        self._set_loading(True)
        # Shown before it is filled (nothing paints in between): filled while
        # hidden, the long conversation was laid out twice, at the old size and
        # again when shown (issue 16).
        self.empty.hide()
        self.splitter.show()
        self.subject.setText(f"<h2>{html.escape(ticket.subject)}</h2>")
        cycle = self.tr(" · billing cycle {0}").format(ticket.billing_cycle) if ticket.billing_cycle else ""
        extra = ""
        if ticket.snoozed_until and ticket.snoozed_until > clock.now_iso():
            extra += self.tr(" · <b>snoozed</b> until {0}").format(local_time.day_and_time(ticket.snoozed_until))
        if joined:
            extra += self.tr(" · merged from {0}").format(", ".join(f"#{t}" for t in joined))
        if ticket.merged_into:
            extra += self.tr(" · merged into #{0}").format(ticket.merged_into)
        if split_from:
            extra += self.tr(" · split from #{0}").format(split_from)
        if split_into:
            extra += self.tr(" · split into {0}").format(", ".join(f"#{t}" for t in split_into))
        self.meta.setText(self.tr("#{0} · opened {1}{2} · updated {3}{4}").format(
            ticket.id, local_time.stamp(ticket.created_at), cycle, local_time.stamp(ticket.updated_at),
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
        self.editing.show_values(ticket)
        self.suggesting.show_for(ticket)
        self.editing.show_people(ticket, people)
        set_html(self.conversation, conversation_html(ticket, self.dark, files, noted, delivered))
        # Someone else's change re-renders the conversation: keep the reader's place.
        scroll.setValue(scroll.maximum() if not keep_draft or at_bottom else kept_scroll)
        self.take_button.setEnabled(ticket.assignee != self._db.actor)
        set_html(self.customer, profile_html(profile))
        self._history_of = None  # stale: re-read when (or if) its tab is shown
        self._show_history()
        self.composing.shown(ticket, keep_draft, sender is not None, signed_with)
        if not keep_draft:
            self.activity_changed.emit()
        self._set_loading(False)

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


    def _accept_suggestion(self, found: suggestions.Suggestion) -> None:
        self.editing.save_field("category", found.category)  # undoable, conflicts handled as for any edit
        self.suggesting.record_if_taken(found)

    # -- presence ---------------------------------------------------------------
    def presence_state(self) -> tuple[int | None, str]:
        if self.ticket is None:
            return None, "idle"
        return self.ticket.id, "replying" if self.composing.composing else "viewing"

    def show_presence(self, people: list) -> None:
        here = [p for p in people if self.ticket is not None and p.ticket_id == self.ticket.id
                and p.activity != "idle"]
        self.others.setText(" · ".join(html.escape(p.describe()) for p in here))
        self.others.setVisible(bool(here))

    def set_dark(self, dark: bool) -> None:
        """The conversation's colours follow the scheme: redrawn only when it changed."""
        if self.dark != dark:
            self.dark = dark
            self.reload()

    def reload(self) -> None:
        if self.ticket is not None:
            self.show_ticket(self.ticket.id)

    def _stored(self, ticket_id: int) -> None:
        """A message went in (or a held reply came back): read it again, tell the others."""
        self.reload()
        self.changed.emit(ticket_id)

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

    # -- the composer's, for the window, menus and the resolve flow ----------------
    def take(self) -> None:
        self.editing.take()

    @property
    def mode(self) -> str:
        return self.composing.mode

    def compose(self, mode: str) -> None:
        self.composing.compose(mode)

    def has_unsent_draft(self) -> bool:
        return self.composing.has_unsent_draft()

    def send_unsent(self) -> bool:
        return self.composing.send_unsent()

    def discard_unsent(self) -> None:
        self.composing.discard_unsent()

    def save_draft(self) -> None:
        self.composing.save_draft()

    def choose_saved_reply(self, step_type: str | None = None):
        return self.composing.choose_saved_reply(step_type)

    def insert_reply(self, reply: replies.SavedReply, offer: str | None = None) -> replies.Rendered | None:
        return self.composing.insert_reply(reply, offer)

    def choose_later(self):
        return self.composing.choose_later()
