"""A writer for the crash trials: real operations through the core services,
each one's id appended to a ledger *after* it committed. It is killed with
SIGKILL at a random moment.

    python -m tests.e2e.crash_writer DB LEDGER SEED READY_FILE
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

from amends.core import edits, importers, merges, policies, resolution, tags, tickets
from amends.core.errors import ConflictError
from amends.core.workspace import open_database


def main() -> int:
    path, ledger_path, seed, ready = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
    rng = random.Random(seed)
    db = open_database(path, f"crash-{seed}", create=False)
    open_ids = [r[0] for r in db.query("SELECT id FROM tickets WHERE status <> 'resolved' ORDER BY id")]
    policy_ids = [r[0] for r in db.query("SELECT id FROM policies ORDER BY id")]
    ledger = os.open(ledger_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)

    def committed(line: str) -> None:
        os.write(ledger, (line + "\n").encode())  # one write: a line is whole or absent

    ready.write_text("go")
    n = 0
    while True:
        n += 1
        roll = rng.random()
        if roll < 0.35 and open_ids:
            ticket_id = open_ids.pop(rng.randrange(len(open_ids)))
            checklist = resolution.checklist_for(db, ticket_id)
            outcomes = [resolution.StepOutcome(i, rng.random() < 0.8, "trial skip")
                        for i in range(len(checklist.steps))]
            offer_step = checklist.policy.offer_step() if checklist.policy else None
            offer = None
            if offer_step is not None and outcomes[checklist.steps.index(offer_step)].done:
                offer = resolution.Offer(offer_step.offer_min)
            rid = resolution.resolve(db, ticket_id, checklist.policy.id if checklist.policy else None,
                                     outcomes, offer)
            committed(f"resolve {ticket_id} {rid}")
        elif roll < 0.65:
            ticket_id = rng.choice(open_ids) if open_ids else 1
            body = f"reply {seed}-{n} " + "words " * rng.randrange(1, 400)
            mid = tickets.add_message(db, ticket_id, "out", body)
            committed(f"message {ticket_id} {mid}")
        elif roll < 0.85:
            policy_id = rng.choice(policy_ids)
            seen = policies.get(db, policy_id)
            steps = [*seen.draft, policies.Step("custom", label=f"trial {seed}-{n}")]
            try:
                version = policies.save_draft(db, policy_id, seen.version, name=seen.name, category=seen.category,
                                              segment=seen.segment, plan=seen.plan, steps=steps[-6:])
            except ConflictError:
                continue
            committed(f"draft {policy_id} {version} trial {seed}-{n}")
        elif roll < 0.88 and len(open_ids) > 30:  # triage: a bulk edit, a bulk tag or a merge
            chosen = rng.sample(open_ids, 20)
            kind = rng.random()
            if kind < 0.4:
                value = rng.choice([0, 2, 3])
                edit = edits.set_field(db, chosen, "priority", value)
                committed(f"priority {value} " + " ".join(str(t) for t in edit.ticket_ids))
            elif kind < 0.8:
                name = f"trial-{seed}-{n}"
                edit = tags.add(db, chosen, name)
                committed(f"tag {name} " + " ".join(str(t) for t in edit.ticket_ids))
            else:
                source, target = chosen[0], chosen[1]
                edit = merges.merge(db, source, target)
                open_ids.remove(source)
                committed(f"merge {source} {target} {edit.merge_id}")
        elif roll < 0.92:
            csv_path = Path(ledger_path).with_name(f"import-{seed}-{n}.csv")
            refs = [f"imp-{seed}-{n}-{k}" for k in range(3)]
            csv_path.write_text("id,subject,category,created_at,email\n" + "".join(
                f"{ref},Imported {ref},billing,2026-01-0{k + 1},buyer{k}@example.com\n" for k, ref in enumerate(refs)))
            report = importers.import_file(db, csv_path, "csv")
            if report.written:
                committed("import " + " ".join(refs))
        else:
            ticket_id = tickets.create(db, f"New ticket {seed}-{n}", "crushed " * rng.randrange(1, 50),
                                       category=rng.choice(["damaged_shipment", "billing", "late_delivery"]))
            open_ids.append(ticket_id)
            committed(f"ticket {ticket_id}")


if __name__ == "__main__":
    raise SystemExit(main())
