"""One real Amends window (own process, offscreen) for the sharing trial:
its timers and background jobs run (polling, presence, view counts, the
daily backup, refreshes) while it writes through its own connection —
tickets, replies, tags, policy drafts, resolutions — and now and then
browses the database's folder in File → Open. Every write is appended to
LEDGER only *after* it committed (acknowledged); refused ones are not.
It runs until the file STOP exists (or SECONDS pass), then quits the way
the app does (File → Quit, then the connection is closed).

    python -m tests.e2e.app_writer DB LEDGER STOP SECONDS SEED ACTOR
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"

from amends.core import policies, resolution, tags, tickets
from amends.core.errors import AmendsError
from amends.core.workspace import open_database
from amends.ui.shell.main_window import MainWindow
from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog


def main() -> int:
    path, ledger_path, stop_text, seconds, seed, actor = sys.argv[1:7]
    rng, stop = random.Random(int(seed)), Path(stop_text)
    app = QApplication([])
    QCoreApplication.setOrganizationName(f"AmendsTrial-{actor}")
    db = open_database(path, actor, create=False)
    window = MainWindow(db)
    window.show()
    ticket_ids = [r[0] for r in db.query("SELECT id FROM tickets ORDER BY id")]
    policy_ids = [r[0] for r in db.query("SELECT id FROM policies ORDER BY id")]
    mine: list[int] = []  # tickets this window created: it resolves only those
    deadline = time.monotonic() + float(seconds)
    last_refresh = last_dialog = time.monotonic()
    counter = 0
    with open(ledger_path, "a", encoding="utf-8") as ledger:
        def note(**entry) -> None:
            ledger.write(json.dumps({"actor": actor, **entry}) + "\n")
            ledger.flush()

        def browse() -> None:
            dialog = next((w for w in app.topLevelWidgets() if isinstance(w, QFileDialog) and w.isVisible()), None)
            if dialog is None:
                QTimer.singleShot(20, browse)
                return
            dialog.setDirectory(str(db.path.parent))
            QTimer.singleShot(300, dialog.reject)

        while not stop.exists() and time.monotonic() < deadline:
            app.processEvents()
            counter += 1
            roll = rng.random()
            try:
                if roll < 0.25 or not mine:
                    subject = f"{actor} ticket {counter}"
                    ticket_id = tickets.create(db, subject, "written by a window", category="other")
                    mine.append(ticket_id)
                    note(op="ticket", id=ticket_id, subject=subject)
                elif roll < 0.45:
                    ticket_id, body = rng.choice(ticket_ids + mine), f"{actor} reply {counter}"
                    note(op="message", id=tickets.add_message(db, ticket_id, "out", body), ticket=ticket_id,
                         body=body)
                elif roll < 0.65:
                    ticket_id, name = rng.choice(ticket_ids + mine), f"{actor.split('@')[0]}-{counter}"
                    if ticket_id in tags.add(db, [ticket_id], name).ticket_ids:
                        note(op="tag", ticket=ticket_id, tag=name)
                elif roll < 0.85:
                    policy = policies.get(db, rng.choice(policy_ids))
                    name = f"{policy.category} by {actor} {counter}"
                    policies.save_draft(db, policy.id, policy.version, name=name, category=policy.category,
                                        segment=policy.segment, steps=list(policy.draft), plan=policy.plan)
                    note(op="draft", policy=policy.id, name=name)
                else:
                    ticket_id = mine.pop(rng.randrange(len(mine)))
                    checklist = resolution.checklist_for(db, ticket_id)
                    outcomes = [resolution.StepOutcome(i, True) for i in range(len(checklist.steps))]
                    resolution_id = resolution.resolve(db, ticket_id, checklist.policy.id if checklist.policy
                                                       else None, outcomes, None,
                                                       expected_version=checklist.ticket_version)
                    note(op="resolution", id=resolution_id, ticket=ticket_id)
            except AmendsError as error:  # busy or a conflict: refused, nothing written, not acknowledged
                note(op="refused", error=f"{type(error).__name__}: {error}")
            now = time.monotonic()
            if now - last_refresh > 0.7:  # a refresh starts background jobs (view counts) that reopen the file
                window.refresh()
                last_refresh = now
            if now - last_dialog > 3:
                QTimer.singleShot(0, browse)
                window.act_open.trigger()  # modal until browse() cancels it
                last_dialog = time.monotonic()
            time.sleep(rng.random() * 0.02)
    window.act_quit.trigger()
    app.processEvents()
    db.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
