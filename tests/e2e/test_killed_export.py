"""A killed export (SIGKILL, no chance to clean up) leaves the previous file
intact and no temporary debris: on Linux the unfinished file has no name at
all (O_TMPFILE); where it must have one, the next write sweeps it."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from amends.core import demo, output_files
from amends.core.workspace import open_database

from tests.cli.test_cli import BIN
from tests.conftest import ACTOR

ROOT = Path(__file__).resolve().parents[2]
OLD = "the last good export\n"
TICKETS = 5000


def _kill_half_way(target: Path, kind: str) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "tests.e2e.partial_writer", str(target), kind], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "half-way"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.skipif(not output_files.ANONYMOUS_TEMP, reason="no O_TMPFILE on this system")
def test_killed_half_way_leaves_the_old_file_and_nothing_else(tmp_path):
    out = tmp_path / "export.csv"
    out.write_text(OLD)
    _kill_half_way(out, "anonymous")
    assert out.read_text() == OLD
    assert os.listdir(tmp_path) == ["export.csv"]


def test_killed_half_way_with_a_named_temp_file_is_swept_by_the_next_write(tmp_path):
    out = tmp_path / "export.csv"
    out.write_text(OLD)
    _kill_half_way(out, "named")
    assert out.read_text() == OLD
    assert len(os.listdir(tmp_path)) == 2, "the killed writer's temporary file (a name was needed)"
    with output_files.atomic_output(out, force=True) as handle:
        handle.write("new")
    assert out.read_text() == "new"
    assert os.listdir(tmp_path) == ["export.csv"]


def _writing_anonymously(pid: int, folder: Path) -> bool:
    """The export has its unnamed temporary file open in ``folder``."""
    fds = Path(f"/proc/{pid}/fd")
    try:
        links = [os.readlink(fds / fd) for fd in os.listdir(fds)]
    except OSError:  # the process is gone or between two descriptors
        return False
    return any(link.startswith(f"{folder}/#") for link in links)


def _old_or_whole(text: str) -> bool:
    if text == OLD:
        return True
    try:
        return len(json.loads(text)["tickets"]) == TICKETS
    except ValueError:  # cut off half-way
        return False


def test_a_real_export_killed_mid_write(tmp_path, trials):
    rounds = 4 * (trials or 1)
    path = tmp_path / "data" / "shop.db"
    path.parent.mkdir()
    db = open_database(path, ACTOR)
    demo.generate(db, TICKETS, seed=4)
    db.close()
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "export.json"
    command = [str(BIN)] if BIN.exists() else [sys.executable, "-m", "amends"]
    rng = random.Random(11)
    killed_mid_write = 0
    for _ in range(rounds):
        out.write_text(OLD)
        proc = subprocess.Popen([*command, "--db", str(path), "export", "--format", "json", "--out", str(out),
                                 "--force"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        # Kill once it writes: its unnamed temporary file is open, or the
        # output file itself started to change (as a non-atomic write does).
        while proc.poll() is None and time.monotonic() < deadline and out.stat().st_size == len(OLD) \
                and not (output_files.ANONYMOUS_TEMP and _writing_anonymously(proc.pid, folder)):
            time.sleep(0.0005)
        if output_files.ANONYMOUS_TEMP and out.stat().st_size == len(OLD):
            time.sleep(rng.random() * 0.05)  # somewhere in the middle of writing
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed_mid_write += 1
        proc.wait(60)
        assert proc.returncode in (0, -signal.SIGKILL), proc.stderr.read()
        assert _old_or_whole(out.read_text(encoding="utf-8")), "the old file or a whole new one"
        if output_files.ANONYMOUS_TEMP:
            assert os.listdir(folder) == ["export.json"]
    assert killed_mid_write > 0, "at least one export was killed while writing"
