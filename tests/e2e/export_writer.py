"""A writer process for the export-snapshot trial: as fast as it can, it
moves old tickets to the top of the inbox (an edit changes ``updated_at``,
the export's page order) and adds customers with a first ticket, until told
to stop by the deadline.

    python -m tests.e2e.export_writer DB SECONDS SEED ACTOR
"""

from __future__ import annotations

import random
import sys
import time

from amends.core import customers, tickets
from amends.core.errors import Busy, ConflictError
from amends.core.workspace import open_database


def main() -> int:
    path, seconds, seed, actor = sys.argv[1:5]
    rng = random.Random(int(seed))
    db = open_database(path, actor, create=False)
    highest = db.scalar("SELECT max(id) FROM tickets")
    print("ready", flush=True)
    deadline = time.monotonic() + float(seconds)
    n = 0
    while time.monotonic() < deadline:
        n += 1
        try:
            if rng.random() < 0.8:
                # The oldest tickets: the ones an export reaches last.
                ticket_id = rng.randint(1, max(1, highest // 3))
                seen = tickets.get(db, ticket_id, with_messages=False)
                tickets.update(db, ticket_id, seen.version, priority=(seen.priority + 1) % 4)
            else:
                customer_id = customers.create(db, f"{actor}-{seed}-{n}@example.com", f"New {n}")
                tickets.create(db, f"New ticket {n}", "hello", customer_id=customer_id)
        except (ConflictError, Busy):
            continue
    db.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
