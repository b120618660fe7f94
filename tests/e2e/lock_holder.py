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
conn = sqlite3.connect(path, isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute("INSERT INTO settings (key, value) VALUES ('held_by', 'lock_holder') "
             "ON CONFLICT(key) DO UPDATE SET value = excluded.value")
ready.write_text("locked")
if release is None:
    time.sleep(seconds)
else:
    deadline = time.monotonic() + seconds
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
conn.execute("COMMIT")
conn.close()
