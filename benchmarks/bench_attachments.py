"""What keeping a 10 MB photo inside the database costs (issue 12.5), as
ratios against a baseline in the same run:

- store: one 10 MB file written into the database (one transaction, synced)
  over the same bytes written to a plain file beside it and fsynced (what a
  folder of files would cost);
- read: the bytes read back from the database over a plain file read;
- listing: a ticket's messages and file list with a 10 MB photo in the
  database over the same without it (the bytes are never read to list);
- backup: a backup-API copy of a database holding the photo over a plain
  file copy of the same size (what a folder's backup would add).

    .venv/bin/python benchmarks/bench_attachments.py [--repeat 3] [--mb 10]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "desktop"))

from amends.core import attachments, backups, tickets  # noqa: E402
from amends.core.workspace import open_database  # noqa: E402


def best(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--mb", type=int, default=10)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="amends-bench-attachments-"))
    try:
        db = open_database(folder / "bench.db", "bench")
        ticket_id = tickets.create(db, "Box arrived crushed", "the box is crushed", author="Ada")
        message_id = db.scalar("SELECT id FROM messages WHERE ticket_id = ?", (ticket_id,))
        counter = [0]

        def fresh() -> bytes:  # new content each time: no de-duplication helps
            counter[0] += 1
            return counter[0].to_bytes(8, "big") + os.urandom(args.mb * 1024 * 1024 - 8)

        def store() -> None:
            item = attachments.Incoming("photo.jpg", "image/jpeg", fresh())
            with db.transaction() as conn:
                attachments.store(conn, message_id, [item], attachments.DEFAULT_LIMIT)

        def plain_write() -> None:
            data = fresh()
            with open(folder / f"photo-{counter[0]}.jpg", "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())

        listing_without = best(lambda: (tickets.get(db, ticket_id), attachments.for_ticket(db, ticket_id)),
                               args.repeat * 20)
        t_store = best(store, args.repeat)
        t_plain = best(plain_write, args.repeat)
        kept = attachments.for_ticket(db, ticket_id)[message_id][0]
        sample = folder / f"photo-{counter[0]}.jpg"
        t_read = best(lambda: attachments.content(db, kept.id), args.repeat)
        t_plain_read = best(sample.read_bytes, args.repeat)
        listing_with = best(lambda: (tickets.get(db, ticket_id), attachments.for_ticket(db, ticket_id)),
                            args.repeat * 20)
        with db.transaction() as conn:  # one photo for the backup comparison
            conn.execute("DELETE FROM attachments WHERE id <> ?", (kept.id,))
        db.conn.execute("VACUUM")
        size = (folder / "bench.db").stat().st_size
        copies = iter(range(10**6))
        t_backup = best(lambda: backups.copy_to(db, folder / f"copy-{next(copies)}.db"), args.repeat)
        t_copy = best(lambda: shutil.copyfile(sample, folder / f"copy-{next(copies)}.jpg"), args.repeat)
        db.close()
        print(f"\nA {args.mb} MB photo kept in the database (best of {args.repeat}; database {size / 2**20:.1f} MB)\n")
        rows = [("store: database / plain file + fsync", t_store, t_plain),
                ("read: database / plain file", t_read, t_plain_read),
                ("list a ticket's messages and files: with / without", listing_with, listing_without),
                ("backup: backup API / plain copy of the photo", t_backup, t_copy)]
        for label, ours, base in rows:
            print(f"  {label:55s} {ours * 1000:9.3f} ms / {base * 1000:9.3f} ms = {ours / base:5.2f}x")
        return 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
