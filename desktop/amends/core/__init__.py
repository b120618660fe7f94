"""The Amends domain: pure Python over SQLite. Never import Qt here.

Every service function takes a :class:`amends.core.store.Database` first, so
the UI, the CLI and the tests all go through the same rules.
"""
