"""Every preference and environment variable of Amends in one place: its
name, type, default and where it is stored. Qt-free, so that the CLI, the
core and the docs can read it; the desktop app reads and writes the QSettings
ones through ``amends.ui.common.settings`` and nowhere else.

Keys with ``{db}`` are kept per database file (another file has other saved
views and its own hints); ``{header}`` is a hash of a CSV file's column names.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

QSETTINGS = "QSettings (this computer, this person)"
IDENTITY = "identity.json (amends.core.identity: shared with the CLI)"
DATABASE = "the database file (shared by everyone using it)"
ENVIRONMENT = "environment variable"


@dataclass(frozen=True)
class Setting:
    """One stored preference or one environment variable."""

    name: str  # the QSettings key (with {placeholders}), the JSON field or the variable
    type: type
    default: Any
    where: str
    doc: str

    def key(self, **parts: Any) -> str:
        return self.name.format(**parts)


# -- QSettings: the desktop app's own, per computer ------------------------------------------
WINDOW_GEOMETRY = Setting("window/geometry", bytes, None, QSETTINGS, "window size and position")
INBOX_SPLITTER = Setting("window/inboxSplitter", bytes, None, QSETTINGS, "views | list | ticket widths")
TICKET_SPLITTER = Setting("window/ticketSplitter", bytes, None, QSETTINGS, "conversation | customer widths")
CUSTOMER_COLLAPSED = Setting("window/customerCollapsed", bool, False, QSETTINGS,
                             "the ticket's customer panel folded to an icon strip")
INBOX_HEADER = Setting("window/inboxHeader", bytes, None, QSETTINGS, "inbox columns: order, widths, hidden")
INBOX_VIEW = Setting("inbox/{db}/view", str, "", QSETTINGS, "the view shown last, per database")
INBOX_SORT = Setting("inbox/{db}/sort", str, "", QSETTINGS, "the inbox sort order, per database")
ROLE_HINT_DISMISSED = Setting("roleHintDismissed/{db}", bool, False, QSETTINGS,
                              "the role-split hint was dismissed, per database")
DEMO_OFFERED = Setting("demoOffered/{db}", bool, False, QSETTINGS, "demo data was offered once, per database")
NOTIFY_FOLLOWUPS = Setting("notifications/followups", bool, True, QSETTINGS,
                           "a desktop notice when a follow-up falls due (Preferences)")
SHOW_TRAY = Setting("notifications/tray", bool, True, QSETTINGS, "the tray icon with counts (Preferences)")
COLOUR_SCHEME = Setting("appearance/scheme", str, "system", QSETTINGS,
                        "system, light or dark (Preferences → Appearance)")
UNDO_SEND_SECONDS = Setting("mail/undoSendSeconds", int, 10, QSETTINGS,
                            "seconds a sent reply is held and can be taken back (Undo); 0 sends at once")
RECENT_DATABASES = Setting("recent/databases", str, "", QSETTINGS,
                           "File → Open Recent: files and server addresses (never a password), newest first, "
                           "one a line")
IMPORT_MAPPING = Setting("importMapping/{header}", str, "", QSETTINGS,
                         "a CSV column mapping (JSON), remembered per set of column names")

# -- identity.json: who you are, shared with the CLI ----------------------------------------
DISPLAY_NAME = Setting("display_name", str, "<OS user>@<host>", IDENTITY, "recorded on every change you make")
ROLE = Setting("role", str, "both", IDENTITY, "service, relations or both: which pane opens first")

# -- the database: shared by everyone on the file ---------------------------------------------
PERSON_SIGNATURE = Setting("signature.person.<name>", str, "", DATABASE,
                           "your signature under replies (settings table; Preferences → Your signature)")
BUSINESS_HOURS = Setting("business_hours", str, "Mon–Fri 09:00–17:00 UTC", DATABASE,
                         "weekly opening hours and time zone, JSON (core/business_hours.py)")
BACKUPS_KEPT = Setting("backups.keep", int, 10, DATABASE,
                       "how many rolling backups to keep (settings table; Backups dialog, amends backup)")

# -- environment variables ----------------------------------------------------------------------
AMENDS_HOME = Setting("AMENDS_HOME", str, "", ENVIRONMENT,
                      "moves every per-user folder (data, settings of the CLI, logs) under one path; for tests")
AMENDS_DB = Setting("AMENDS_DB", str, "", ENVIRONMENT, "the database the CLI opens without --db")
AMENDS_ACTOR = Setting("AMENDS_ACTOR", str, "", ENVIRONMENT, "the display name, over identity.json")
AMENDS_LOCK_WAIT_SECONDS = Setting("AMENDS_LOCK_WAIT_SECONDS", float, 30.0, ENVIRONMENT,
                                   "how long a CLI write waits for another writer's lock")
AMENDS_MAIL_PASSWORD = Setting("AMENDS_MAIL_PASSWORD", str, "", ENVIRONMENT,
                               "the mail password for `amends mail fetch/test` (else stdin or the keyring)")
AMENDS_JOURNAL_MODE = Setting("AMENDS_JOURNAL_MODE", str, "", ENVIRONMENT,
                              "wal or delete: force the journal mode (tests of network-share behaviour)")
AMENDS_POLL_MS = Setting("AMENDS_POLL_MS", int, 1000, ENVIRONMENT,
                         "how often (ms) a window looks for others' changes when nothing tells it: a file, or a "
                         "server whose LISTEN connection was lost")
AMENDS_LISTEN_POLL_MS = Setting("AMENDS_LISTEN_POLL_MS", int, 10000, ENVIRONMENT,
                                "on a server while LISTEN/NOTIFY works: the slow safety-net poll (ms)")
AMENDS_LISTEN_RETRY_SECONDS = Setting("AMENDS_LISTEN_RETRY_SECONDS", float, 2.0, ENVIRONMENT,
                                      "on a server: seconds between attempts to listen again after the LISTEN "
                                      "connection was lost")
AMENDS_STARTUP_PROBE = Setting("AMENDS_STARTUP_PROBE", bool, False, ENVIRONMENT,
                               "the app quits after its first painted page (start-up benchmarks, smoke tests)")
AMENDS_SMOKE_TEST = Setting("AMENDS_SMOKE_TEST", bool, False, ENVIRONMENT,
                            "the app checks its icons and Qt's translations once the inbox is painted, prints "
                            "what it found and quits (the wheel and bundle smoke tests)")

ALL: tuple[Setting, ...] = tuple(v for v in globals().copy().values() if isinstance(v, Setting))


def environment(setting: Setting) -> Any:
    """The value of an environment variable as its declared type (its default when unset or empty)."""
    if setting.where != ENVIRONMENT:
        raise ValueError(f"{setting.name} is not an environment variable")
    raw = os.environ.get(setting.name, "").strip()
    if not raw:
        return setting.default
    if setting.type is bool:
        return raw.lower() not in ("0", "false", "no", "off")
    return setting.type(raw)
