"""Connection setup, schema and migrations: the seam between the domain and
SQLite. See docs/architecture.md."""

from amends.core.store.connection import Database

__all__ = ["Database"]
