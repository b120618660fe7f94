"""Issue 11's sharing trial, in both journal modes: windows with their jobs,
every CLI command in a loop, windows opening and closing; nothing any
process acknowledged is lost and the file is intact. ``--trials N`` runs N
rounds per mode (default: one)."""

from __future__ import annotations

import pytest

from tests.e2e.sharing_trial import run_trial


@pytest.mark.parametrize("mode", ["wal", "delete"])
def test_windows_and_every_cli_command_on_one_file_lose_nothing(tmp_path, trials, mode):
    figures = run_trial(tmp_path, mode, rounds=trials or 1)
    print(f"{mode}: {figures.rounds} rounds, {figures.commands} commands, {figures.windows} windows, "
          f"{figures.acknowledged} acknowledged writes checked, {figures.refused} refused, "
          f"{len(figures.lost)} lost, {figures.seconds:.1f} s")
    assert figures.integrity == "ok"
    assert figures.acknowledged > 0
    assert figures.lost == []
    assert figures.failures == []
