"""HTML mail to text in linear time (issue 11.8): the time for a 1 MB body
over the time for a 100 KB body of the same markup, in the same run. Linear
means a ratio near 10 (the quadratic regex it replaced took 73 s for a
240 KB mail). Two kinds of markup: an ordinary newsletter-like body, and a
hostile one (unclosed <script>/<style> tags, which made the regex rescan to
the end for each one). Also the whole intake of one such mail (parse,
sanitise, text), and the 1 MB time itself (target: under 1 s).

    .venv/bin/python benchmarks/bench_mail.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "desktop"))

from amends.core.importers import mail  # noqa: E402

BLOCKS = {
    "ordinary": "<div><p>Hello <b>Ada</b> &amp; team, your <a href='https://shop.example/o/4711'>order</a> "
                "shipped.</p><ul><li>beans</li><li>filters</li></ul><table><tr><td>Total</td><td>12 EUR</td>"
                "</tr></table></div>\n",
    # unclosed and stray tags, half attributes, entities: what broke the old regex
    "hostile": "<p>text &amp; more <b>bold <i>it <li>stray <td>cell <a href='x' <b>attr </style></script> &#x41;",
}
#: The two ways through html_to_text: inscriptis, and the walk for large bodies.
PATHS = {"inscriptis": 10**9, "large-body walk": 0}


def markup(kind: str, size: int) -> str:
    block = BLOCKS[kind]
    return (block * (size // len(block) + 1))[:size]


def best(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def message(body: str) -> bytes:
    return ("From: Ada <ada@example.com>\nSubject: Big\nDate: Mon, 05 Jan 2026 10:00:00 +0000\n"
            "Message-ID: <big@x>\nContent-Type: text/html; charset=utf-8\n\n" + body).encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("\nHTML to text: time(1 MB) / time(100 KB), same markup, same run (linear: about 10)\n")
    failed = False
    # best() calls each lambda at once, in its own iteration: B023 is a false alarm below.
    for kind in BLOCKS:
        small, big = markup(kind, 100_000), markup(kind, 1_000_000)
        for path, large in PATHS.items():
            t_small = best(lambda: mail.html_to_text(small, large), args.repeat)  # noqa: B023
            t_big = best(lambda: mail.html_to_text(big, large), args.repeat)  # noqa: B023
            ratio = t_big / t_small
            linear = ratio <= 15
            failed |= not linear
            print(f"{kind:<9} {path:<16} 100 KB {t_small * 1000:7.1f} ms   1 MB {t_big * 1000:7.1f} ms   "
                  f"ratio {ratio:5.1f}  {'linear' if linear else 'NOT LINEAR'}")
        shipped = best(lambda: mail.html_to_text(big), args.repeat)  # noqa: B023
        failed |= shipped >= 1.0
        print(f"{kind:<9} {'as shipped':<16} 1 MB {shipped * 1000:7.1f} ms  (target under 1 s) "
              f"{'ok' if shipped < 1.0 else 'OVER'}")
    for kind in BLOCKS:
        small, big = message(markup(kind, 100_000)), message(markup(kind, 1_000_000))
        t_small = best(lambda: mail.parse_messages([(1, small)]), args.repeat)  # noqa: B023
        t_big = best(lambda: mail.parse_messages([(1, big)]), args.repeat)  # noqa: B023
        print(f"whole intake of one {kind} mail: 100 KB {t_small * 1000:7.1f} ms   1 MB {t_big * 1000:7.1f} ms   "
              f"ratio {t_big / t_small:5.1f}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
