"""Exports taken while others work are one consistent snapshot: every ticket
that existed at one moment, once, and every customer a ticket points at.
Real writer processes edit the same file while the exports run."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from amends.core import demo
from amends.core.exporters import amends as amends_export
from amends.core.exporters import tables
from amends.core.workspace import open_database

from tests.conftest import ACTOR

ROOT = Path(__file__).resolve().parents[2]
WRITERS = 2


@pytest.fixture(scope="module")
def shared_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("snapshot") / "shared.db"
    db = open_database(path, ACTOR)
    demo.generate(db, 3000, seed=3)
    db.close()
    return path


def _writers(path: Path, seconds: float) -> list[subprocess.Popen]:
    procs = [subprocess.Popen([sys.executable, "-m", "tests.e2e.export_writer", str(path), str(seconds), str(n),
                               f"writer{n}"], cwd=ROOT, stdout=subprocess.PIPE, text=True) for n in range(WRITERS)]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready"
    return procs


def _finish(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        assert proc.wait(120) == 0


def _complete(ids: list[int]) -> None:
    """Writers only add tickets, one transaction each, so the tickets of any
    one moment are exactly 1..N: every one once, none missing."""
    assert len(ids) == len(set(ids)), "a ticket was exported twice"
    assert set(ids) == set(range(1, max(ids) + 1)), f"{max(ids) - len(set(ids))} tickets are missing"


@pytest.mark.parametrize("kind", ["csv", "json"])
def test_table_exports_are_complete_while_others_write(tmp_path, shared_file, trials, kind):
    rounds = 3 * (trials or 1)
    procs = _writers(shared_file, 60)
    db = open_database(shared_file, ACTOR, create=False)
    try:
        for n in range(rounds):
            out = tmp_path / f"export{n}.{kind}"
            if kind == "csv":
                count = tables.write_csv(db, out)
                with open(out, encoding="utf-8-sig", newline="") as handle:
                    ids = [int(row["id"]) for row in csv.DictReader(handle)]
            else:
                count = tables.write_json(db, out)
                ids = [item["id"] for item in json.loads(out.read_text(encoding="utf-8"))["tickets"]]
            assert count == len(ids)
            _complete(ids)
    finally:
        db.close()
        for proc in procs:
            proc.kill()
            proc.wait()


def test_exchange_export_is_consistent_while_customers_are_added(tmp_path, shared_file, trials):
    rounds = 2 * (trials or 1)
    procs = _writers(shared_file, 60)
    db = open_database(shared_file, ACTOR, create=False)
    try:
        for _ in range(rounds):
            doc = amends_export.document(db)
            refs = {c["ref"] for c in doc["customers"]}
            assert all(t["customer"] in refs for t in doc["tickets"] if t["customer"] is not None)
            ticket_refs = [t["ref"] for t in doc["tickets"]]
            assert len(ticket_refs) == len(set(ticket_refs))
    finally:
        db.close()
        for proc in procs:
            proc.kill()
            proc.wait()
