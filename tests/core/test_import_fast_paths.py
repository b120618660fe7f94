"""The exchange import's fast paths (issue 16: 0.39x the raw insert rate,
target 0.5x) decide nothing by themselves: a clean document is recognised
at C speed and the careful walk runs on every other one; a time already in
the stored form is kept as it is, after the same checks. These tests hold
the fast paths to the careful answers (benchmarks/run.py measures the speed).
"""

from __future__ import annotations

import json

import pytest
from amends.core.importers.values import BadValue, json_problems, time_value


def _doc(**extra) -> dict:
    ticket = {"ref": "t1", "subject": "Box", "messages": [{"direction": "in", "at": "2026-01-05T10:00:00Z",
                                                             "body": "Order 12345"}]}
    ticket.update(extra)
    return {"format": "amends", "version": 1, "tickets": [ticket]}


def test_a_clean_document_has_no_problems():
    assert json_problems(_doc()) == []


def test_a_long_digit_run_in_a_text_is_no_problem():
    assert json_problems(_doc(subject="Order 123456789012345678901234567890")) == []


@pytest.mark.parametrize(("extra", "field", "reason"), [
    ({"priority": 2**63}, "tickets.priority", "too large"),
    ({"priority": -(2**64)}, "tickets.priority", "too large"),
    ({"score": float("nan")}, "tickets.score", "finite"),
    ({"score": float("-inf")}, "tickets.score", "finite"),
    ({"subject": "bad \ud800 text"}, "tickets.subject", "Unicode"),
    ({"meta": {"k\udfff": 1}}, "tickets.meta", "Unicode"),
])
def test_every_kind_of_problem_is_still_found_where_it_is(extra, field, reason):
    found = json_problems(_doc(**extra))
    assert len(found) == 1, found
    record, where, why = found[0]
    assert (record, where) == (1, field) and reason in why


def test_a_document_nested_deeper_than_json_can_write_is_walked_not_crashed():
    deep: object = "end"
    for _ in range(100_000):
        deep = [deep]
    assert json_problems({"tickets": [{"x": deep}]}) == []


@pytest.mark.parametrize("text", ["2026-01-05T10:00:00Z", "1900-01-01T00:00:00Z", "2999-12-31T23:59:59Z",
                                  "2024-02-29T12:00:00Z"])
def test_a_stored_form_time_is_kept_as_it_is(text):
    assert time_value(text) == text
    assert time_value(json.loads(json.dumps(text))) == text


@pytest.mark.parametrize(("text", "reason"), [("2026-02-30T10:00:00Z", "not a real date"),
                                              ("1899-12-31T23:59:59Z", "outside the years"),
                                              ("3000-01-01T00:00:00Z", "outside the years")])
def test_a_stored_form_time_is_still_checked(text, reason):
    with pytest.raises(BadValue, match=reason):
        time_value(text)
