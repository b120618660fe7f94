"""The window's panes: the Inbox always, Policies, Review and Audit built
the first time they are shown (start-up shows the inbox only), and the
stack that holds them.

:class:`WindowPanes` is a mixin of
:class:`~amends.ui.shell.main_window.MainWindow` (split from it by feature);
it uses the window's ``db``, ``bus``, ``stack``, ``inbox``, ``live`` and
pane actions."""

from __future__ import annotations

from PySide6.QtWidgets import QSizePolicy, QStackedWidget, QWidget

from amends.ui.common.databus import Changed

PANES = ("inbox", "policies", "review", "audit")


class WindowPanes:
    """The panes of the main window (see the module's docstring)."""

    @property
    def policies(self):
        """The Policies pane, created the first time it is needed."""
        if self._policies is None:
            from amends.ui.policies.policies_pane import PoliciesPane

            self._policies = PoliciesPane(self.db)
            self._policies.setObjectName("policiesPane")
            self.bus.changed.connect(self._policies.on_data_changed)
            self.stack.addWidget(self._policies)
        return self._policies

    @property
    def review(self):
        """The Review pane, created the first time it is needed."""
        if self._review is None:
            from amends.ui.review.review_pane import ReviewPane

            self._review = ReviewPane(self.db)
            self._review.setObjectName("reviewPane")
            self._review.drill_requested.connect(self.drill_down)
            self._review.wrote.connect(lambda what: self.bus.announce(Changed(what)))
            self.stack.addWidget(self._review)
        return self._review

    @property
    def audit(self):
        """The Audit pane, created the first time it is needed."""
        if self._audit is None:
            from amends.ui.audit.audit_pane import AuditPane

            self._audit = AuditPane(self.db)
            self._audit.setObjectName("auditPane")
            self.bus.changed.connect(self._audit.on_data_changed)
            self._audit.open_ticket.connect(lambda ticket_id: self.drill_down(f"ticket #{ticket_id}", [ticket_id]))
            self.stack.addWidget(self._audit)
        return self._audit

    def show_pane(self, index: int) -> None:
        refresh = (index == 1 and self._policies is not None) or (index == 3 and self._audit is not None)
        pane = getattr(self, PANES[index])
        self.stack.setCurrentWidget(pane)
        self.live.away = index != 0
        (self.act_inbox, self.act_policies, self.act_review, self.act_audit)[index].setChecked(True)
        if refresh and index == 3:
            self._audit.refresh()
        if refresh:
            self._policies.refresh()
        if index == 0:
            self.inbox.ticket_view.reload()  # decisions made in other panes show on the ticket
        if index == 2 and self._review.data is None:
            self._review.compute()

    def drill_down(self, label: str, ids: list) -> None:
        """A number in the Review pane was clicked: its tickets in the inbox."""
        self.show_pane(0)
        self.inbox.show_ids(label, ids)


class PaneStack(QStackedWidget):
    """The panes, of which only the one shown sets the window's minimum size:
    a QStackedWidget takes the largest of all, so the Policies pane's height
    and the Review's controls kept the window from a 1,280 × 720 laptop."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.currentChanged.connect(self._fit)

    def addWidget(self, widget: QWidget) -> int:
        index = super().addWidget(widget)
        self._fit()
        return index

    def _fit(self, *_args) -> None:
        shown = self.currentWidget()
        for number in range(self.count()):
            pane = self.widget(number)
            policy = QSizePolicy.Policy.Preferred if pane is shown else QSizePolicy.Policy.Ignored
            pane.setSizePolicy(policy, policy)
        self.updateGeometry()
