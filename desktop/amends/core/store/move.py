"""``amends move``: one Amends database copied whole to another backend (issue 19 point 5).

A file to a PostgreSQL server and back, losslessly: every table (audit log,
attachments, published policy versions, presence, mail accounts …) row by
row with its ids, read from one snapshot of the source while the source's
write lock is held (nobody's save lands half in, half out), written in ONE
transaction on the target that also verifies: row counts and a digest of
every table's rows, and the exchange exports of both sides streamed and
compared record by record (move_verify.py: memory stays a batch, whatever
the size). The target is committed only when all of that agrees; otherwise it is
rolled back (a server keeps nothing, not even the schema) or deleted (a new
file), and the error says what differs.

Why the target's schema is made here, not by ``open_database``: that one
seeds default policies and rules, which the copy would then collide with;
and on a server the schema belongs in the same transaction as the data, so
that a failed move leaves the database as empty as it was.

Triggers: the immutability ones (``BEFORE UPDATE/DELETE … RAISE``) stay in
force, the copy only inserts. Triggers that fire on INSERT derive columns
(waiting times, the subscription in force, the customer search index):
they are lifted for the copy and restored in the same transaction, so the
target holds the source's values exactly rather than recomputed ones.

Speed (a million tickets is ~10 million rows): rows go by COPY on a server
(executemany into a file) with the secondary indexes, and on a server the
foreign keys, made again once after the copy (one build or check over all
rows instead of one per row); a row pointing at nothing still fails the move.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from amends.core.store import pg_connection, postgres
from amends.core.store.connection import Database
from amends.core.store.move_verify import BATCH, MASK, MoveRefused, Progress, Table, digest_row, verify
from amends.core.store.move_verify import is_pg as _is_pg
from amends.core.store.move_verify import quoted as _q
from amends.core.store.move_verify import raw as _raw
from amends.core.store.move_verify import read as _read
from amends.core.store.pg_errors import is_psycopg
from amends.core.store.pg_locks import WRITE_LOCK

#: Tables of the server's bookkeeping, not of the database's content.
PG_OWN = {"amends_schema", "amends_changes", "amends_access"}
@dataclass
class MoveReport:
    """What a finished move copied and how long each part took."""

    tables: dict[str, int] = field(default_factory=dict)
    rows: int = 0
    copy_seconds: float = 0.0
    verify_seconds: float = 0.0
    #: seconds per part of the verify: target rows, exports (both, compared in step)
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.copy_seconds if self.copy_seconds else 0.0


# -- what a database holds ---------------------------------------------------
def _sqlite_tables(conn: Any) -> dict[str, Table]:
    rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                        ).fetchall()
    virtual = {r[0] for r in rows if (r[1] or "").upper().startswith("CREATE VIRTUAL TABLE")}
    found: dict[str, Table] = {}
    for name, _sql in rows:
        if name in virtual or any(name.startswith(v + "_") for v in virtual):
            continue
        columns = [c[1] for c in conn.execute(f"PRAGMA table_info({_q(name)})").fetchall()]
        refs = {f[2] for f in conn.execute(f"PRAGMA foreign_key_list({_q(name)})").fetchall()}
        found[name] = Table(name, columns, refs)
    if "ticket_search" in virtual:  # FTS5 on a file, a plain table on a server: its text is copied
        found["ticket_search"] = Table("ticket_search", ["rowid", "subject", "body"], {"tickets"})
    return found


def _pg_tables(raw: Any) -> dict[str, Table]:
    names = [r[0] for r in raw.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
        "AND table_type = 'BASE TABLE'").fetchall()]
    found: dict[str, Table] = {}
    for name in names:
        if name in PG_OWN:
            continue
        columns = [r[0] for r in raw.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = %s AND is_generated = 'NEVER' ORDER BY ordinal_position", (name,)).fetchall()]
        refs = {r[0] for r in raw.execute(
            "SELECT confrelid::regclass::text FROM pg_constraint WHERE contype = 'f' AND conrelid = %s::regclass",
            (name,)).fetchall()}
        found[name] = Table(name, columns, refs)
    if "ticket_search" in found:
        found["ticket_search"].references.add("tickets")
    return found


def _order(tables: dict[str, Table]) -> list[Table]:
    """Parents before children (foreign keys); a table's references to itself
    are checked at the end of its one statement (COPY) or transaction (SQLite)."""
    done: list[Table] = []
    left = dict(tables)
    while left:
        ready = sorted(n for n, t in left.items() if not (t.references - {n}) & set(left))
        if not ready:  # a cycle: none in the schema today; the copy's checks would name it
            ready = sorted(left)
        for name in ready:
            done.append(left.pop(name))
    return done


# -- the two sides -----------------------------------------------------------
def tables_of(db: Database) -> dict[str, Table]:
    return _pg_tables(_raw(db)) if _is_pg(db) else _sqlite_tables(db.conn)


# -- making the target ---------------------------------------------------------
def refuse_target(target: str) -> None:
    """Before anything is read: a new file, or a server database with no tables."""
    if postgres.is_url(target):
        raw = pg_connection.connect(target)
        try:
            names = [r[0] for r in raw.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                "AND table_type = 'BASE TABLE' ORDER BY 1").fetchall()]
        finally:
            raw.close()
        if names:
            shown = ", ".join(names[:5]) + (" …" if len(names) > 5 else "")
            raise MoveRefused(f"{postgres.redact(target)} is not empty ({len(names)} tables: {shown}); "
                              "amends move only fills an empty database; nothing was changed.",
                              path=postgres.redact(target),
                              hint="Create a new database (createdb NAME) and move into that.")
        return
    path = Path(target).expanduser()
    if path.exists() or path.is_symlink():
        raise MoveRefused(f"{path} already exists; amends move writes a new file and never replaces one.",
                          path=str(path), hint="Choose a new file name.")
    if not path.parent.is_dir():
        raise MoveRefused(f"The folder {path.parent} does not exist.", path=str(path))


def refuse_source(source: str) -> None:
    """A server database without the Amends schema is refused, not created (opening would make one)."""
    if not postgres.is_url(source):
        path = Path(source).expanduser()
        if not path.is_file() or path.stat().st_size == 0:  # stat only: the POSIX lock trap (DESIGN.md)
            raise MoveRefused(f"{path} is not an Amends database file (missing or empty).", path=str(path))
        return
    raw = pg_connection.connect(source)
    try:
        found = raw.execute("SELECT to_regclass('amends_schema')").fetchone()[0]
    finally:
        raw.close()
    if found is None:
        raise MoveRefused(f"{postgres.redact(source)} holds no Amends database; nothing was moved.",
                          path=postgres.redact(source), hint="Check the database name in the URL.")


def _open_pg_target(url: str, actor: str) -> postgres.PostgresDatabase:
    """The schema made inside the move's transaction (left open): a failed move keeps nothing."""
    from amends.core.store import pg_schema
    from amends.core.store.migrations import UPGRADES
    from amends.core.store.schema import CURRENT_VERSION, SCRIPTS

    conn = pg_connection.Connection(pg_connection.connect(url), postgres.redact(url))
    raw = conn.raw
    raw.execute("BEGIN")
    raw.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
    for statement in pg_schema.PRELUDE:
        raw.execute(statement)
    raw.execute("CREATE TABLE amends_changes (n BIGINT NOT NULL)")
    raw.execute("INSERT INTO amends_changes VALUES (0)")
    for version in range(1, CURRENT_VERSION + 1):
        for statement in pg_schema.translate(version):
            raw.execute(statement)
        conn._id_tables.clear()
        if version in UPGRADES and version in SCRIPTS:
            UPGRADES[version](cast(sqlite3.Connection, conn))
    raw.execute("INSERT INTO amends_schema (version) VALUES (%s)", (CURRENT_VERSION,))
    return postgres.PostgresDatabase(conn=conn, path=Path(postgres.redact(url)), actor=actor,  # type: ignore[arg-type]
                                     journal_mode="postgresql", url=url)


def _insert_triggers(db: Database) -> list[tuple[str, str]]:
    """(name, table or SQL) of the triggers that fire on INSERT."""
    if _is_pg(db):
        return [(r[0], r[1]) for r in _raw(db).execute(
            "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND (t.tgtype & 4) <> 0 AND c.relnamespace = current_schema()::regnamespace"
        ).fetchall()]
    return [(r[0], r[1]) for r in db.conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
        if re.search(r"\b(BEFORE|AFTER)\s+INSERT\b", r[1] or "", re.IGNORECASE)]


def _lift(db: Database, triggers: list[tuple[str, str]], *, back: bool) -> None:
    for name, what in triggers:
        if _is_pg(db):
            _raw(db).execute(f"ALTER TABLE {_q(what)} {'ENABLE' if back else 'DISABLE'} TRIGGER {_q(name)}")
        else:
            db.conn.execute(what if back else f"DROP TRIGGER {_q(name)}")


def _lift_indexes(db: Database) -> list[str]:
    """Drop the secondary indexes for the copy and return how to make them again: one
    build over all rows after a bulk load is far cheaper than keeping ~20 indexes of
    the tickets up to date row by row. Keys (primary, unique constraints) stay."""
    if _is_pg(db):
        raw = _raw(db)
        found = raw.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)").fetchall()
        for name, _ in found:
            raw.execute(f"DROP INDEX {_q(name)}")
        return [sql for _, sql in found]
    found = db.conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").fetchall()
    for name, _ in found:
        db.conn.execute(f"DROP INDEX {_q(name)}")
    return [sql for _, sql in found]


def _lift_foreign_keys(db: Database) -> list[tuple[str, str, str]]:
    """On a server: drop the foreign keys for the copy and return (table, name, definition)
    to add them again. A foreign key checks its parent row by row on every inserted row
    (resolution steps: 7.1 s for 292,000 rows with it, 2.4 s without); added after the
    copy it checks every row at once (0.3 s), and a row pointing at nothing still fails
    the move. (A new file: ``PRAGMA foreign_keys`` off for the copy, then
    ``foreign_key_check`` before the commit.)"""
    raw = _raw(db)
    found = [(r[0], r[1], r[2]) for r in raw.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND connamespace = current_schema()::regnamespace ORDER BY conrelid, conname").fetchall()]
    for table, name, _ in found:
        raw.execute(f"ALTER TABLE {table} DROP CONSTRAINT {_q(name)}")
    return found


def _restore_foreign_keys(db: Database, keys: list[tuple[str, str, str]], target: str) -> None:
    raw = _raw(db)
    for table, name, definition in keys:
        try:
            raw.execute(f"ALTER TABLE {table} ADD CONSTRAINT {_q(name)} {definition}")
        except Exception as error:
            if not is_psycopg(error):
                raise
            reason = " ".join(str(error).split())
            raise MoveRefused(f"{table}: rows point at missing rows ({name}: {reason}); nothing was moved to "
                              f"{postgres.redact(target)}.", hint="Run 'amends check' on the source first.") from error


def _write(db: Database, table: Table, rows: Iterator[tuple], done: Callable[[int], None]) -> int:
    cols = ", ".join(_q(c) for c in table.columns)
    count = 0
    if _is_pg(db):
        cursor = _raw(db).cursor()
        try:
            current: tuple = ()
            with cursor.copy(f"COPY {_q(table.name)} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    current = row
                    copy.write_row(row)
                    count += 1
                    if count % BATCH == 0:
                        done(count)
        except Exception as error:
            if is_psycopg(error):
                context = getattr(getattr(error, "diag", None), "context", None) or ""
                where = re.search(r"line (\d+)(, column (\w+))?", context)
                nul = [c for c, v in zip(table.columns, current, strict=False) if isinstance(v, str) and "\x00" in v]
                if nul:  # refused before it was sent: this row
                    at = f" (row {table.columns[0]} = {current[0]!r}, column {nul[0]})"
                elif where:  # refused by the server: the line of the COPY is the row's number
                    at = f" (row {where.group(1)} of the table{', column ' + where.group(3) if where.group(3) else ''})"
                else:
                    at = ""
                reason = " ".join(str(error).split())
                raise MoveRefused(f"{table.name}{at}: the server refused a value: {reason}; nothing was moved.",
                                  hint="Fix that row in the source, then move again.") from error
            raise
        done(count)
        return count
    marks = ", ".join("?" * len(table.columns))
    statement = f"INSERT INTO {_q(table.name)} ({cols}) VALUES ({marks})"
    batch: list[tuple] = []
    try:
        for row in rows:
            batch.append(tuple(row))
            if len(batch) >= BATCH:
                db.conn.executemany(statement, batch)
                count += len(batch)
                batch = []
                done(count)
        if batch:
            db.conn.executemany(statement, batch)
            count += len(batch)
    except sqlite3.Error as error:
        raise MoveRefused(f"{table.name} (rows {count + 1:,}–{count + len(batch):,}): the file refused a row: {error}; "
                          "nothing was moved.", hint="Fix that row in the source, then move again.") from error
    done(count)
    return count


def _counting(rows: Iterator[tuple], sums: list[int]) -> Iterator[tuple]:
    """Pass rows on, keeping their digest (the source side of the verify)."""
    for row in rows:
        sums[0] += 1
        sums[1] = (sums[1] + digest_row(row)) & MASK
        yield row


def _finish_pg(db: Database, tables: list[Table]) -> None:
    raw = _raw(db)
    for table in tables:
        if "id" in table.columns and raw.execute("SELECT pg_get_serial_sequence(%s, 'id')",
                                                 (table.name,)).fetchone()[0]:
            raw.execute(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), max(id)) FROM {_q(table.name)} "
                        "HAVING max(id) IS NOT NULL")


# -- the move ------------------------------------------------------------------
def move(source: Database, target: str, actor: str, progress: Progress | None = None) -> MoveReport:
    """Copy ``source`` whole into ``target`` (a new file, or an empty server
    database), verify, and commit only then (see the module's docstring)."""
    refuse_target(target)
    report = MoveReport()
    made: Database | None = None
    path = None if postgres.is_url(target) else Path(target).expanduser().absolute()
    committed = False
    try:
        with source.transaction():  # the source's write lock: one state, nobody's save half moved
            wanted = tables_of(source)
            if path is None:
                made = _open_pg_target(target, actor)
            else:
                made = Database.open(path, actor, create=True)  # no seeding: every row comes from the source
                # foreign keys unchecked row by row: foreign_key_check checks every row before the commit
                made.conn.execute("PRAGMA foreign_keys = OFF")
                made.conn.execute("BEGIN IMMEDIATE")
            have = tables_of(made)
            _same_shape(wanted, have, source, target)
            order = _order(have)
            for table in order:  # what the schema scripts insert (a default reply target) comes from the source
                if made.scalar(f"SELECT count(*) FROM {_q(table.name)}"):
                    made.conn.execute(f"DELETE FROM {_q(table.name)}")
            triggers = _insert_triggers(made)
            _lift(made, triggers, back=False)
            keys = _lift_foreign_keys(made) if path is None else []
            indexes = _lift_indexes(made)
            if path is None:  # the index builds at the end: in memory rather than in sorted runs on disk
                _raw(made).execute("SET LOCAL maintenance_work_mem = '256MB'")
            totals = {t.name: int(source.scalar(f"SELECT count(*) FROM {_q(t.name)}")) for t in order}
            whole, before = sum(totals.values()), 0
            sums: dict[str, list[int]] = {}
            started = time.perf_counter()
            for number, table in enumerate(order):
                source_table = Table(table.name, table.columns, table.references)
                sums[table.name] = [0, 0]

                def done(count: int, name: str = table.name, offset: int = before, n: int = number) -> None:
                    if progress is not None:
                        progress(name, count, offset + count, whole, n, len(order))

                rows = _counting(_read(source, source_table), sums[table.name])
                report.tables[table.name] = _write(made, table, rows, done)
                before += report.tables[table.name]
            for statement in indexes:
                if path is None:
                    _raw(made).execute(statement)
                else:
                    made.conn.execute(statement)
            _lift(made, triggers, back=True)
            if path is None:
                _restore_foreign_keys(made, keys, target)
                _finish_pg(made, order)
                # the planner's statistics: without them a freshly filled server plans every query blind
                # (the inbox's first page took 30 ms instead of 1). A file gets none: its source had none.
                _raw(made).execute("ANALYZE")
            else:
                made.conn.execute("INSERT INTO customer_search (customer_search) VALUES ('rebuild')")
            report.rows = before
            report.copy_seconds = time.perf_counter() - started
            started = time.perf_counter()
            # still inside the source's transaction: its export is read from the state that was copied
            verify(source, made, order, sums, target, report.phases, whole, progress)
            if path is not None:
                fk = made.conn.execute("PRAGMA foreign_key_check").fetchall()
                if fk:
                    raise MoveRefused(f"{target}: {len(fk)} rows point at missing rows (first in {fk[0][0]}); "
                                      "nothing was moved.")
        made.conn.execute("COMMIT")
        committed = True
        report.verify_seconds = time.perf_counter() - started
        return report
    finally:
        if made is not None:
            if not committed:
                with suppress(Exception):
                    if made.conn.in_transaction:
                        made.conn.execute("ROLLBACK")
            made.close()
        if path is not None and not committed:
            for suffix in ("", "-wal", "-shm", "-journal"):
                with suppress(FileNotFoundError):
                    Path(f"{path}{suffix}").unlink()


def _same_shape(wanted: dict[str, Table], have: dict[str, Table], source: Database, target: str) -> None:
    """Both sides at the same schema version have the same tables and columns; say it when not."""
    problems = []
    for name in sorted(set(wanted) | set(have)):
        if name not in have:
            problems.append(f"table {name} only in the source")
        elif name not in wanted:
            problems.append(f"table {name} only in the target")
        elif set(wanted[name].columns) != set(have[name].columns):
            extra = set(wanted[name].columns) ^ set(have[name].columns)
            problems.append(f"{name}: columns differ ({', '.join(sorted(extra))})")
    if problems:
        raise MoveRefused(f"{source.path} and {postgres.redact(target)} differ in shape: {'; '.join(problems[:5])}; "
                          "nothing was moved.", hint="Run 'amends check' on the source first.")
