"""Run as a separate process by the backup and restore trials:

    python -m tests.e2e.backup_agent write DB LEDGER READY SECONDS
        open tickets one transaction each, appending each subject to LEDGER
        once it is committed, for SECONDS (READY appears at the first one)
    python -m tests.e2e.backup_agent make DB          a backup in DB's folder
    python -m tests.e2e.backup_agent restore DB SRC   restore SRC into DB
    python -m tests.e2e.backup_agent open DB          open (and upgrade) DB
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from amends.core import backups, tickets
from amends.core.workspace import open_database


def write(path: str, ledger: str, ready: str, seconds: float) -> None:
    db = open_database(path, "writer@host")
    end = time.monotonic() + seconds
    number = 0
    with open(ledger, "a", encoding="utf-8") as out:
        while time.monotonic() < end:
            number += 1
            subject = f"written while restoring {number}"
            tickets.create(db, subject, "still here?")
            out.write(subject + "\n")
            out.flush()
            if number == 1:
                Path(ready).write_text("writing")
    db.close()


def main(argv: list[str]) -> int:
    action, path = argv[0], argv[1]
    if action == "write":
        write(path, argv[2], argv[3], float(argv[4]))
    elif action == "make":
        db = open_database(path, "backup@host", create=False)
        print(backups.make(db, "manual"))
        db.close()
    elif action == "restore":
        print(backups.restore(Path(path), Path(argv[2]), force=True, actor="restorer@host"))
    elif action == "open":
        open_database(path, "opener@host", create=False).close()
    else:
        raise SystemExit(f"unknown action {action}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
