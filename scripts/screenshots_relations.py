"""Screenshots of the issue-18 screens (Review: themes and save offers;
Policies: Review this policy, Record an upstream fix) at 1280x720 and
1920x1080, light and dark, with Qt's offscreen platform.

    .venv/bin/python scripts/screenshots_relations.py [--out screenshots/relations]

Uses scripts/screenshots.py's dark palette; pictures go under --out (ignored by git).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("AMENDS_HOME", tempfile.mkdtemp(prefix="amends-shots-"))
sys.path.insert(0, str(ROOT / "scripts"))

SIZES = {"1280x720": (1280, 720), "1920x1080": (1920, 1080)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots" / "relations")
    args = parser.parse_args()
    from amends.core import demo, upstream
    from amends.core.workspace import open_database
    from amends.ui.shell.main_window import MainWindow
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication, QGroupBox, QScrollArea
    from screenshots import use_dark

    QCoreApplication.setOrganizationName("AmendsScreenshots")
    app = QApplication(sys.argv[:1])
    db = open_database(Path(tempfile.mkdtemp()) / "shots.db", "Ana Ruiz")
    demo.generate(db, 3000, seed=1, now=datetime.now(UTC))
    upstream.record(db, "double-wall boxes for every shipment", "2026-08-15", "damaged_shipment",
                    theme="cardboard was caved")
    window = MainWindow(db)

    def settle(rounds: int = 10) -> None:
        for _ in range(rounds):
            app.processEvents()
            time.sleep(0.03)

    args.out.mkdir(parents=True, exist_ok=True)
    review = window.review
    done: list[bool] = []
    review.computed.connect(lambda: done.append(True))
    for scheme in ("light", "dark"):
        use_dark(scheme == "dark")
        window.apply_appearance()
        for name, (width, height) in SIZES.items():
            window.resize(width, height)
            window.show()
            done.clear()
            window.show_pane(2)
            review.compute()
            while not done:
                settle(2)
            settle()
            for section in ("Themes inside each category", "What save offers save"):
                box = next(b for b in review.findChildren(QGroupBox) if b.title() == section)
                scroll = review.findChild(QScrollArea)
                scroll.ensureWidgetVisible(box, 0, 0)
                scroll.verticalScrollBar().setValue(box.y())
                settle()
                slug = "themes" if section.startswith("Themes") else "save-offers"
                window.grab().save(str(args.out / f"review-{slug}-{name}-{scheme}.png"))
            window.show_pane(1)
            pane = window.policies
            row = next(i for i, p in enumerate(pane.model.items) if p.category == "damaged_shipment")
            pane.table.selectRow(row)
            settle()
            window.grab().save(str(args.out / f"policies-{name}-{scheme}.png"))
            dialog = pane.review_policy()
            dialog.resize(min(900, width - 80), height - 80)
            while dialog.pack is None:
                settle(2)
            dialog.note.setPlainText("Replacements work; the 15 % cap holds. Keep, and re-check crushed boxes "
                                     "after the double-wall change.")
            settle()
            dialog.grab().save(str(args.out / f"policy-review-{name}-{scheme}.png"))
            dialog.reject()
            fix = pane.record_upstream_fix()
            fix.what.setText("double-wall boxes for every shipment")
            fix.theme.setText("cardboard was caved")
            settle()
            fix.grab().save(str(args.out / f"upstream-fix-{name}-{scheme}.png"))
            fix.reject()
    print("\n".join(str(p) for p in sorted(args.out.glob("*.png"))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
