"""Arbitrary text wherever people type or paste: never a crash, never a
partial write, never an SQL or FTS error reaching the person."""

from __future__ import annotations

from datetime import UTC

import pytest
from amends.core import customers, drafts, policies, proposals, tickets
from amends.core.errors import AmendsError
from amends.core.policies import Step
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
TABLES = ("tickets", "messages", "customers", "policies", "policy_draft_steps", "proposals", "audit_log",
          "ticket_search", "drafts")


def counts(db) -> dict:
    return {t: db.scalar(f"SELECT count(*) FROM {t}") for t in TABLES}


def attempt(db, action):
    """Run ``action``; a refusal must be a known error and leave no trace."""
    before = counts(db)
    try:
        return action()
    except AmendsError:
        assert counts(db) == before, "a refused write left something behind"
        return None


@SETTINGS
@given(subject=TEXT, body=TEXT, note=TEXT, search=TEXT)
def test_ticket_text_round_trips_or_is_refused(db, subject, body, note, search):
    ticket_id = attempt(db, lambda: tickets.create(db, subject, body))
    if ticket_id is not None:
        stored = tickets.get(db, ticket_id)
        assert stored.subject == subject.strip()
        assert [m.body for m in stored.messages] == ([body] if body else [])
        message = attempt(db, lambda: tickets.add_message(db, ticket_id, "note", note))
        if message is not None:
            assert tickets.get(db, ticket_id).messages[-1].body == note
        attempt(db, lambda: tickets.update(db, ticket_id, stored.version, subject=note))
        attempt(db, lambda: drafts.save(db, ticket_id, "reply", note))
    # a mistake in the search ("A:" with no value) is explained: a ValidationError, never an SQL error
    attempt(db, lambda: tickets.page(db, tickets.InboxQuery(status="all", text=search), limit=5))
    attempt(db, lambda: tickets.page(db, tickets.InboxQuery(status="all", text=subject), limit=5))


@SETTINGS
@given(email=TEXT, name=TEXT, plan=TEXT)
def test_customer_text(db, email, name, plan):
    customer_id = attempt(db, lambda: customers.create(db, email, name, plan=plan or None))
    if customer_id is not None:
        profile = customers.profile(db, customer_id)
        assert (profile.email, profile.name) == (email, name)


@SETTINGS
@given(name=TEXT, label=TEXT, note=TEXT, text=TEXT)
def test_policy_and_proposal_text(db, name, label, note, text):
    policy_id = attempt(db, lambda: policies.create(db, name, "other", "first_cycle", [Step("custom", label=label)]))
    if policy_id is not None:
        assert policies.get(db, policy_id).draft[0].label == label
        attempt(db, lambda: policies.publish(db, policy_id, note))
    ticket_id = tickets.create(db, "anchor", "")
    attempt(db, lambda: proposals.file(db, text, [ticket_id]))


@pytest.mark.parametrize("value", ["'; DROP TABLE tickets; --", '" OR 1=1 --', "\x00\x01\x02", "🙂" * 1000,
                                   "a" * 100_000, "NEAR(a b) AND -c", "\u202egnp.exe"])
def test_known_nasty_strings(db, value):
    ticket_id = tickets.create(db, value, value)
    assert tickets.get(db, ticket_id).subject == value.strip()
    tickets.page(db, tickets.InboxQuery(status="all", text=value))
    assert db.scalar("SELECT count(*) FROM tickets") == 1


TRIAGE_TABLES = ("tags", "ticket_tags", "saved_views", "saved_replies", "audit_log")


def triage_counts(db) -> dict:
    return {t: db.scalar(f"SELECT count(*) FROM {t}") for t in TRIAGE_TABLES}


@SETTINGS
@given(name=TEXT, query=TEXT, body=TEXT, colour=TEXT)
def test_tags_views_and_replies_take_any_text_or_refuse_it_cleanly(db, name, query, body, colour):
    """Whatever is typed as a tag, a view's name or search, a saved reply or
    a colour: stored as typed (cleaned of spaces) or refused with a known
    error and nothing written; a stored reply renders without surprises."""
    from amends.core import replies, saved_views, tags

    ticket_id = tickets.create(db, "Hostile", "text")
    plain = tags.get_or_create(db, "Plain")
    for action in (lambda: tags.add(db, [ticket_id], name),
                   lambda: saved_views.save(db, name, query),
                   lambda: replies.save(db, name, body),
                   lambda: tags.set_colour(db, plain.id, colour)):
        before = triage_counts(db)
        try:
            action()
        except AmendsError:
            assert triage_counts(db) == before, "a refused write left something behind"
    for reply in replies.all_replies(db):
        rendered = replies.render_for(db, reply, ticket_id)
        assert set(rendered.unknown) <= set(replies.unfilled(rendered.text)), "what could not be filled is flagged"
    for view in saved_views.saved(db):
        tickets.page(db, view.query, limit=5)


# -- numbers and dates in range (issue 11, point 9) ---------------------------

def test_demo_refuses_a_database_with_customers_but_no_tickets(db):
    """Demo customers have fixed ids: over imported customers they would
    collide (an IntegrityError before); the database is named as not empty."""
    from amends.core import demo

    customers.create(db, "ada@example.com", "Ada")
    with pytest.raises(AmendsError, match="already holds 1 customers"):
        demo.generate(db, 20)
    assert db.scalar("SELECT count(*) FROM tickets") == 0


@pytest.mark.parametrize("since, until", [("2026-01-01", "9999-12-31"), ("0001-01-01", "0001-01-02"),
                                          (None, "0001-01-05")])
def test_a_period_out_of_range_is_a_validation_error_not_an_overflow(since, until):
    from amends.core import insights

    with pytest.raises(AmendsError, match="between 1900-01-01 and 2999-12-31"):
        _ = insights.parse(since, until).end


@pytest.mark.parametrize("query", ["cycle:99999999999999999999", "cycle:>99999999999999999999", "cycle:²",
                                   "cycle:1-99999999999999999999"])
def test_search_cycles_out_of_range_are_explained(db, query):
    with pytest.raises(AmendsError, match="a cycle is a number"):
        tickets.page(db, tickets.InboxQuery(status="all", text=query), limit=5)


def test_search_after_the_last_day_there_is(db):
    tickets.create(db, "Late", "", created_at="2999-12-31T23:59:59Z")
    rows, _ = tickets.page(db, tickets.InboxQuery(status="all", text="after:9999-12-31"), limit=5)
    assert rows == []
    rows, _ = tickets.page(db, tickets.InboxQuery(status="all", text="after:2999-12-30"), limit=5)
    assert [r.subject for r in rows] == ["Late"]


# -- every importer, every numeric or date argument (hypothesis) --------------

HOSTILE_TEXT = st.sampled_from(["\ud800", "²", "", "NaN", "Infinity", "0001-01-01T00:30:00+01:00",
                                "9999-12-31T23:30:00-01:00", "0001-01-01", "9999-12-31", "2026-02-30", "9" * 30])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70) | st.floats() | HOSTILE_TEXT
    | st.text(alphabet=st.characters(blacklist_categories=()), max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8)
IMPORT_TABLES = ("tickets", "messages", "customers", "subscriptions", "policies", "policy_versions", "policy_steps",
                 "resolutions", "resolution_steps", "tags", "ticket_tags", "saved_replies", "audit_log")


def _import_counts(db) -> dict:
    return {t: db.scalar(f"SELECT count(*) FROM {t}") for t in IMPORT_TABLES}


def _imported_or_refused_cleanly(db, path, fmt: str) -> None:
    from amends.core import importers

    before = _import_counts(db)
    try:
        report = importers.import_file(db, path, fmt)
    except AmendsError:
        assert _import_counts(db) == before, "a refused import left something behind"
        return
    if report.written:
        assert not report.errors
    else:
        assert report.errors and _import_counts(db) == before, "a refused import left something behind"
        assert all(e.reason.strip() and isinstance(e.record, int) for e in report.errors)


def _json_paths():
    from tests.cli.test_hostile_import import JSON_BASES, _paths

    return [(fmt, path) for fmt, base in JSON_BASES.items() for path, _ in _paths(base)]


@SETTINGS
@given(where=st.sampled_from(_json_paths()), value=JSON_VALUES, guess=st.booleans())
def test_every_json_importer_imports_or_explains_any_value_anywhere(db, tmp_path, where, value, guess):
    """Amends exchange, Zendesk, Help Scout, Freshdesk: any JSON value at
    any place of a valid export (lone surrogates, NaN, huge numbers, years 1
    and 9999 with offsets, wrong types), the format named or guessed."""
    from tests.cli.test_hostile_import import JSON_BASES, _json_bytes, _replaced

    fmt, path = where
    target = tmp_path / "hostile.json"
    target.write_bytes(_json_bytes(_replaced(JSON_BASES[fmt], path, value)))
    _imported_or_refused_cleanly(db, target, "auto" if guess else fmt)


@SETTINGS
@given(fmt=st.sampled_from(["csv", "customers"]), column=st.integers(0, 11),
       cell=HOSTILE_TEXT | st.text(alphabet=st.characters(blacklist_categories=()), max_size=30),
       encoding=st.sampled_from(["utf-8", "utf-16", "cp1252"]))
def test_every_csv_importer_imports_or_explains_any_cell(db, tmp_path, fmt, column, cell, encoding):
    from tests.cli.test_hostile_import import CSV_BASES, _csv_line

    header, row = CSV_BASES[fmt]
    cells = list(row)
    cells[column % len(cells)] = cell
    target = tmp_path / "hostile.csv"
    target.write_bytes((_csv_line(header) + "\n" + _csv_line(cells) + "\n").encode(encoding, "surrogatepass")
                       if encoding != "cp1252" else
                       (_csv_line(header) + "\n" + _csv_line(cells) + "\n").encode(encoding, "replace"))
    _imported_or_refused_cleanly(db, target, fmt)


NUMBER_OR_DATE = (st.sampled_from(["²", "inf", "nan", "1e400", "9999-12-31", "0001-01-01", "2026-02-30", "2026-01-01",
                                   "-0", " 7 ", "0x10", "1_000", "99999999999999999999", "-99999999999999999999"])
                  | st.integers(min_value=-10**25, max_value=10**25).map(str) | st.floats().map(repr)
                  | st.text(max_size=12))
COMMANDS = [
    lambda v: ["search", "box", "--limit", v, "--json"], lambda v: ["search", f"cycle:{v}", "--json"],
    lambda v: ["search", f"before:{v}"], lambda v: ["search", f"after:{v}", "--json"],
    lambda v: ["insights", "--since", v, "--json"], lambda v: ["insights", "--until", v],
    lambda v: ["insights", "--churn-window-days", v, "--json"], lambda v: ["insights", "--min-tickets", v],
    lambda v: ["resolve", v], lambda v: ["resolve", "1", "--offer", v], lambda v: ["resolve", "1", "--step", f"{v}=done"],
    lambda v: ["demo", "--tickets", v], lambda v: ["demo", "--tickets", "5", "--seed", v],
    lambda v: ["report", "--out", "/nonexistent-amends-folder/r.pdf", "--since", v],
    lambda v: ["report", "--out", "/nonexistent-amends-folder/r.pdf", "--until", v],
]


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory):
    from datetime import datetime

    from amends.core import demo
    from amends.core.workspace import open_database

    path = tmp_path_factory.mktemp("cli-args") / "demo.db"
    database = open_database(path, "tester@host")
    demo.generate(database, 80, seed=3, now=datetime(2026, 11, 1, tzinfo=UTC))
    database.close()
    return path


def _strict(text: str) -> object:
    import json

    def refuse(constant: str):
        raise AssertionError(f"not strict JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


@settings(SETTINGS, max_examples=200)
@given(command=st.sampled_from(range(len(COMMANDS))), value=NUMBER_OR_DATE.filter(lambda v: "\x00" not in v),
       wait=st.none() | NUMBER_OR_DATE.filter(lambda v: "\x00" not in v))  # argv and the environment hold no NUL
def test_every_numeric_or_date_argument_is_used_or_refused_with_exit_2(cli_db, capsys, command, value, wait):
    """Every CLI argument (and AMENDS_LOCK_WAIT_SECONDS) that takes a number
    or a date: used, or refused in one line; never an internal error; any
    JSON printed is strict."""
    import os

    from amends import cli

    args = COMMANDS[command](value)
    if wait is not None:
        os.environ["AMENDS_LOCK_WAIT_SECONDS"] = wait
    try:
        status = cli.main(["--db", str(cli_db), *args])
    finally:
        os.environ.pop("AMENDS_LOCK_WAIT_SECONDS", None)
    out, err = capsys.readouterr()
    assert status in (0, 1, 2), (args, err)
    assert "internal error" not in err, (args, err)
    if status == 0 and "--json" in args:
        _strict(out)
