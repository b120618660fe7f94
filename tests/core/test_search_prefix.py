"""The word being typed is searched from a prefix index (issue 16, P16SEARCH).

The search box matches its last word as a prefix (``"order"*``) from the
third letter on. Without a prefix index FTS5 answers a prefix by merging the
whole doclist of every word starting with it before it can return the newest
100: on 1,000,000 tickets ``"order"*`` (a word in every ticket) took 62 ms
raw and the keystroke to painted 164 ms. Schema 6 rebuilds the index with
``prefix='3 … 12'`` (FTS5 uses a prefix index only for exactly its length),
so a typed prefix of 3–12 letters is one term of that index, read newest
first and stopped at the page's end. benchmarks/run.py measures the time;
these tests check the index is there and that no search answers differently.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

from amends.core import inbox_search, query_syntax, tickets
from amends.core.store.schema import CURRENT_VERSION
from amends.core.workspace import open_database

V5 = Path(__file__).resolve().parents[1] / "fixtures" / "amends-v5.db"
#: Kinds of search whose answer must not change: exact words, phrases, prefixes of every indexed
#: length and a longer one (answered without the prefix index), in both columns, with an excluded term.
MATCHES = ('"order"', '"ord"*', '"orde"*', '"order"*', '"arriv"*', '"arrived crushed"', '"refu"*',
           '"apologies"*', '"replacemen"*', '"subscriptio"*', '"unsubscriptions"*', '"the" "box"*',
           'subject : "ref"*', 'body : "dam"*', '"thank"* NOT "sorry"')


def _ticket_search_sql(conn: sqlite3.Connection) -> str:
    return conn.execute("SELECT sql FROM sqlite_master WHERE name = 'ticket_search'").fetchone()[0]


def _prefix_lengths(sql: str) -> set[int]:
    found = re.search(r"prefix\s*=\s*'([\d ]+)'", sql)
    return {int(n) for n in found.group(1).split()} if found else set()


def _answers(conn: sqlite3.Connection) -> dict[str, list[int]]:
    return {m: [r[0] for r in conn.execute("SELECT rowid FROM ticket_search WHERE ticket_search MATCH ? "
                                           "ORDER BY rowid DESC", (m,))] for m in MATCHES}


def test_the_search_index_has_a_prefix_index_for_each_length_typed(tmp_path):
    db = open_database(tmp_path / "new.db", "t")
    lengths = _prefix_lengths(_ticket_search_sql(db.conn))
    db.close()
    # every prefix the search box sends, from its third letter, up to 12 letters (longer ones are rare words)
    assert set(range(query_syntax.PREFIX_FROM, 13)) <= lengths, lengths


def test_upgrading_a_v5_file_rebuilds_the_index_and_every_search_answers_the_same(tmp_path):
    path = tmp_path / "v5.db"
    shutil.copy(V5, path)
    raw = sqlite3.connect(path)
    assert not _prefix_lengths(_ticket_search_sql(raw))  # the released v5 index has none
    before = _answers(raw)
    documents = raw.execute("SELECT rowid, subject, body FROM ticket_search ORDER BY rowid").fetchall()
    raw.close()
    assert sum(map(len, before.values())) > 0 and all(before[m] for m in ('"order"*', '"refu"*')), before

    db = open_database(path, "t")
    assert db.schema_version == CURRENT_VERSION
    assert set(range(query_syntax.PREFIX_FROM, 13)) <= _prefix_lengths(_ticket_search_sql(db.conn))
    assert _answers(db.conn) == before
    assert db.tuples("SELECT rowid, subject, body FROM ticket_search ORDER BY rowid") == documents
    db.conn.execute("INSERT INTO ticket_search (ticket_search, rank) VALUES ('integrity-check', 1)")
    # nothing of the old index is left behind
    assert not db.tuples("SELECT name FROM sqlite_master WHERE name = 'ticket_search_copy'")
    db.close()


def test_a_prefix_longer_than_the_prefix_index_still_matches(tmp_path):
    db = open_database(tmp_path / "long.db", "t")
    wanted = tickets.create(db, "Internationally shipped", "It came from abroad.")
    tickets.create(db, "International", "Not the longer word.")
    found, _ = tickets.page(db, tickets.InboxQuery(status="all", text="internationall"))
    assert [r.id for r in found] == [wanted]
    typed, _ = tickets.page(db, tickets.InboxQuery(status="all", text="inter"))
    assert len(typed) == 2
    db.close()


def test_the_rebuild_is_sqlite_only():
    """PostgreSQL searches a tsvector from its GIN index (pg_schema): the FTS5 rebuild must not rename, copy or drop
    its table there."""
    from amends.core.store import pg_schema

    assert not [s for s in pg_schema.translate(6) if "ticket_search" in s]


def test_tag_usage_is_counted_only_up_to_the_threshold(db, monkeypatch):
    """tag: picks listing a tag's tickets or checking each ticket by whether more than MANY_TAGGED carry it; the
    count stops there (a VIP tag on 100,000 tickets cost 7 ms of CPU of each keystroke's search to count whole)."""
    from amends.core import tags

    monkeypatch.setattr(query_syntax, "MANY_TAGGED", 3)
    ids = [tickets.create(db, f"Ticket {n}", "The parcel is late.") for n in range(8)]
    tags.add(db, ids, "VIP")
    tags.add(db, ids[:2], "few")
    assert inbox_search.tag_usage(db) == {"VIP": 4, "few": 2}
    for text, wanted in (("tag:VIP", ids), ("tag:few", ids[:2]), ("tag:VIP parc", ids)):
        found, _ = tickets.page(db, tickets.InboxQuery(status="all", text=text))
        assert sorted(r.id for r in found) == wanted


def test_a_view_someone_added_over_the_search_index_survives_the_upgrade(tmp_path):
    """People query the file with other tools: a view of their own over ticket_search must neither stop the
    upgrade (renaming the table refused it: "error in view … after rename") nor be left pointing elsewhere."""
    path = tmp_path / "v5.db"
    shutil.copy(V5, path)
    raw = sqlite3.connect(path)
    raw.execute("CREATE VIEW my_refunds AS SELECT rowid AS id FROM ticket_search WHERE ticket_search MATCH 'refund'")
    raw.commit()
    before = raw.execute("SELECT id FROM my_refunds ORDER BY id").fetchall()
    raw.close()
    assert before
    db = open_database(path, "t")
    assert db.schema_version == CURRENT_VERSION
    assert db.tuples("SELECT id FROM my_refunds ORDER BY id") == before
    db.close()
