"""Import throughput: 100,000 tickets in the exchange format and as CSV,
each beside a raw ``executemany`` of the same rows into the same schema,
measured in the same run.

    .venv/bin/python benchmarks/bench_import.py [--tickets 100000]

Target (issue 5): import >= 0.5x the raw insert rate.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from amends.core import demo, importers  # noqa: E402
from amends.core.exporters import amends  # noqa: E402
from amends.core.workspace import open_database  # noqa: E402


def raw_insert(path: Path, doc: dict) -> float:
    """The same tickets and messages with executemany, FTS included: the
    floor any importer could reach."""
    db = open_database(path, "raw")
    rows, messages, search = [], [], []
    for number, t in enumerate(doc["tickets"], start=1):
        rows.append((number, t["ref"], t["subject"], t["category"], t["status"], t["priority"], t["assignee"],
                     t["created_at"], t["updated_at"]))
        messages.extend((number, m["direction"], m["author"], m["at"], m["body"]) for m in t["messages"])
        search.append((number, t["subject"], "\n".join(m["body"] for m in t["messages"])))
    start = time.perf_counter()
    with db.transaction() as conn:
        conn.executemany("INSERT INTO tickets (id, ref, subject, category, status, priority, assignee, created_at, "
                         "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        conn.executemany("INSERT INTO messages (ticket_id, direction, author, created_at, body) VALUES (?, ?, ?, ?, ?)",
                         messages)
        conn.executemany("INSERT INTO ticket_search (rowid, subject, body) VALUES (?, ?, ?)", search)
    elapsed = time.perf_counter() - start
    db.close()
    return elapsed


def measure(count: int, source_path: Path | None = None, *, log=print) -> dict:
    """Seconds for the raw executemany, the exchange-format import and the
    CSV import of ``count`` demo tickets (from ``source_path`` when given, a
    demo file with at least that many; else generated here)."""
    folder = Path(tempfile.mkdtemp(prefix="amends-import-"))
    try:
        if source_path is None:
            source_path = folder / "source.db"
            source = open_database(source_path, "bench")
            demo.generate(source, count, seed=1, now=datetime(2026, 11, 1, tzinfo=UTC))
        else:
            source = open_database(source_path, "bench")
        doc = amends.document(source)
        source.close()
        doc["policies"] = []  # tickets and conversations: what the comparison covers
        doc["tickets"] = [t for t in doc["tickets"] if not t["ref"].startswith("bench-")][:count]
        for ticket in doc["tickets"]:
            ticket["resolution"] = None
            ticket["status"] = "open" if ticket["status"] == "resolved" else ticket["status"]
            ticket["customer"] = None
            ticket.pop("attachments", None)
            for message in ticket["messages"]:
                message.pop("attachments", None)
        doc["customers"] = []
        exchange = folder / "tickets.json"
        exchange.write_text(json.dumps(doc))
        csv_path = folder / "tickets.csv"
        with open(csv_path, "w", encoding="utf-8", newline="") as handle:
            import csv

            writer = csv.writer(handle)
            writer.writerow(["id", "subject", "body", "category", "status", "priority", "created_at"])
            for t in doc["tickets"]:
                writer.writerow([t["ref"], t["subject"], t["messages"][0]["body"] if t["messages"] else "",
                                 t["category"], t["status"], t["priority"], t["created_at"]])
        del doc
        out = {"tickets": count, "raw": raw_insert(folder / "raw.db", json.loads(exchange.read_text()))}
        for fmt, path in (("amends", exchange), ("csv", csv_path)):
            target = open_database(folder / f"{fmt}.db", "bench")
            start = time.perf_counter()
            report = importers.import_file(target, path, fmt)
            out[fmt] = time.perf_counter() - start
            target.close()
            assert report.written and report.imported == count, report.errors[:3]
        return out
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    args = parser.parse_args()
    got = measure(args.tickets)
    raw = got["raw"]
    print(f"\nImport of {args.tickets:,} tickets (parse, validate, backup, write, index)\n")
    print(f"{'raw executemany (tickets, messages, FTS)':<44} {raw:7.2f} s  {args.tickets / raw:>9,.0f} tickets/s")
    for label, fmt in (("exchange format", "amends"), ("CSV", "csv")):
        elapsed = got[fmt]
        ratio = raw / elapsed
        print(f"{'import, ' + label:<44} {elapsed:7.2f} s  {args.tickets / elapsed:>9,.0f} tickets/s  "
              f"{ratio:.2f}x raw (target >= 0.5x) {'ok' if ratio >= 0.5 else 'UNDER'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
