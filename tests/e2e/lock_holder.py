"""Run as a separate process: hold the write lock of a database for a while.

    python -m tests.e2e.lock_holder DB SECONDS READY_FILE
"""

import sqlite3
import sys
import time
from pathlib import Path

path, seconds, ready = sys.argv[1], float(sys.argv[2]), Path(sys.argv[3])
conn = sqlite3.connect(path, isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute("INSERT INTO settings (key, value) VALUES ('held_by', 'lock_holder') "
             "ON CONFLICT(key) DO UPDATE SET value = excluded.value")
ready.write_text("locked")
time.sleep(seconds)
conn.execute("COMMIT")
conn.close()
