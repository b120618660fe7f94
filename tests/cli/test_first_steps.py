"""A new user's first commands, as real processes: the default folder is
made, a missing or empty database is explained, output piped into ``head``
ends quietly, bad arguments exit 2, two demos at once do not collide, and
every JSON written is strict."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_cli import BIN, amends, one_line_error


def strict(text: str) -> object:
    def refuse(constant: str):
        raise AssertionError(f"not strict JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def fresh_user(tmp_path: Path, xdg: bool = True) -> dict:
    """The environment of a new user on a new machine: nothing in HOME, no
    AMENDS_HOME or AMENDS_DB (the tests' own conftest sets AMENDS_HOME)."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("AMENDS_HOME", "AMENDS_DB", "XDG_DATA_HOME")}
    env["HOME"] = str(home)
    if xdg:
        env["XDG_DATA_HOME"] = str(tmp_path / "xdg-data")  # does not exist yet
    return env


def run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    command = [str(BIN)] if BIN.exists() else [sys.executable, "-m", "amends"]
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("first") / "demo.db"
    assert amends("--db", str(path), "demo", "--tickets", "300").returncode == 0
    return path


@pytest.mark.parametrize("xdg", [True, False])
def test_the_default_data_folder_is_created_by_every_command(tmp_path, xdg):
    env = fresh_user(tmp_path, xdg)
    folder = (tmp_path / "xdg-data" / "Amends") if xdg else (tmp_path / "home" / ".local" / "share" / "Amends")
    stats = run(["stats"], env)
    assert folder.is_dir(), "the folder is made even when there is no database yet"
    line = one_line_error(stats)
    assert "does not exist. Create it" not in line
    assert "amends demo" in line and "amends import" in line, line
    assert not (folder / "amends.db").exists(), "stats does not create a database"
    shutil.rmtree(folder)
    assert "amends demo" in one_line_error(run(["check"], env))
    shutil.rmtree(folder)
    demo = run(["demo", "--tickets", "20"], env)
    assert demo.returncode == 0, demo.stderr
    assert (folder / "amends.db").is_file()
    assert strict(run(["stats", "--json"], env).stdout)["tickets"] == 20
    assert run(["check"], env).returncode == 0


def test_a_folder_or_an_empty_file_as_database_is_named_so(tmp_path, demo_db):
    folder = tmp_path / "folder.db"
    folder.mkdir()
    empty = tmp_path / "empty.db"
    empty.touch()
    csv = tmp_path / "t.csv"
    csv.write_text("id,subject,created_at\nA,Hello,2026-01-05\n")
    for command in (["stats"], ["check"], ["search", "x"], ["insights"], ["demo", "--tickets", "5"],
                    ["import", str(csv)], ["export", "--format", "csv", "--out", str(tmp_path / "o.csv")]):
        assert "is a folder" in one_line_error(amends("--db", str(folder), *command)), command
    for command in (["stats"], ["check"], ["search", "x"], ["insights"],
                    ["export", "--format", "csv", "--out", str(tmp_path / "o.csv")]):
        line = one_line_error(amends("--db", str(empty), *command))
        assert "is an empty file" in line and "does not exist" not in line, (command, line)
    assert empty.stat().st_size == 0, "reading commands leave an empty file alone"


def _closed_pipe(args: list[str]) -> subprocess.CompletedProcess:
    """Run with stdout a real pipe whose reader is gone before anything is
    written (what ``| head`` does once it has its lines)."""
    command = [str(BIN)] if BIN.exists() else [sys.executable, "-m", "amends"]
    read_end, write_end = os.pipe()
    try:
        process = subprocess.Popen([*command, *args], stdout=write_end, stderr=subprocess.PIPE, text=True)
    finally:
        os.close(write_end)
        os.close(read_end)  # the reader leaves at once
    _, err = process.communicate(timeout=120)
    return subprocess.CompletedProcess(args, process.returncode, "", err)


@pytest.mark.parametrize("command", [["stats", "--json"], ["stats"], ["search", "box", "--limit", "300"],
                                     ["search", "box", "--json"], ["insights", "--json"]])
def test_output_into_a_closed_pipe_ends_quietly(demo_db, command):
    result = _closed_pipe(["--db", str(demo_db), *command])
    assert result.stderr == "", result.stderr
    assert result.returncode == 141, "like other tools killed by SIGPIPE: 128 + 13"


def test_head_reads_the_first_lines_and_amends_ends_quietly(demo_db):
    command = [str(BIN)] if BIN.exists() else [sys.executable, "-m", "amends"]
    producer = subprocess.Popen([*command, "--db", str(demo_db), "search", "a", "--limit", "300"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    head = subprocess.run(["head", "-n", "2"], stdin=producer.stdout, capture_output=True, timeout=60)
    producer.stdout.close()
    _, err = producer.communicate(timeout=60)
    assert len(head.stdout.splitlines()) == 2
    assert b"internal error" not in err and b"Traceback" not in err and b"Exception" not in err, err


@pytest.mark.parametrize("args", [
    ["resolve", "1", "--offer", "inf"], ["resolve", "1", "--offer", "nan"], ["resolve", "1", "--offer", "1e400"],
    ["resolve", "1", "--step", "one=done"], ["resolve", "1", "--step", "²=done"], ["resolve", "1", "--step", "1=maybe"],
    ["resolve", str(10**30)], ["search", "x", "--limit", str(10**30)],
    ["insights", "--since", "May"], ["insights", "--until", "9999-12-31"], ["insights", "--since", "0001-01-01"],
    ["insights", "--churn-window-days", str(10**30)], ["insights", "--min-tickets", "²"],
    ["report", "--out", "x.pdf", "--since", "2026-02-30"], ["demo", "--tickets", "²"],
    ["demo", "--tickets", "5", "--seed", "1.5"], ["import", "x.csv", "--map", "nonsense"],
    ["insights", "--since", "2026-05-01", "--until", "2026-01-01"],
    ["report", "--out", "x.pdf", "--since", "2026-05-01", "--until", "2026-01-01"],
    ["export", "--format", "amends", "--out", "x.json", "--query", "box"],
])
def test_bad_arguments_exit_2_everywhere(demo_db, args):
    result = amends("--db", str(demo_db), *args)
    one_line_error(result)
    assert result.returncode == 2, result.stderr


@pytest.mark.parametrize("query", ["cycle:99999999999999999999", "cycle:>99999999999999999999", "cycle:1-99999999999999999999",
                                   "before:9999-12-31", "after:9999-12-31", "after:0001-01-01", "cycle:²"])
def test_search_numbers_and_dates_in_range_or_explained(demo_db, query):
    result = amends("--db", str(demo_db), "search", query, "--json")
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    if result.returncode:
        assert query.split(":")[0] in one_line_error(result)
        assert result.returncode == 2, "a query that cannot be read is a bad argument"
    else:
        strict(result.stdout)


def test_two_demos_at_once_both_succeed_or_one_says_it_found_data(tmp_path):
    path = tmp_path / "race.db"
    command = [str(BIN)] if BIN.exists() else [sys.executable, "-m", "amends"]
    runs = [subprocess.Popen([*command, "--db", str(path), "demo", "--tickets", "3000"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=300), *p.communicate()) for p in runs]
    assert all("IntegrityError" not in err and "internal error" not in err for _, _, err in results), results
    codes = sorted(code for code, _, _ in results)
    assert codes[0] == 0, results
    if codes[1]:
        loser = next(err for code, _, err in results if code)
        assert "already holds" in loser, loser
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT count(*) FROM tickets").fetchone()[0] == 3000
    raw.close()


def _with_infinite_offers(tmp_path: Path, demo_db: Path) -> Path:
    path = tmp_path / "old.db"
    shutil.copy(demo_db, path)
    raw = sqlite3.connect(path)
    raw.execute("UPDATE resolutions SET offer_value = 9e999 WHERE id IN (SELECT id FROM resolutions "
                "WHERE offer_value IS NOT NULL LIMIT 3)")  # what an import of "Infinity" stored before
    raw.commit()
    raw.close()
    return path


def test_every_json_the_cli_prints_is_strict_even_over_old_infinite_offers(tmp_path, demo_db):
    path = _with_infinite_offers(tmp_path, demo_db)
    for command in (["stats", "--json"], ["search", "box", "--json"]):
        result = amends("--db", str(path), *command)
        assert result.returncode == 0, result.stderr
        strict(result.stdout)


def test_insights_json_is_strict_even_over_old_infinite_offers(tmp_path, demo_db):
    path = _with_infinite_offers(tmp_path, demo_db)
    result = amends("--db", str(path), "insights", "--since", "2020-01-01", "--until", "2030-12-31", "--json")
    assert result.returncode == 0, result.stderr
    strict(result.stdout)


def test_the_amends_export_is_strict_json_even_over_old_infinite_offers(tmp_path, demo_db):
    path = _with_infinite_offers(tmp_path, demo_db)
    out = tmp_path / "all.json"
    assert amends("--db", str(path), "export", "--format", "amends", "--out", str(out)).returncode == 0
    strict(out.read_text(encoding="utf-8"))


def test_a_200_kb_csv_cell_imports_through_the_cli(tmp_path):
    body = "long " * 40_000
    csv = tmp_path / "long.csv"
    csv.write_text(f'id,subject,body,created_at\nL-1,Long,"{body}",2026-01-05\n', encoding="utf-8")
    result = amends("--db", str(tmp_path / "long.db"), "import", str(csv), "--json")
    assert result.returncode == 0, result.stderr
    assert strict(result.stdout)["files"][0]["imported"] == 1
