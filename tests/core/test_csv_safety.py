"""CSV exports neutralise formulas in every column, also behind characters a
spreadsheet skips or does not show (spaces, NBSP, zero-width characters, a
BOM) — issue 11."""

from __future__ import annotations

import csv
import io

from amends.core import customers, tickets
from amends.core.exporters import tables
from hypothesis import given
from hypothesis import strategies as st

INVISIBLE = " \u00a0\u2007\u202f\u3000\u200b\u200c\u200d\u2060\ufeff\u180e\n\x0b\x0c"
FORMULA = "=+-@\t\r"
invisible_runs = st.text(alphabet=INVISIBLE, max_size=6)


def _spreadsheet_sees(cell: str) -> str:
    """What a spreadsheet parses: the cell with the invisible run dropped."""
    return cell.lstrip(INVISIBLE)


@given(invisible_runs, st.sampled_from(FORMULA), st.text(max_size=20))
def test_a_formula_behind_invisible_characters_is_neutralised(prefix, formula, rest):
    value = prefix + formula + rest
    assert tables.safe_cell(value) == "'" + value


@given(st.one_of(st.text(max_size=30), st.text(alphabet=INVISIBLE + FORMULA + "ab1", max_size=8)))
def test_any_text_is_kept_or_quoted_and_never_left_a_formula(value):
    out = tables.safe_cell(value)
    assert out in (value, "'" + value)
    if out == value:
        seen = _spreadsheet_sees(value)
        assert not seen.startswith(tuple(FORMULA))
        assert not any(ch in "\t\r" for ch in value[:len(value) - len(seen)])


@given(st.lists(st.tuples(invisible_runs, st.sampled_from(FORMULA), st.text(max_size=10)), min_size=1, max_size=5))
def test_the_csv_file_read_back_has_no_live_formula(cells):
    values = [p + f + r for p, f, r in cells]
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerow([tables.safe_cell(v) for v in values])
    buffer.seek(0)
    read = next(csv.reader(buffer))
    assert read == ["'" + v for v in values]


def test_every_column_of_an_export_is_neutralised(db, tmp_path):
    customer = customers.create(db, "\u200b=evil@example.com", "\u00a0=HYPERLINK(\"http://x\")")
    tickets.create(db, "\ufeff@SUM(A1)", "x", customer_id=customer, ref=" +ref1", assignee="\u2060-2+3")
    out = tmp_path / "out.csv"
    assert tables.write_csv(db, out) == 1
    with open(out, encoding="utf-8-sig", newline="") as handle:
        row = next(csv.DictReader(handle))
    for column in ("subject", "ref", "assignee", "customer", "email"):
        assert row[column].startswith("'"), (column, row[column])
    assert tables.safe_cell("plain text") == "plain text" and tables.safe_cell(" 42") == " 42"
