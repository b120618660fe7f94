"""A process that keeps one database open the way a window does, driven
line by line on stdin, answering on stdout (for the lock-trap trials).

    python -m tests.e2e.holder DB ACTOR

Commands: ``write SUBJECT`` (a ticket through the core; answers ``ok ID``),
``job`` (what every background job does: a second connection opened and
closed in this process; answers ``ok``), ``count`` (tickets seen; ``ok N``),
``quit`` (closes the connection, answers ``ok``).
"""

from __future__ import annotations

import sys

from amends.core import tickets
from amends.core.workspace import open_database


def main() -> int:
    path, actor = sys.argv[1:3]
    db = open_database(path, actor, create=False)
    print("ready", flush=True)
    for line in sys.stdin:
        command, _, rest = line.strip().partition(" ")
        if command == "write":
            print(f"ok {tickets.create(db, rest, 'written by the holder')}", flush=True)
        elif command == "job":
            db.reopen().close()
            print("ok", flush=True)
        elif command == "count":
            print(f"ok {db.scalar('SELECT count(*) FROM tickets')}", flush=True)
        elif command == "quit":
            db.close()
            print("ok", flush=True)
            return 0
        else:
            print(f"error unknown command {command!r}", flush=True)
    db.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
