"""The banners above the panes: the role-split hint (past about 1,000
active subscribers, dismissable once per database), the sync-folder warning,
the read-only notice, "restored from a backup" (until dismissed), and
"the schema was changed by another tool" (the cheap part of the check,
store/schema_check.py, run after the first paint)."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel

from amends import settings_schema as schema
from amends.core.errors import AmendsError
from amends.core.store import Database
from amends.ui.common import appearance, settings

log = logging.getLogger("amends.ui.banners")
#: the kinds of schema difference the banner names first: lost protection before lost speed
_FIRST = ("trigger", "table", "column", "check", "foreign_key", "unique", "search_index", "index", "view")


class Banners(QObject):
    """Owns the labels; the window lays them out."""

    #: "Check now" on the schema banner: the window opens Help → Check database
    check_requested = Signal()

    def __init__(self, db: Database, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.hint = QLabel()
        self.hint.setObjectName("roleHint")
        self.hint.setWordWrap(True)
        self.hint.linkActivated.connect(self.dismiss_hint)
        self.hint.hide()
        self.location_warning = QLabel()
        self.location_warning.setObjectName("locationWarning")
        self.location_warning.setWordWrap(True)
        self.location_warning.hide()
        self.restored = QLabel()
        self.restored.setObjectName("restoredBanner")
        self.restored.setWordWrap(True)
        self.restored.linkActivated.connect(lambda _link: self.restored.hide())
        self.restored.hide()
        self.schema = QLabel()
        self.schema.setObjectName("schemaBanner")
        self.schema.setWordWrap(True)
        self.schema.linkActivated.connect(self._schema_link)
        self.schema.hide()
        self._schema_found: list = []
        if db.readonly:
            self.location_warning.setText(self.tr(
                "🔒 Read-only: this file cannot be changed from here (its permissions, or the folder's, do not allow "
                "writing). You can read, search and review; changes are refused with a message."))
            self.location_warning.setObjectName("readOnlyBanner")
            self.location_warning.show()

    def after_start(self) -> None:
        """Banners need queries (active subscribers, the folder's parents):
        after the first paint, not before it."""
        try:
            self.show_role_hint()
        except AmendsError as error:
            log.info("role hint not shown (a hint is not worth an error message): %s", error)
            self.hint.hide()
        if not self.db.readonly and not getattr(self.db, "url", ""):  # a server's address is no folder
            self.show_location_warning()
        self.show_schema_drift()

    def show_schema_drift(self) -> bool:
        """Another tool changed this file's schema (a rebuilt table lost its
        triggers, an index was dropped …): say so, with the first difference
        in plain words, until the check finds nothing. Catalogue reads only
        (tens of milliseconds whatever the file's size)."""
        from amends.core.store import schema_check

        try:
            found = [d for d in schema_check.drift_of(self.db.conn) if not d.harmless]
        except AmendsError as error:
            log.warning("the schema was not compared: %s", error)
            found = []
        if not found:
            self._schema_found = []
            self.schema.hide()
            return False
        found.sort(key=lambda d: _FIRST.index(d.kind) if d.kind in _FIRST else len(_FIRST))  # what matters most
        self._schema_found = found
        self.render_schema()
        self.schema.show()
        return True

    def render_schema(self) -> None:
        """The schema banner's text, its links in the banner's own text colour
        (a style-sheeted label paints links in the application's link blue,
        unreadable on the dark warning colour): again when the scheme changes."""
        import html  # (not imported before the first paint, issue 16)

        found = getattr(self, "_schema_found", [])
        if not found:
            return
        colour = self.schema.palette().color(QPalette.ColorRole.WindowText).name()
        more = self.tr(" and {0} more").format(len(found) - 1) if len(found) > 1 else ""
        link = "<a href='{0}' style='color: " + colour + "'>{1}</a>"
        self.schema.setText("⚠ " + self.tr(
            "This file's structure was changed outside Amends: {0}{1}. Help → Check database lists every "
            "difference and repairs what it safely can (after a backup).").format(
            html.escape(found[0].text, quote=False), more)
            + " " + link.format("check", self.tr("Check now")) + " · " + link.format("dismiss", self.tr("Dismiss")))
        self.schema.setToolTip("\n".join(d.text for d in found[:20]))

    def _schema_link(self, link: str) -> None:
        if link == "check":
            self.check_requested.emit()
        else:
            self.schema.hide()

    def show_role_hint(self) -> bool:
        """Past about 1,000 active subscribers: suggest splitting the service
        and relations roles (once per database, dismissable)."""
        from amends.core import policy_history

        if settings.get(schema.ROLE_HINT_DISMISSED, db=self.db.path) or not policy_history.should_split_roles(self.db):
            self.hint.hide()
            return False
        self.hint.setText(self.tr(
            "Your store has passed {0:,} active subscribers. Time to split the roles: someone answers today's "
            "tickets in the Inbox, someone else owns the policies and the Review every quarter. "
            "<a href='dismiss'>Got it</a>").format(policy_history.ACTIVE_SUBSCRIBERS_HINT))
        appearance.link_on_banner(self.hint, appearance.is_dark())
        self.hint.show()
        return True

    def show_location_warning(self) -> bool:
        """A database inside a sync folder can fork when two people write:
        say so plainly (it stays until the file is moved)."""
        from amends.core.store import location

        service = location.sync_folder(self.db.path)
        if service is None:
            self.location_warning.hide()
            return False
        self.location_warning.setText(self.tr(
            "⚠ This database is inside a {0} folder. Sync services copy files instead of locking them: if two "
            "people work at the same time the database can split into two copies and changes get lost. Keep it "
            "on one computer's disk or a network share instead (see “Sharing a database” in the README).").format(
            service))
        self.location_warning.show()
        return True

    def show_restored(self) -> None:
        """The file was replaced by a backup: say by whom, when and from
        what, so that a person wondering where their last edits went knows."""
        import html  # (not imported before the first paint, issue 16)

        from amends.core import backups, clock

        try:
            entry = backups.last_restore(self.db)
        except AmendsError as error:
            log.warning("the restore's audit entry was not read: %s", error)
            entry = None
        if entry is None:
            text = self.tr("Restored from a backup: what is shown now is the restored data.")
        else:
            when = clock.parse_iso(entry.at).astimezone().strftime("%Y-%m-%d %H:%M")
            source = (entry.change or {}).get("from")
            text = self.tr("Restored from a backup by {0} at {1}").format(html.escape(entry.actor), when)
            if source:  # the file's name here; the whole path in the tooltip
                text += self.tr(" (from {0})").format(html.escape(Path(source).name))
            text += self.tr(". You now see the restored data; undo was cleared (it held changes from before).")
            self.restored.setToolTip(source or "")
        self.restored.setText("⟲ " + text + " <a href='dismiss'>" + self.tr("Dismiss") + "</a>")
        appearance.link_on_banner(self.restored, appearance.is_dark())
        self.restored.show()

    def dismiss_hint(self, _link: str = "") -> None:
        settings.put(schema.ROLE_HINT_DISMISSED, True, db=self.db.path)
        self.hint.hide()
