"""Category suggestions: quality on held-out demo tickets (precision and
recall per category) and the per-ticket cost beside a baseline measured in
the same run (opening the ticket, which the ticket view does anyway).

    .venv/bin/python benchmarks/bench_suggestions.py                  # 10,000 demo tickets
    .venv/bin/python benchmarks/bench_suggestions.py --tickets 2000 --db /tmp/s.db

Two held-out measures (docs/SUGGESTIONS.md):
- newest tickets: trained on the oldest 80 % of the categorised tickets,
  tested on the newest 20 % (the demo's texts repeat per category, so this
  mostly shows the plumbing is right);
- unseen phrasing: subjects only, one subject wording per category left out
  of training and tested on (words the model never saw with that category).
Target: a suggestion costs well under 5 ms per ticket.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "desktop"))

from amends.core import demo, suggestions, tickets  # noqa: E402
from amends.core.demo import texts  # noqa: E402
from amends.core.vocabulary import CATEGORIES  # noqa: E402
from amends.core.workspace import open_database  # noqa: E402


def table(pairs: list[tuple[str, str | None]], title: str) -> list[str]:
    """Markdown: per true category, precision / recall / how many got a suggestion."""
    lines = [f"**{title}** ({len(pairs):,} held-out tickets)", "",
             "| category | tickets | suggested | precision | recall |", "|---|---:|---:|---:|---:|"]
    for category in CATEGORIES:
        truth = [p for p in pairs if p[0] == category]
        said = [p for p in pairs if p[1] == category]
        right = sum(1 for t, s in pairs if t == s == category)
        if not truth and not said:
            continue
        suggested = sum(1 for p in truth if p[1] is not None)
        precision = f"{right / len(said):.1%}" if said else "–"
        recall = f"{right / len(truth):.1%}" if truth else "–"
        lines.append(f"| {category} | {len(truth):,} | {suggested:,} | {precision} | {recall} |")
    said = [p for p in pairs if p[1] is not None]
    right = sum(1 for t, s in said if t == s)
    lines += [f"| **all** | {len(pairs):,} | {len(said):,} | {right / max(1, len(said)):.1%} | "
              f"{right / max(1, len(pairs)):.1%} |", ""]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    path = args.db or Path(tempfile.mkdtemp()) / "suggest.db"
    db = open_database(path, "bench")
    if db.scalar("SELECT count(*) FROM tickets") < args.tickets:
        demo.generate(db, args.tickets, seed=7, now=datetime(2026, 11, 25, tzinfo=UTC))
    out: list[str] = []

    for telling in (2, 1):
        suggestions.MIN_TELLING_WORDS = telling
        out += [f"### Suggesting from {telling} telling word{'s' if telling > 1 else ''}", ""]
        # -- held out: the newest 20 % -----------------------------------------------------
        ids = [r[0] for r in db.tuples("SELECT id FROM tickets WHERE merged_into IS NULL ORDER BY id")]
        cutoff = ids[int(len(ids) * 0.8)]
        start = time.perf_counter()
        model = suggestions.train(suggestions.examples_from(db, before_id=cutoff))
        train_ms = (time.perf_counter() - start) * 1000
        held = [r for r in db.tuples("SELECT id, category FROM tickets WHERE id >= ? AND merged_into IS NULL", (cutoff,))]
        text = suggestions.ticket_text(db, [r[0] for r in held])
        pairs = []
        for tid, category in held:
            found = model.predict(suggestions.words(text.get(tid, "")))
            pairs.append((category, found[0] if found else None))
        out += table(pairs, "Newest tickets held out (subject and the customer's messages)")
        others = [p for p in pairs if p[0] == "other"]
        out.append(f"Held-out tickets whose true category is `other` that got a (wrong) suggestion: "
                   f"{sum(1 for p in others if p[1]):,} of {len(others):,}.")
        out.append("")

        # -- unseen phrasing: subjects only, one wording per category left out --------------
        rows = db.tuples("SELECT category, subject FROM tickets WHERE merged_into IS NULL AND category <> 'other'")
        pairs = []
        for fold in range(5):
            left_out = {c: s[fold % len(s)] for c, s in texts.SUBJECTS.items() if c != "other"}
            fold_model = suggestions.train((c, suggestions.words(s)) for c, s in rows if left_out.get(c) != s)
            for c, s in rows:
                if left_out.get(c) == s:
                    found = fold_model.predict(suggestions.words(s))
                    pairs.append((c, found[0] if found else None))
        out += table(pairs, "Unseen phrasing (subject only; each subject wording held out in turn, 5 folds)")

    suggestions.MIN_TELLING_WORDS = 2
    # -- speed: one suggestion vs opening the ticket -------------------------------------
    live = suggestions.model_for(db, fresh=True)
    kept = db.tuples("SELECT id, category FROM tickets ORDER BY random() LIMIT ?", (args.runs,))
    sample = [r[0] for r in kept]
    # suggest() only looks at tickets still in `other`: the sample is put there, and back afterwards
    db.conn.execute("UPDATE tickets SET category = 'other' WHERE id IN (SELECT value FROM json_each(?))",
                    (str(sample),))

    def timed(fn) -> list[float]:
        samples = []
        for tid in sample:
            t0 = time.perf_counter()
            fn(tid)
            samples.append((time.perf_counter() - t0) * 1000)
        return samples

    timed(lambda tid: tickets.get(db, tid))  # warm
    base = timed(lambda tid: tickets.get(db, tid))
    cost = timed(lambda tid: suggestions.suggest(db, tid, live))
    db.conn.executemany("UPDATE tickets SET category = ? WHERE id = ?", [(c, i) for i, c in kept])
    words = Counter(len(w) for w in live.log_word)
    out += ["| per ticket | median ms | p95 ms | baseline | baseline ms | ratio |", "|---|---:|---:|---|---:|---:|",
            f"| suggest (read text, predict) | {statistics.median(cost):.3f} | "
            f"{sorted(cost)[int(len(cost) * 0.95)]:.3f} | open the ticket (tickets.get) | "
            f"{statistics.median(base):.3f} | {statistics.median(cost) / statistics.median(base):.2f} |", "",
            f"Training on {live.examples:,} categorised tickets: {train_ms:.0f} ms for the 80 % split; "
            f"vocabulary {sum(words.values()):,} words. Database: {len(ids):,} demo tickets (seed 7)."]
    db.close()
    print("\n".join(out))


if __name__ == "__main__":
    main()
