"""HTML mail to text in linear time (issue 11.8): the time for a 1 MB body
over the time for a 100 KB body of the same markup, in the same run. Linear
means a ratio near 10 (the quadratic regex it replaced took 73 s for a
240 KB mail). Two kinds of markup: an ordinary newsletter-like body, and a
hostile one (unclosed <script>/<style> tags, which made the regex rescan to
the end for each one). Also the whole intake of one such mail (parse,
sanitise, text), and the 1 MB time itself (target: under 1 s).

IMAP fetch (issue 12.3): 5,000 messages from a local Dovecot (started here,
as the mail tests do), messages/s of `amends` fetch (batched UID FETCH,
parse, thread, write) beside a raw batched `imaplib` fetch of the same
folder (the same UID FETCH batches, nothing done with the bytes), in the
same run. Target: at least 0.5x the raw rate. Beside it, each part alone on
the bytes the raw fetch got (PARTS): the stdlib parse the issue names
(policy.default, header objects), Amends' reading, Amends' write, and the
raw SQL floor of the rows that write makes; each part's rate over raw is
the ceiling it sets (the ratio a fetch doing only that would reach).

    .venv/bin/python benchmarks/bench_mail.py [--repeat 3] [--messages 5000] [--only html|imap]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "desktop"))
sys.path.insert(0, str(ROOT))

from amends.core.importers import mail  # noqa: E402

BLOCKS = {
    "ordinary": "<div><p>Hello <b>Ada</b> &amp; team, your <a href='https://shop.example/o/4711'>order</a> "
                "shipped.</p><ul><li>beans</li><li>filters</li></ul><table><tr><td>Total</td><td>12 EUR</td>"
                "</tr></table></div>\n",
    # unclosed and stray tags, half attributes, entities: what broke the old regex
    "hostile": "<p>text &amp; more <b>bold <i>it <li>stray <td>cell <a href='x' <b>attr </style></script> &#x41;",
}
#: The two ways through html_to_text: inscriptis, and the walk for large bodies.
PATHS = {"inscriptis": 10**9, "large-body walk": 0}


def markup(kind: str, size: int) -> str:
    block = BLOCKS[kind]
    return (block * (size // len(block) + 1))[:size]


def best(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def message(body: str) -> bytes:
    return ("From: Ada <ada@example.com>\nSubject: Big\nDate: Mon, 05 Jan 2026 10:00:00 +0000\n"
            "Message-ID: <big@x>\nContent-Type: text/html; charset=utf-8\n\n" + body).encode()


def customer_mail(n: int) -> bytes:
    """An ordinary customer mail: a few headers, a short text, every 5th a reply."""
    thread = f"In-Reply-To: <bench{n - 1}@mail.example.com>\n" if n % 5 == 4 else ""
    return (f"From: Customer {n % 700} <c{n % 700}@example.com>\nTo: hello@shop.example\n"
            f"Subject: Order {n}: the box arrived crushed\nDate: Mon, 05 Jan 2026 10:00:00 +0000\n"
            f"Message-ID: <bench{n}@mail.example.com>\n{thread}Content-Type: text/plain; charset=utf-8\n\n"
            f"Hello,\n\nmy order {n} arrived with the box crushed and the beans everywhere.\n"
            "Could you send a new one?\n\nThanks,\nA customer\n").encode()


def raw_fetch(server, batch: int, kept: list | None = None) -> int:
    """The baseline: the same batched UID FETCH with imaplib, bytes only.
    ``kept`` gets (UIDs, status, response) per batch: the very bytes the
    parts below read and write."""
    client = server.client()
    client.select("INBOX", readonly=True)
    _, data = client.uid("search", "ALL")
    uids = [int(u) for u in data[0].split()]
    got = 0
    from amends.core.mail import fetch

    for offset in range(0, len(uids), batch):
        wanted = uids[offset:offset + batch]
        status, parts = client.uid("fetch", fetch.uid_set(wanted), "(UID INTERNALDATE BODY.PEEK[])")
        got += sum(1 for p in parts if isinstance(p, tuple))
        if kept is not None:
            kept.append((wanted, status, parts))
    client.logout()
    return got


# -- the parts of a fetch alone, on the same fetched bytes (issue 12.3) ------
# Each part's rate over the raw fetch's is the ratio the whole fetch could
# reach if everything else cost nothing: the ceiling that part sets.

def stdlib_parse(batches: list) -> None:
    """What the issue names, plainly: the stdlib parser with
    email.policy.default, the body by get_body/get_content and the sender,
    recipients, date and subject from the parsed header objects."""
    import email.parser
    import email.policy

    from amends.core.mail import fetch_readers

    parser = email.parser.BytesParser(policy=email.policy.default)
    for _, _, parts in batches:
        for _, raw, _ in fetch_readers.fetched_messages(parts):
            message = parser.parsebytes(raw)
            body = message.get_body(preferencelist=("plain", "html"))
            if body is not None:
                body.get_content()
            for name in ("From", "To"):
                header = message[name]
                if header is not None:
                    header.addresses  # noqa: B018 - the header object parses the addresses on this look
            date = message["Date"]
            if date is not None:
                date.datetime  # noqa: B018 - as above: the parsed date
            str(message["Subject"])


def amends_read(batches: list) -> list:
    """Amends' own reading of every batch (fetch_readers.read_batch: parse,
    defects, threading), touching no database: what the fetch does between
    the network and the write."""
    from amends.core import clock
    from amends.core.mail import fetch_readers

    _forget_remembered()
    now = clock.now()
    return [fetch_readers.read_batch(wanted, status, parts, now) for wanted, status, parts in batches]


def _bench_mailbox(db, server):
    from amends.core.mail import mailboxes

    return mailboxes.add(db, mailboxes.Mailbox(0, "hello", "Shop", "hello@shop.example", "127.0.0.1", 2525,
                                               "none", None, imap_host="127.0.0.1", imap_port=server.port,
                                               imap_security="none", imap_user=server.user))


def amends_write(server, batches: list, keep: Path | None = None) -> tuple[float, float, int]:
    """Amends' write of the read batches (fetch._write_batch: one transaction
    per batch with rules, audit, search, customers) into a new database:
    seconds of the writes alone (reading them is done before the clock
    starts): (wall, CPU) seconds, and the audit entries there were before. ``keep``: leave the
    database there (for :func:`sql_floor`)."""
    from amends.core.mail import fetch, mailboxes
    from amends.core.workspace import open_database

    read = amends_read(batches)
    with tempfile.TemporaryDirectory() as folder:
        path = keep or Path(folder) / "bench.db"
        db = open_database(path, "bench@host")
        try:
            box = mailboxes.get(db, _bench_mailbox(db, server))
            report = fetch.FetchReport()
            audit_before = db.scalar("SELECT count(*) FROM audit_log")
            start, cpu = time.perf_counter(), time.process_time()
            for batch in read:
                fetch._write_batch(db, box, report, 1, batch)
            return time.perf_counter() - start, time.process_time() - cpu, audit_before
        finally:
            db.close()


def sql_floor(server, written: Path, audit_before: int, batch: int) -> tuple[float, float]:
    """The floor any writer of these rows meets in this schema: the rows the
    fetch wrote (customers and their addresses, tickets, messages, the search
    index, the audit entries) inserted again into a new database of the same
    schema (its indexes and triggers as shipped), batch by batch, one
    transaction and one executemany per table per batch; (wall, CPU) seconds.
    ``audit_before``: the audit entries the database had before the fetch."""
    import sqlite3

    from amends.core.workspace import open_database

    source = sqlite3.connect(written)

    def table(name: str, order: str = "rowid", skip: str = "") -> tuple[list[str], list[tuple]]:
        columns = [r[1] for r in source.execute(f"PRAGMA table_info({name})") if r[1] != skip]
        return columns, source.execute(f"SELECT {', '.join(columns)} FROM {name} ORDER BY {order}").fetchall()

    customer_cols, customer_rows = table("customers", "id")
    address_cols, address_rows = table("customer_addresses", "customer_id")
    ticket_cols, ticket_rows = table("tickets", "id")
    message_cols, message_rows = table("messages", "id")
    audit_cols, audit_rows = table("audit_log", "id", skip="id")  # a new database has entries of its own
    audit_rows = audit_rows[audit_before:]
    search_rows = source.execute("SELECT rowid, subject, body FROM ticket_search ORDER BY rowid").fetchall()
    source.close()
    by_ticket: dict[int, list[tuple]] = {}
    for row in message_rows:
        by_ticket.setdefault(row[message_cols.index("ticket_id")], []).append(row)
    addresses: dict[int, list[tuple]] = {}
    for row in address_rows:
        addresses.setdefault(row[address_cols.index("customer_id")], []).append(row)
    customers = {row[customer_cols.index("id")]: row for row in customer_rows}
    search = {row[0]: row for row in search_rows}

    def insert(conn, name: str, columns: list[str], rows: list[tuple]) -> None:
        if rows:
            conn.executemany(f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                             rows)

    with tempfile.TemporaryDirectory() as folder:
        db = open_database(Path(folder) / "floor.db", "bench@host")
        conn = db.conn
        try:
            _bench_mailbox(db, server)  # the tickets name it, as in the fetch
            start, cpu = time.perf_counter(), time.process_time()
            placed: set[int] = set()
            parts = max(1, (len(message_rows) + batch - 1) // batch)
            for n in range(parts):
                tickets = ticket_rows[n * len(ticket_rows) // parts:(n + 1) * len(ticket_rows) // parts]
                owners = [t[ticket_cols.index("customer_id")] for t in tickets]
                new = sorted({c for c in owners if c in customers and c not in placed} |
                             (set(customers) - placed if n == parts - 1 else set()))
                placed.update(new)
                ids = [t[ticket_cols.index("id")] for t in tickets]
                conn.execute("BEGIN IMMEDIATE")
                insert(conn, "customers", customer_cols, [customers[c] for c in new])
                insert(conn, "customer_addresses", address_cols, [a for c in new for a in addresses.get(c, [])])
                insert(conn, "tickets", ticket_cols, tickets)
                insert(conn, "messages", message_cols, [m for i in ids for m in by_ticket.get(i, [])])
                insert(conn, "ticket_search", ["rowid", "subject", "body"], [search[i] for i in ids if i in search])
                insert(conn, "audit_log", audit_cols,
                       audit_rows[n * len(audit_rows) // parts:(n + 1) * len(audit_rows) // parts])
                conn.execute("COMMIT")
            took = time.perf_counter() - start, time.process_time() - cpu
            assert [conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("customers", "tickets",
                    "messages", "ticket_search")] == [len(customer_rows), len(ticket_rows), len(message_rows),
                                                      len(search_rows)], "every row of the fetch was written"
            return took
        finally:
            db.close()


def _forget_remembered() -> None:
    """Each Amends run starts as a new process would: nothing remembered
    from the run before (parsed headers, checked addresses)."""
    from amends.core import customers
    from amends.core.mail import parsing

    parsing.parsed_header.cache_clear()
    customers._split_address.cache_clear()


def amends_fetch(server, clock: list[float] | None = None) -> int:
    """A fetch into a new database; ``clock`` gets (wall, CPU) seconds of
    the fetch alone (making the database and its mailbox is not fetching)."""
    from amends.core.mail import fetch, mailboxes
    from amends.core.workspace import open_database

    _forget_remembered()
    with tempfile.TemporaryDirectory() as folder:
        db = open_database(Path(folder) / "bench.db", "bench@host")
        try:
            box = mailboxes.add(db, mailboxes.Mailbox(0, "hello", "Shop", "hello@shop.example", "127.0.0.1", 2525,
                                                      "none", None, imap_host="127.0.0.1", imap_port=server.port,
                                                      imap_security="none", imap_user=server.user))
            wall, cpu = time.perf_counter(), time.process_time()
            got = fetch.fetch(db, box, server.password).messages
            if clock is not None:
                clock[:] = [time.perf_counter() - wall, time.process_time() - cpu]
            return got
        finally:
            db.close()


def timed(function, repeat: int) -> tuple[float, float]:
    """(best wall time, CPU time of this process in that run): the CPU time
    says how much of the wall time was ours when the machine is shared.
    ``function`` may measure itself (fills the list it is given)."""
    runs = []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        inner: list[float] = []
        function(inner)
        runs.append(tuple(inner) if inner else (time.perf_counter() - wall, time.process_time() - cpu))
    return min(runs)


#: The parts measured alone, in the order printed: (key, what it is).
PARTS = (("stdlib_parse", "stdlib parse alone (policy.default, get_body/get_content, header objects)"),
         ("amends_read", "amends reading alone (parse, defects, threading: fetch_readers.read_batch)"),
         ("amends_write", "amends write alone (fetch._write_batch: rules, audit, search, customers)"),
         ("sql_floor", "raw SQL floor: the same rows, one executemany per table per batch"))


def measure(count: int = 5000, repeat: int = 3) -> dict:
    """Fetch ``count`` messages from a local Dovecot (started and stopped
    here), Amends beside raw batched imaplib, in one run. For the unified
    benchmark command: {"amends_per_s", "raw_per_s", "ratio"} (and the CPU
    seconds of each, this process only: Dovecot's are not in them), and
    "parts": per part of :data:`PARTS`, measured alone on the bytes the raw
    fetch got, {"per_s", "cpu_s", "ceiling"} - the ceiling being the ratio
    to raw the whole fetch would have if that part were all it did."""
    from amends.core.mail import fetch

    from tests.mail.conftest import start_dovecot, stop_dovecot

    proc, server = start_dovecot()
    batches: list = []
    try:
        server.fill_inbox([customer_mail(n) for n in range(count)])
        assert raw_fetch(server, fetch.BATCH, batches) == count and amends_fetch(server) == count  # and warm up
        raw_time, raw_cpu = timed(lambda _: raw_fetch(server, fetch.BATCH), repeat)
        ours_time, ours_cpu = timed(lambda inner: amends_fetch(server, inner), repeat)
        parts = {"stdlib_parse": timed(lambda _: stdlib_parse(batches), repeat),
                 "amends_read": timed(lambda _: amends_read(batches), repeat),
                 "amends_write": timed(lambda inner: inner.extend(amends_write(server, batches)[:2]), repeat)}
        with tempfile.TemporaryDirectory() as folder:
            written = Path(folder) / "written.db"
            audit_before = amends_write(server, batches, written)[2]
            parts["sql_floor"] = timed(lambda inner: inner.extend(sql_floor(server, written, audit_before,
                                                                                 fetch.BATCH)),
                                       repeat)
    finally:
        stop_dovecot(proc, server)
    raw_rate, ours_rate = count / raw_time, count / ours_time
    return {"amends_per_s": ours_rate, "raw_per_s": raw_rate, "ratio": ours_rate / raw_rate,
            "amends_cpu_s": ours_cpu, "raw_cpu_s": raw_cpu, "messages": count,
            "parts": {key: {"per_s": count / wall, "cpu_s": cpu, "ceiling": count / wall / raw_rate}
                      for key, (wall, cpu) in parts.items()}}


def bench_imap(count: int, repeat: int) -> bool:
    from amends.core.mail import fetch

    print(f"\nIMAP fetch of {count:,} messages from a local Dovecot: amends beside raw batched imaplib\n")
    result = measure(count, repeat)
    ratio = result["ratio"]
    print(f"raw imaplib, UID FETCH x{fetch.BATCH}: {result['raw_per_s']:9,.0f} messages/s "
          f"({count / result['raw_per_s']:.2f} s, {result['raw_cpu_s']:.2f} s CPU)")
    print(f"amends fetch (parse, thread, write): {result['amends_per_s']:9,.0f} messages/s "
          f"({count / result['amends_per_s']:.2f} s, {result['amends_cpu_s']:.2f} s CPU)")
    print(f"ratio {ratio:.2f}x  (target at least 0.5x) {'ok' if ratio >= 0.5 else 'UNDER TARGET'}")
    print("\nEach part alone on the same fetched bytes; ceiling = the ratio to raw if it were all a fetch did:")
    for key, label in PARTS:
        part = result["parts"][key]
        print(f"{label:<78} {part['per_s']:9,.0f} messages/s ({part['cpu_s']:.2f} s CPU)  "
              f"ceiling {part['ceiling']:.2f}x")
    return ratio >= 0.5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--messages", type=int, default=5000, help="IMAP messages to fetch (default 5000)")
    parser.add_argument("--only", choices=["html", "imap"], help="run one part")
    args = parser.parse_args()
    failed = False
    if args.only != "imap":
        failed |= bench_html(args.repeat)
    if args.only != "html":
        failed |= not bench_imap(args.messages, args.repeat)
    return 1 if failed else 0


def bench_html(repeat: int) -> bool:
    print("\nHTML to text: time(1 MB) / time(100 KB), same markup, same run (linear: about 10)\n")
    failed = False
    # best() calls each lambda at once, in its own iteration: B023 is a false alarm below.
    for kind in BLOCKS:
        small, big = markup(kind, 100_000), markup(kind, 1_000_000)
        for path, large in PATHS.items():
            t_small = best(lambda: mail.html_to_text(small, large), repeat)  # noqa: B023
            t_big = best(lambda: mail.html_to_text(big, large), repeat)  # noqa: B023
            ratio = t_big / t_small
            linear = ratio <= 15
            failed |= not linear
            print(f"{kind:<9} {path:<16} 100 KB {t_small * 1000:7.1f} ms   1 MB {t_big * 1000:7.1f} ms   "
                  f"ratio {ratio:5.1f}  {'linear' if linear else 'NOT LINEAR'}")
        shipped = best(lambda: mail.html_to_text(big), repeat)  # noqa: B023
        failed |= shipped >= 1.0
        print(f"{kind:<9} {'as shipped':<16} 1 MB {shipped * 1000:7.1f} ms  (target under 1 s) "
              f"{'ok' if shipped < 1.0 else 'OVER'}")
    for kind in BLOCKS:
        small, big = message(markup(kind, 100_000)), message(markup(kind, 1_000_000))
        t_small = best(lambda: mail.parse_messages([(1, small)]), repeat)  # noqa: B023
        t_big = best(lambda: mail.parse_messages([(1, big)]), repeat)  # noqa: B023
        print(f"whole intake of one {kind} mail: 100 KB {t_small * 1000:7.1f} ms   1 MB {t_big * 1000:7.1f} ms   "
              f"ratio {t_big / t_small:5.1f}")
    return failed


if __name__ == "__main__":
    raise SystemExit(main())
