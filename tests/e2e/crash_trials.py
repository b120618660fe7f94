"""Crash trials: a writer killed with SIGKILL at a random moment must leave a
database that passes its integrity check, holds every operation it had
committed, and shows no half-done operation. Used by the test suite (a few
trials) and by scripts/crash_trials.py (any number)."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from amends.core import health, tickets
from amends.core.workspace import open_database

ROOT = Path(__file__).resolve().parents[2]


def build_base(path: Path) -> Path:
    db = open_database(path, "trials")
    with db.transaction():
        for i in range(300):
            tickets.create(db, f"Open ticket {i}", "box crushed", category=("damaged_shipment", "billing",
                                                                             "late_delivery", "other")[i % 4])
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return path


@dataclass
class TrialResult:
    seed: int
    operations: int
    problems: list[str] = field(default_factory=list)


def run_trial(base: Path, folder: Path, seed: int) -> TrialResult:
    rng = random.Random(seed)
    path = folder / f"trial-{seed}.db"
    shutil.copy(base, path)
    ledger = folder / f"ledger-{seed}"
    ready = folder / f"ready-{seed}"
    proc = subprocess.Popen([sys.executable, "-m", "tests.e2e.crash_writer", str(path), str(ledger), str(seed),
                             str(ready)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not ready.exists():
        if proc.poll() is not None:
            return TrialResult(seed, 0, [f"writer died before starting: {proc.stderr.read().decode()[-500:]}"])
        if time.monotonic() > deadline:
            proc.kill()
            return TrialResult(seed, 0, ["writer did not start"])
        time.sleep(0.01)
    time.sleep(rng.uniform(0.05, 1.2))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    lines = ledger.read_text().splitlines() if ledger.exists() else []
    return TrialResult(seed, len(lines), verify(path, lines))


#: Nothing half-done: each query counts a kind of partly written operation.
HALF_DONE = (
    ("SELECT count(*) FROM resolutions r WHERE steps_total <> "
     "(SELECT count(*) FROM resolution_steps s WHERE s.resolution_id = r.id)",
     "{} resolution(s) without all their steps"),
    ("SELECT count(*) FROM tickets t WHERE status = 'resolved' AND NOT EXISTS "
     "(SELECT 1 FROM resolutions r WHERE r.ticket_id = t.id)",
     "{} resolved ticket(s) without a resolution"),
    ("SELECT count(*) FROM resolutions r WHERE NOT EXISTS (SELECT 1 FROM audit_log a "
     "WHERE a.entity = 'ticket' AND a.entity_id = r.ticket_id AND a.action = 'resolve')",
     "{} resolution(s) without their audit entry"),
    ("SELECT count(*) FROM (SELECT substr(ref, 1, length(ref) - 2) AS batch, count(*) AS n "
     "FROM tickets WHERE ref LIKE 'imp-%' GROUP BY batch) WHERE n <> 3",
     "{} import(s) only partly written"),
    # A ticket's priority is what its last audited change says (the edit that was in flight when the
    # writer died may have committed without its ledger line; the audit log commits with it).
    ("SELECT count(*) FROM tickets t WHERE t.priority IS NOT (SELECT json_extract(a.change, '$.after.priority') "
     "FROM audit_log a WHERE a.entity = 'ticket' AND a.entity_id = t.id AND a.action = 'update' "
     "AND json_extract(a.change, '$.after.priority') IS NOT NULL ORDER BY a.id DESC LIMIT 1) "
     "AND EXISTS (SELECT 1 FROM audit_log a WHERE a.entity = 'ticket' AND a.entity_id = t.id "
     "AND a.action = 'update' AND json_extract(a.change, '$.after.priority') IS NOT NULL)",
     "{} ticket(s) whose priority is not their last audited change"),
    ("SELECT count(*) FROM tickets t WHERE merged_into IS NOT NULL AND NOT EXISTS "
     "(SELECT 1 FROM merges m WHERE m.source_id = t.id AND m.undone_at IS NULL)",
     "{} merged ticket(s) without their merge record"),
    ("SELECT count(*) FROM merges m, json_each(json_extract(m.moved, '$.messages')) j "
     "WHERE m.undone_at IS NULL AND (SELECT ticket_id FROM messages WHERE id = j.value) = m.source_id",
     "{} message(s) of a merge left behind"),
    ("SELECT count(*) FROM audit_log a WHERE a.action = 'tag' AND NOT EXISTS (SELECT 1 FROM ticket_tags tt "
     "JOIN tags g ON g.id = tt.tag_id WHERE tt.ticket_id = a.entity_id AND g.name = json_extract(a.change, '$.tag'))",
     "{} tag audit entr(y/ies) without the tag"),
)


def _merged_home(db, ticket_id: int) -> int:
    """The ticket a ticket's conversation lives on now: itself, or the end
    of its chain of merges (A into B, later B into C: C)."""
    seen = {ticket_id}
    while (into := db.scalar("SELECT merged_into FROM tickets WHERE id = ?", (ticket_id,))) is not None \
            and into not in seen:
        seen.add(into)
        ticket_id = into
    return ticket_id


def verify(path: Path, lines: list[str]) -> list[str]:
    problems: list[str] = []
    db = open_database(path, "verifier", create=False)
    try:
        report = health.check(db)
        problems += report.problems
        for line in lines:
            kind, *rest = line.split()
            if kind == "resolve":
                ticket_id, rid = int(rest[0]), int(rest[1])
                row = db.one("SELECT steps_total FROM resolutions WHERE id = ? AND ticket_id = ?", (rid, ticket_id))
                if row is None or db.scalar("SELECT status FROM tickets WHERE id = ?", (ticket_id,)) != "resolved":
                    problems.append(f"committed resolution {rid} of ticket {ticket_id} is missing")
            elif kind == "message":  # on its ticket, or where merges (one after another) took it
                if db.scalar("SELECT ticket_id FROM messages WHERE id = ?", (int(rest[1]),)) != \
                        _merged_home(db, int(rest[0])):
                    problems.append(f"committed message {rest[1]} is missing")
            elif kind == "priority":  # the edit is in the audit log of each ticket it changed
                lost = [t for t in rest[1:] if db.one(
                    "SELECT 1 FROM audit_log WHERE entity = 'ticket' AND entity_id = ? AND action = 'update' "
                    "AND json_extract(change, '$.after.priority') = ?", (int(t), int(rest[0]))) is None]
                if lost:
                    problems.append(f"committed priority {rest[0]} is missing on {len(lost)} ticket(s)")
            elif kind == "tag":
                carrying = {r[0] for r in db.tuples(
                    "SELECT tt.ticket_id FROM ticket_tags tt JOIN tags g ON g.id = tt.tag_id WHERE g.name = ?",
                    (rest[0],))}
                lost = [t for t in rest[1:] if int(t) not in carrying]
                if lost:
                    problems.append(f"committed tag {rest[0]} is missing on {len(lost)} ticket(s)")
            elif kind == "merge":
                source, target, merge_id = map(int, rest)
                if db.scalar("SELECT merged_into FROM tickets WHERE id = ?", (source,)) != target or \
                        db.one("SELECT 1 FROM merges WHERE id = ?", (merge_id,)) is None:
                    problems.append(f"committed merge {merge_id} of #{source} into #{target} is missing")
            elif kind == "draft":
                policy_id, version = int(rest[0]), int(rest[1])
                if db.scalar("SELECT version FROM policies WHERE id = ?", (policy_id,)) < version:
                    problems.append(f"committed draft v{version} of policy {policy_id} is missing")
            elif kind == "import":
                for ref in rest:
                    if db.one("SELECT 1 FROM tickets WHERE ref = ?", (ref,)) is None:
                        problems.append(f"committed import of {ref} is missing")
            elif kind == "ticket" and db.one("SELECT 1 FROM tickets WHERE id = ?", (int(rest[0]),)) is None:
                problems.append(f"committed ticket {rest[0]} is missing")
        for sql, message in HALF_DONE:
            found = db.scalar(sql)
            if found:
                problems.append(message.format(found))
    finally:
        db.close()
    return problems
