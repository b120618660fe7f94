"""Starts an atomic write and stops half-way, waiting to be killed.

    python -m tests.e2e.partial_writer TARGET anonymous|named
"""

from __future__ import annotations

import sys
import time

from amends.core import output_files


def main() -> int:
    target, kind = sys.argv[1:3]
    output_files.ANONYMOUS_TEMP = output_files.ANONYMOUS_TEMP and kind == "anonymous"
    with output_files.atomic_output(target, force=True) as handle:
        handle.write("x" * 200_000)
        handle.flush()
        print("half-way", flush=True)
        time.sleep(120)
        handle.write("never reached")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
