"""``benchmarks/run.py --backend postgresql`` (issue 19 point 7) as a real
process on a small demo, into an empty database of the test server: the same
table and JSON rows as the SQLite run, each measure beside the same raw SQL
on the server and beside the SQLite file. (The 8-writer measure starts 24
processes: it is run by hand, see benchmarks/README.md, not here.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_benchmark_command import KEYS, bench
from tests.pg.test_pg_move import empty_database


def test_postgresql_rows_beside_raw_sql_and_sqlite(pg_server, tmp_path: Path) -> None:
    out = tmp_path / "rows.json"
    with empty_database(pg_server) as url:
        result = bench(tmp_path, "--backend", "postgresql", "--pg-url", url, "--tickets", "1000",
                       "--only", "pages", "--json", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "| measure | Amends | baseline | ratio | target | pass |" in result.stdout
    data = json.loads(out.read_text())
    assert data["backend"] == "postgresql" and data["tickets"] == 1000
    for row in data["rows"]:
        assert list(row) == KEYS, row
    measures = [r["measure"] for r in data["rows"]]
    assert any("amends move" in m and "rows/s" in m for m in measures)
    raw = [r for r in data["rows"] if "same raw SQL on the server" in r["measure"]]
    file = [r for r in data["rows"] if "on the SQLite file" in r["measure"]]
    assert len(raw) == len(file) == 7  # every inbox view, both ways
    assert all(r["value"] > 0 and r["baseline"] > 0 and r["ratio"] > 0 for r in raw + file)


@pytest.mark.parametrize("args", [["--pg-url", "postgresql://x@127.0.0.1/db"],
                                  ["--backend", "postgresql", "--only", "resolve"],
                                  ["--backend", "mysql"]])
def test_bad_backend_arguments_exit_2(tmp_path: Path, args: list[str]) -> None:
    result = bench(tmp_path, *args)
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr and "error:" in result.stderr
