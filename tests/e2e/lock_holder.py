"""Run as a separate process: hold the write lock of a database for a while.

    python -m tests.e2e.lock_holder DB SECONDS READY_FILE [RELEASE_FILE]

With RELEASE_FILE the lock is held until that file appears (SECONDS is then
only a safety limit): a test that must see the lock still held does not
depend on how fast a loaded machine starts its other processes.
"""

import sqlite3
import sys
import time
from pathlib import Path

path, seconds, ready = sys.argv[1], float(sys.argv[2]), Path(sys.argv[3])
release = Path(sys.argv[4]) if len(sys.argv) > 4 else None


def hold() -> None:
    """Until RELEASE_FILE appears (SECONDS at most), or for SECONDS without one."""
    if release is None:
        time.sleep(seconds)
        return
    deadline = time.monotonic() + seconds
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.01)


HOLD = ("INSERT INTO settings (key, value) VALUES ('held_by', 'lock_holder') "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value")
if path.startswith(("postgresql://", "postgres://")):
    # a server database (issue 19): its write lock is the advisory lock every write transaction takes
    import psycopg
    from amends.core.store.pg_locks import WRITE_LOCK

    server = psycopg.connect(path, autocommit=True)
    server.execute("BEGIN")
    server.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
    server.execute(HOLD)
    ready.write_text("locked")
    hold()
    server.execute("COMMIT")
    server.close()
    sys.exit(0)
conn = sqlite3.connect(path, isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute(HOLD)
ready.write_text("locked")
hold()
conn.execute("COMMIT")
conn.close()
