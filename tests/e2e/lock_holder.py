"""Run as a separate process: hold the write lock of a database for a while.

    python -m tests.e2e.lock_holder DB SECONDS READY_FILE
"""

import sqlite3
import sys
import time
from pathlib import Path

path, seconds, ready = sys.argv[1], float(sys.argv[2]), Path(sys.argv[3])
HOLD = ("INSERT INTO settings (key, value) VALUES ('held_by', 'lock_holder') "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value")
if path.startswith(("postgresql://", "postgres://")):
    # a server database (issue 19): its write lock is the advisory lock every write transaction takes
    import psycopg
    from amends.core.store.postgres import WRITE_LOCK

    server = psycopg.connect(path, autocommit=True)
    server.execute("BEGIN")
    server.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
    server.execute(HOLD)
    ready.write_text("locked")
    time.sleep(seconds)
    server.execute("COMMIT")
    server.close()
    sys.exit(0)
conn = sqlite3.connect(path, isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute(HOLD)
ready.write_text("locked")
time.sleep(seconds)
conn.execute("COMMIT")
conn.close()
