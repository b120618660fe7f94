"""Messy spreadsheet exports (issue 13 point 8): files that are not UTF-8
decoded right and the guess named, the date order of each column inferred
and named, never silent; a pipe as the delimiter; a tags column."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from amends.core import importers, tags
from amends.core.importers import csv_files

ROWS = [("Zażółć gęślą jaźń", "Łódź"), ("Příliš žluťoučký kůň", "Brno"),  # Polish, Czech: ISO-8859-2
        ("Paczka przyszła uszkodzona; proszę o zwrot", "Małgorzata Wiśniewska")]
JAPANESE = [("荷物が届きません", "山田太郎"), ("請求が二重になっています", "佐藤花子")]


def csv_text(rows, delimiter=",") -> str:
    lines = [delimiter.join(["subject", "customer_name", "created_at"])]
    lines += [delimiter.join([subject, name, f"2026-01-0{n + 1}"]) for n, (subject, name) in enumerate(rows)]
    return "\r\n".join(lines) + "\r\n"


@pytest.mark.parametrize("rows, encoding, expected", [
    (ROWS, "iso-8859-2", "iso8859-2"),
    (JAPANESE, "shift_jis", "cp932"),  # Windows' Shift_JIS, a superset: the same text
    (ROWS + JAPANESE, "utf-16-le", "utf-16-le"),
    (ROWS + JAPANESE, "utf-16-be", "utf-16-be"),
])
def test_files_that_are_not_utf8_are_decoded_right_and_the_guess_named(db, tmp_path, rows, encoding, expected):
    path = tmp_path / "export.csv"
    path.write_bytes(csv_text(rows).encode(encoding))  # no BOM
    seen = csv_files.inspect(path)
    assert (seen.encoding, seen.guessed) == (expected, True)
    assert [r[0] for r in seen.rows] == [subject for subject, _name in rows]
    assert any(expected in note for note in seen.notes)
    report = importers.import_file(db, path, "csv")
    assert report.written and not report.errors and any(expected in n for n in report.read_as)
    assert [r[0] for r in db.tuples("SELECT subject FROM tickets ORDER BY created_at")] == [s for s, _ in rows]


def test_the_encoding_can_be_overridden_and_a_wrong_one_is_a_clear_problem(db, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(csv_text(ROWS).encode("cp1250"))
    chosen = csv_files.inspect(path, encoding="cp1250")
    assert (chosen.encoding, chosen.guessed, chosen.rows[0][0]) == ("cp1250", False, "Zażółć gęślą jaźń")
    bad = importers.import_file(db, path, "csv", encoding="utf-8")
    assert not bad.written and bad.errors[0].field == "encoding" and "not utf-8" in bad.errors[0].reason
    unknown = importers.import_file(db, path, "csv", encoding="klingon")
    assert not unknown.written and "unknown encoding 'klingon'" in unknown.errors[0].reason
    assert db.scalar("SELECT count(*) FROM tickets") == 0


def test_cli_encoding_option(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(csv_text(JAPANESE).encode("shift_jis"))
    run = subprocess.run([sys.executable, "-m", "amends.cli", "--db", str(tmp_path / "a.db"), "import", str(path),
                          "--encoding", "shift_jis", "--json"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["files"][0]["imported"] == 2
    wrong = subprocess.run([sys.executable, "-m", "amends.cli", "--db", str(tmp_path / "a.db"), "import", str(path),
                            "--date-order", "sideways"], capture_output=True, text=True, timeout=120)
    assert wrong.returncode == 2 and "--date-order" in wrong.stderr


def dated(tmp_path, *dates: str, header: str = "Opened on"):
    path = tmp_path / "dates.csv"
    path.write_text("subject," + header + "\n" + "".join(f"T{n},{d}\n" for n, d in enumerate(dates)))
    return path


def test_an_ambiguous_date_column_is_named(db, tmp_path):
    path = dated(tmp_path, "01/05/2026", "02/06/2026")
    assert any("'Opened on'" in n and "01/05/2026" in n and "--date-order" in n
               for n in csv_files.inspect(path, overrides={"Opened on": "created_at"}).notes)
    report = importers.import_file(db, path, "csv", mapping={"Opened on": "created_at"})
    assert report.written and any("'Opened on'" in n and "day-first" in n for n in report.read_as)
    assert db.scalar("SELECT min(created_at) FROM tickets") == "2026-05-01T00:00:00Z"


def test_the_order_is_inferred_per_column(db, tmp_path):
    path = tmp_path / "dates.csv"
    path.write_text("subject,created,updated\nA,01/05/2026,01/05/2026\nB,12/31/2025,01/13/2026\n")
    report = importers.import_file(db, path, "csv")
    assert report.written and not report.errors, report.errors
    assert any("'created'" in n and "month-first" in n and "12/31/2025" in n for n in report.read_as)
    assert db.tuples("SELECT created_at, updated_at FROM tickets ORDER BY subject") == [
        ("2026-01-05T00:00:00Z", "2026-01-05T00:00:00Z"), ("2025-12-31T00:00:00Z", "2026-01-13T00:00:00Z")]
    day_first = dated(tmp_path, "01/05/2026", "31/01/2026", header="created")
    assert importers.import_file(db, day_first, "csv").written
    assert db.scalar("SELECT created_at FROM tickets WHERE subject = 'T0' ORDER BY id DESC") == "2026-05-01T00:00:00Z"


def test_contradicting_dates_are_a_problem_naming_the_column_unless_the_order_is_given(db, tmp_path):
    path = dated(tmp_path, "31/01/2026", "01/31/2026", header="created")
    report = importers.import_file(db, path, "csv")
    assert not report.written and (report.errors[0].record, report.errors[0].field) == (1, "created")
    assert "both orders" in report.errors[0].reason
    chosen = importers.import_file(db, path, "csv", dates="month-first")
    assert not chosen.written and {e.field for e in chosen.errors} == {"created_at"}, "31/01 is no month-first date"


def test_a_customers_file_with_month_first_dates(db, tmp_path):
    path = tmp_path / "subs.csv"
    path.write_text("email,plan,started_at\na@example.com,Tea,01/02/2026\nb@example.com,Tea,02/28/2026\n")
    report = importers.import_file(db, path, "customers")
    assert report.written, report.errors
    assert db.tuples("SELECT started_at FROM subscriptions ORDER BY id") == [("2026-01-02T00:00:00Z",),
                                                                            ("2026-02-28T00:00:00Z",)]


def test_pipe_delimited_with_a_tags_column(db, tmp_path):
    path = tmp_path / "pipes.csv"
    path.write_text("id|subject|created_at|tags\n1|Box crushed|2026-01-05|vip, damaged; repeat\n"
                    "2|Late|2026-01-06|\n")
    seen = csv_files.inspect(path)
    assert seen.header == ["id", "subject", "created_at", "tags"]
    assert csv_files.guess_mapping(seen.header)["tags"] == "tags"
    report = importers.import_file(db, path, "csv")
    assert report.written and report.imported == 2, report.errors
    first = db.scalar("SELECT id FROM tickets WHERE ref = '1'")
    assert [t.name for t in tags.for_tickets(db, [first])[first]] == ["damaged", "repeat", "vip"]
    assert set(csv_files.FIELD_LABELS) == set(csv_files.TICKET_FIELDS), "every field has a readable label"
