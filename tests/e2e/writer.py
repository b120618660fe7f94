"""A writer process for the many-writers trial: random real edits through the
core API for a while, appending every outcome to a ledger *after* it is
committed (or refused).

    python -m tests.e2e.writer DB LEDGER SECONDS SEED ACTOR
"""

from __future__ import annotations

import json
import random
import sys
import time

from amends.core import policies, tickets
from amends.core.errors import ConflictError
from amends.core.workspace import open_database


def main() -> int:
    path, ledger_path, seconds, seed, actor = sys.argv[1:6]
    rng = random.Random(int(seed))
    db = open_database(path, actor, create=False)
    ticket_ids = [r[0] for r in db.query("SELECT id FROM tickets ORDER BY id")]
    policy_ids = [r[0] for r in db.query("SELECT id FROM policies ORDER BY id")]
    deadline = time.monotonic() + float(seconds)
    with open(ledger_path, "a", encoding="utf-8") as ledger:
        def note(**entry) -> None:
            ledger.write(json.dumps(entry) + "\n")
            ledger.flush()

        while time.monotonic() < deadline:
            roll = rng.random()
            ticket_id = rng.choice(ticket_ids)
            try:
                if roll < 0.45:
                    seen = tickets.get(db, ticket_id, with_messages=False)
                    time.sleep(rng.random() * 0.01)  # think, so others can get in between
                    value = rng.randrange(4)
                    version = tickets.update(db, ticket_id, seen.version, priority=value)
                    if version != seen.version:
                        note(op="update", ticket=ticket_id, version=version, priority=value)
                elif roll < 0.65:
                    body = f"{actor} #{rng.random()}"
                    message_id = tickets.add_message(db, ticket_id, "note", body)
                    note(op="message", ticket=ticket_id, id=message_id, body=body)
                elif roll < 0.75:
                    seen = tickets.get(db, ticket_id, with_messages=False)
                    if seen.assignee == actor:
                        continue
                    version = tickets.take(db, ticket_id)
                    note(op="take", ticket=ticket_id, version=version)
                else:
                    policy_id = rng.choice(policy_ids)
                    seen = policies.get(db, policy_id)
                    time.sleep(rng.random() * 0.01)
                    steps = list(seen.draft) or [policies.Step("apology")]
                    steps[0] = policies.Step(steps[0].type, f"{actor} {rng.random():.6f}", steps[0].days,
                                             steps[0].offer_kind, steps[0].offer_min, steps[0].offer_max)
                    if steps[0].type == "custom" and not steps[0].label:
                        continue
                    version = policies.save_draft(db, policy_id, seen.version, name=seen.name,
                                                  category=seen.category, segment=seen.segment, plan=seen.plan,
                                                  steps=steps)
                    note(op="draft", policy=policy_id, version=version, label=steps[0].label)
            except ConflictError as error:
                note(op="conflict", entity=error.entity, id=error.entity_id, by=error.by)
    db.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
