"""The Amends domain: pure Python over SQLite. Never import Qt here.

Every service function takes a :class:`amends.core.store.Database` first, so
the UI, the CLI and the tests all go through the same rules.
"""

import logging

# A library's loggers write nowhere until the program says where (the app:
# amends.log). Without this, Python's last-resort handler would print the
# core's warnings to stderr, under the CLI's one-line error messages.
logging.getLogger(__name__).addHandler(logging.NullHandler())
