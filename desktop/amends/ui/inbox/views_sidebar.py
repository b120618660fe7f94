"""The inbox's views sidebar: built-in and saved views, their live counts,
saving, renaming, moving and deleting them, and what an empty view says.

A mixin of :class:`~amends.ui.inbox.inbox_pane.InboxPane` (split from it by
feature): it works on the pane's own widgets (``views``, the filter combos,
``search``, ``model``) and its one query, which the pane owns."""

from __future__ import annotations

import logging
from dataclasses import replace

from PySide6.QtWidgets import QListWidgetItem

from amends.core import saved_views, tickets
from amends.core.errors import AmendsError, ValidationError
from amends.ui.common import qt_values as qv
from amends.ui.common.messages import show_error

log = logging.getLogger("amends.ui.inbox")

VIEW_KEY_ROLE = qv.USER_ROLE


class ViewsSidebar:
    """The views list of the inbox pane (see the module's docstring)."""

    # -- views ---------------------------------------------------------------
    def fill_views(self, select: str | None = None) -> None:
        """The sidebar: built-in views, then this person's saved views."""
        current = select or self.current_view_key()
        try:
            views = saved_views.all_views(self._db)
        except AmendsError as error:
            show_error(self, error)
            return
        self.views.blockSignals(True)
        self.views.clear()
        self._views = {v.key: v for v in views}
        first_saved = next((v.key for v in views if v.saved), None)
        for view in views:
            if view.key == first_saved:
                header = QListWidgetItem(self.tr("Saved views"), self.views)
                font = header.font()
                font.setBold(True)
                header.setFont(font)
            item = QListWidgetItem(self._view_text(view), self.views)
            item.setData(VIEW_KEY_ROLE, view.key)
            item.setToolTip(view.query.full_text or view.name)
        # The items' flags are Qt enums, whose namespace the first paint does not make (qt_values.py):
        # the built-in views' (not dragged) are set right after it; a header (greyed) is seen, set now.
        if self._views_flagged or first_saved is not None:
            self._flag_views()
        self.views.blockSignals(False)
        if current and current in self._views:
            self.views.blockSignals(True)
            self.views.setCurrentRow(self._row_of_view(current))
            self.views.blockSignals(False)

    def _flag_views(self) -> None:
        """What each row of the views list allows: a view is chosen, a saved
        one dragged too; the "Saved views" header is neither (and greyed)."""
        from PySide6.QtCore import Qt

        self._views_flagged = True
        for row in range(self.views.count()):
            item = self.views.item(row)
            view = self._views.get(item.data(VIEW_KEY_ROLE))
            if view is None:
                item.setFlags(Qt.ItemFlag.NoItemFlags)
                continue
            flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
            if view.saved:
                flags |= Qt.ItemFlag.ItemIsDragEnabled
            item.setFlags(flags)

    def _view_text(self, view: saved_views.View) -> str:
        name = view.name if view.saved else self.tr(view.name)
        if view.key not in self._counts:
            return name
        number, capped = self._counts[view.key]
        return f"{name}  {number:,}{'+' if capped else ''}"

    def _row_of_view(self, key: str) -> int:
        for row in range(self.views.count()):
            if self.views.item(row).data(VIEW_KEY_ROLE) == key:
                return row
        return -1

    def current_view_key(self) -> str | None:
        item = self.views.currentItem()
        return item.data(VIEW_KEY_ROLE) if item is not None else None

    def current_saved_view(self) -> saved_views.View | None:
        view = self._views.get(self.current_view_key() or "")
        return view if view is not None and view.saved else None

    def select_view(self, key: str) -> None:
        row = self._row_of_view(key)
        if row >= 0:
            self.views.setCurrentRow(row)

    def _view_chosen(self, item: QListWidgetItem | None, _previous=None) -> None:
        if item is None or item.data(VIEW_KEY_ROLE) not in self._views:
            return
        view = self._views[item.data(VIEW_KEY_ROLE)]
        query = view.query
        self._applying = True
        combos = [(self.status, query.status), (self.category, query.category or ""),
                  (self.assignee, query.assignee or "")]
        if view.saved or query.sort != "updated":  # a saved view brings its sort; a built-in one keeps the
            combos.append((self.sort, query.sort))  # sort chosen unless it has its own (Overdue: oldest waiting)
        for combo, value in combos:
            combo.setCurrentIndex(max(0, combo.findData(value)))
        if view.saved:  # a saved search shows its words in the box, to read and refine
            self.search.setText(query.text)
        self._applying = False
        self._search_timer.stop()
        self._base_text = query.base_text
        self.show_query(replace(query, text=self.search.text(), sort=self.sort.currentData()))

    def save_current_view(self, name: str) -> int | None:
        """Save what the inbox shows now (search, filters, sort) as a view."""
        query = self.current_query()
        words = [query.base_text, query.text.strip()]
        if query.category and "category:" not in query.text:
            words.append(f"category:{query.category}")
        if query.assignee and "assignee:" not in query.text:
            words.append("assignee:none" if query.assignee == tickets.UNASSIGNED else
                         f'assignee:"{query.assignee}"' if " " in query.assignee else f"assignee:{query.assignee}")
        try:
            view_id = saved_views.save(self._db, name, " ".join(w for w in words if w), status=query.status,
                                       sort=query.sort)
        except AmendsError as error:
            show_error(self, error, self.tr("The view was not saved"))
            return None
        self._views_changed(f"saved:{view_id}", show=True)
        return view_id

    def update_view(self, view: saved_views.View) -> bool:
        try:
            saved_views.update_query(self._db, view.id, self.search.text(), view.version)
        except AmendsError as error:
            show_error(self, error, self.tr("The view was not changed"))
            return False
        self._views_changed(show=True)
        return True

    def rename_view(self, view_id: int, name: str) -> bool:
        try:
            saved_views.rename(self._db, view_id, name)
        except AmendsError as error:
            show_error(self, error, self.tr("The view was not renamed"))
            return False
        self._views_changed()
        return True

    def delete_view(self, view_id: int) -> None:
        try:
            saved_views.delete(self._db, view_id)
        except AmendsError as error:
            show_error(self, error)
            return
        self._views_changed("builtin:Active", show=True)

    def move_view(self, step: int) -> None:
        """Alt+Up / Alt+Down: move the current saved view among the saved ones."""
        view = self.current_saved_view()
        if view is None:
            return
        order = [v.id for v in self._views.values() if v.saved]
        at = order.index(view.id)
        target = at + step
        if not 0 <= target < len(order):
            return
        order[at], order[target] = order[target], order[at]
        self._store_order(order, view.key)

    def _views_dragged(self) -> None:
        keys = [self.views.item(r).data(VIEW_KEY_ROLE) for r in range(self.views.count())]
        order = [self._views[k].id for k in keys if k in self._views and self._views[k].saved]
        self._store_order(order, self.current_view_key())

    def _store_order(self, order: list[int], select: str | None) -> None:
        try:
            saved_views.reorder(self._db, order)
        except AmendsError as error:
            show_error(self, error)  # the sidebar goes back to the stored order
        self._views_changed(select)

    def _views_changed(self, select: str | None = None, *, show: bool = False) -> None:
        """After saving, changing, renaming, moving or deleting a view: the
        sidebar anew (with ``select`` chosen, and shown with ``show``), counts."""
        self.fill_views(select=select)
        if show:
            self._view_chosen(self.views.currentItem())
        self.update_counts()
        self.views_changed.emit()


    def _show_hint(self, query: tickets.InboxQuery) -> None:
        hints = []
        if query.searching:
            hints.append(self.tr("Search results, newest first."))
        if query.view == "due_followups":
            hints.append(self.tr("Tickets with a check-in that is due, oldest due first."))
        elif "is:overdue" in query.base_text and not query.searching:
            hints.append(self.tr("Customers waiting past their reply target, the longest wait first "
                                 "(targets: Preferences → Reply targets)."))
        elif "is:due-soon" in query.base_text and not query.searching:
            hints.append(self.tr("Replies due within two hours, the longest wait first."))
        elif "is:snoozed" in query.full_text.lower() and not query.searching:
            hints.append(self.tr("Snoozed tickets, the soonest back first (Shift+S wakes one now)."))
        if self.model.rowCount() == 0:
            hints.append(self.empty_state(query))
        self.hint.setText(" ".join(hints))
        self.hint.setVisible(bool(hints))

    def empty_state(self, query: tickets.InboxQuery) -> str:
        """An empty list says why, and what to do next."""
        try:
            anything = tickets.latest_id(self._db) > 0
        except AmendsError as error:
            log.info("empty-state check skipped (assume there are tickets): %s", error)
            anything = True
        if not anything:
            return self.tr("No tickets yet. Create one (Ctrl+N), import a file or another helpdesk's export "
                           "(Ctrl+I), or connect a mailbox (Edit → Mail account…). File → Load demo data… shows "
                           "Amends with 2,000 example tickets.")
        if query.text.strip():
            return self.tr("No tickets match “{0}”. Check the spelling, take a field away, or choose All tickets "
                           "(the search keeps the view's own filter).").format(query.text.strip())
        key = self.current_view_key()
        return {
            "builtin:Due follow-ups": self.tr("No follow-ups are due. Check-ins from resolved tickets come back "
                                              "here on their day."),
            "builtin:Snoozed": self.tr("Nothing is snoozed. Select tickets and press S to hide them until later."),
            "builtin:Mine": self.tr("Nothing is assigned to you. Press A on a ticket (or Ctrl+Shift+T) to take it."),
            "builtin:No policy": self.tr("Every open ticket has a policy that covers it."),
            "builtin:Unassigned": self.tr("Every open ticket has someone taking care of it."),
        }.get(key or "", self.tr("No tickets in this view."))

    def update_counts(self) -> None:
        """Live counts beside the views, counted in a worker (capped, and off
        the UI thread: on a million tickets they take a few hundred ms)."""
        from amends.ui.common import ops

        if self._counting is not None and not self._counting.done:
            self._counts_stale = True
            return
        self._counts_stale = False
        views = {key: view.query for key, view in self._views.items()}

        def work(job: ops.Job) -> dict:
            counts = {}
            for key, query in views.items():
                try:
                    counts[key] = tickets.count(job.db, query)
                except ValidationError:
                    continue  # a saved search that no longer parses (a deleted tag): no number
            return counts

        def show(counts: dict) -> None:
            self._counts = counts
            for row in range(self.views.count()):
                item = self.views.item(row)
                view = self._views.get(item.data(VIEW_KEY_ROLE))
                if view is None:
                    continue
                item.setText(self._view_text(view))
                if view.key in counts:
                    item.setData(qv.ACCESSIBLE_TEXT_ROLE,
                                 self.tr("{0}, {1} tickets").format(view.name, counts[view.key][0]))
            self.counts_shown.emit()
            if self._counts_stale:
                self.update_counts()

        def failed(error: BaseException) -> None:
            # the views keep their last numbers; a message box every refresh would be worse than none
            log.warning("view counts not updated: %s", error)

        self._counting = ops.run(self._db, work, success=show, failure=failed, parent=self)
