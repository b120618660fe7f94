"""The banners above the panes: the role-split hint (past about 1,000
active subscribers, dismissable once per database), the sync-folder warning
and the read-only notice."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel

from amends import settings_schema as schema
from amends.core.errors import AmendsError
from amends.core.store import Database
from amends.ui.common import settings

log = logging.getLogger("amends.ui.banners")


class Banners(QObject):
    """Owns the two labels; the window lays them out."""

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
        if not self.db.readonly:
            self.show_location_warning()

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

    def dismiss_hint(self, _link: str = "") -> None:
        settings.put(schema.ROLE_HINT_DISMISSED, True, db=self.db.path)
        self.hint.hide()
