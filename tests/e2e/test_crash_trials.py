"""Crash trials in CI: 20 writers killed with SIGKILL (more with --trials N;
scripts/crash_trials.py runs any number and prints a table)."""

from __future__ import annotations

from tests.e2e.crash_trials import build_base, run_trial

CI_TRIALS = 20


def test_killed_writers_lose_nothing_committed_and_leave_nothing_half_done(tmp_path, trials):
    base = build_base(tmp_path / "base.db")
    results = [run_trial(base, tmp_path, seed) for seed in range(trials or CI_TRIALS)]
    problems = [f"trial {r.seed}: {p}" for r in results for p in r.problems]
    assert not problems, "\n".join(problems)
    assert sum(r.operations for r in results) > 0, "the writers did commit work before being killed"
    assert sum(1 for r in results if r.operations > 0) >= len(results) // 2
