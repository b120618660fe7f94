"""Several real processes edit the same tickets and policy drafts at once.
Afterwards every accepted write is there, every refused one raised
ConflictError, and no update was lost."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from amends.core import health, tickets
from amends.core.workspace import open_database

from tests.conftest import ACTOR

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 4


def test_four_writers_lose_nothing(tmp_path, trials):
    seconds = 3 * (trials or 1)
    path = tmp_path / "shared.db"
    db = open_database(path, ACTOR)
    for i in range(6):  # few tickets: plenty of collisions
        tickets.create(db, f"Shared ticket {i}", "hello")
    policy_versions = {r["id"]: r["version"] for r in db.query("SELECT id, version FROM policies")}
    db.close()
    procs = [subprocess.Popen([sys.executable, "-m", "tests.e2e.writer", str(path), str(tmp_path / f"ledger{n}"),
                               str(seconds), str(n), f"writer{n}"], cwd=ROOT) for n in range(PROCESSES)]
    for proc in procs:
        assert proc.wait(seconds + 60) == 0
    entries = [json.loads(line) for n in range(PROCESSES)
               for line in (tmp_path / f"ledger{n}").read_text().splitlines()]
    kinds = defaultdict(int)
    for entry in entries:
        kinds[entry["op"]] += 1
    assert kinds["update"] > 10 and kinds["message"] > 5 and kinds["draft"] > 3
    assert kinds["conflict"] > 0, "writers collided, and were told"

    db = open_database(path, ACTOR)
    assert health.check(db).ok
    # Every accepted ticket change got its own version and the stored version
    # counts them all: had two writers overwritten each other, a version
    # would repeat or the count would be short.
    for ticket_id in range(1, 7):
        accepted = [e["version"] for e in entries if e["op"] in ("update", "take") and e["ticket"] == ticket_id]
        assert len(set(accepted)) == len(accepted)
        assert tickets.get(db, ticket_id, with_messages=False).version == 1 + len(accepted)
    # The last accepted priority of each ticket is what is stored.
    for ticket_id in range(1, 7):
        updates = [e for e in entries if e["op"] == "update" and e["ticket"] == ticket_id]
        if updates:
            latest = max(updates, key=lambda e: e["version"])
            assert tickets.get(db, ticket_id, with_messages=False).priority == latest["priority"]
    # Every message in a ledger is stored, with its text and in the search index.
    for entry in (e for e in entries if e["op"] == "message"):
        row = db.one("SELECT body FROM messages WHERE id = ?", (entry["id"],))
        assert row is not None and row["body"] == entry["body"]
    # Drafts: each accepted save has its own version, and the last one's label is stored.
    drafts = defaultdict(list)
    for entry in (e for e in entries if e["op"] == "draft"):
        drafts[entry["policy"]].append(entry)
    for policy_id, saves in drafts.items():
        assert len({s["version"] for s in saves}) == len(saves)
        latest = max(saves, key=lambda s: s["version"])
        stored = db.one("SELECT version FROM policies WHERE id = ?", (policy_id,))
        assert stored["version"] == policy_versions[policy_id] + len(saves)
        label = db.scalar("SELECT label FROM policy_draft_steps WHERE policy_id = ? AND position = 0", (policy_id,))
        assert label == latest["label"]
