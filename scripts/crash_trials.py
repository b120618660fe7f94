"""Run any number of crash trials and print what was lost (target: nothing).

    .venv/bin/python scripts/crash_trials.py 200

Each trial copies a small database, starts a writer doing real operations
(resolve with checklist, reply, edit a policy draft, import a small CSV file,
open a ticket), kills it
with SIGKILL at a random moment, then checks integrity, that every committed
operation is there, and that nothing half-done is visible.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.crash_trials import build_base, run_trial  # noqa: E402


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    folder = Path(tempfile.mkdtemp(prefix="amends-crash-"))
    base = build_base(folder / "base.db")
    started = time.perf_counter()
    results = []
    for seed in range(count):
        results.append(run_trial(base, folder, seed))
        (folder / f"trial-{seed}.db").unlink(missing_ok=True)
        if (seed + 1) % 25 == 0:
            print(f"  {seed + 1} trials…", flush=True)
    failed = [r for r in results if r.problems]
    operations = sum(r.operations for r in results)
    print(f"\n{'trials run':<38} {count}")
    print(f"{'faults injected (SIGKILL mid-work)':<38} {count}")
    print(f"{'committed operations checked':<38} {operations}")
    print(f"{'trials with a problem':<38} {len(failed)}")
    print(f"{'lost or half-done operations':<38} {sum(len(r.problems) for r in failed)}")
    print(f"{'time':<38} {time.perf_counter() - started:.0f} s")
    for result in failed[:20]:
        print(f"  trial {result.seed}: {'; '.join(result.problems)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
