"""Writes announce what changed on one signal (the window's DataBus); the
panes subscribe to the kinds they show. No pane is refreshed by hand from
another feature's code."""

from __future__ import annotations

import ast
from pathlib import Path

from amends.core import tickets
from amends.ui.common.databus import Changed

UI = Path(__file__).resolve().parents[3] / "desktop" / "amends" / "ui"
#: a pane (by the attribute it is reached through) → the feature folders it belongs to
PANES = {"inbox": {"inbox"}, "ticket_view": {"inbox", "ticket"}, "policies": {"policies"},
         "_policies": {"policies"}, "proposals": {"policies"}, "audit": {"audit"}, "_audit": {"audit"},
         "review": {"review"}, "_review": {"review"}}


def hand_refreshes(root: Path = UI) -> list[str]:
    """``self.<pane>.refresh()`` / ``.reload()`` in a module outside that pane's
    feature folder (a pane refreshing its own parts is fine). Showing a pane
    (``show_pane``) re-reads it, which is not a data change."""
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        allowed = {id(n) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and f.name == "show_pane"
                   for n in ast.walk(f)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in ("refresh", "reload") and id(node) not in allowed:
                chain = ast.unparse(node.func.value).split(".")
                feature = path.relative_to(root).parts[0]
                if chain[0] == "self" and any(feature not in PANES[name] for name in chain[1:] if name in PANES):
                    found.append(f"{path.relative_to(root)}:{node.lineno}: {ast.unparse(node.func)}()")
        if "_audit_mark" in path.read_text(encoding="utf-8"):
            found.append(f"{path.relative_to(root)}: _audit_mark")
    return found


def test_no_pane_is_refreshed_by_hand_from_outside():
    assert hand_refreshes() == []


def test_the_scan_finds_a_hand_refresh(tmp_path):
    (tmp_path / "shell").mkdir()
    (tmp_path / "shell" / "w.py").write_text("class W:\n    def f(self):\n        self._policies.refresh()\n"
                                       "    def show_pane(self):\n        self.audit.refresh()\n")
    assert hand_refreshes(tmp_path) == ["shell/w.py:3: self._policies.refresh()"]


def test_a_change_by_someone_else_reaches_every_pane_that_shows_it(qtbot, window):
    window.show_pane(3)  # the Audit pane is on screen
    pane = window.audit
    other = window.db.reopen()
    other.actor = "Ben Carter"
    ticket_id = window.inbox.model.ticket_id(0)
    tickets.update(other, ticket_id, tickets.get(other, ticket_id).version, priority=3)
    with qtbot.waitSignal(window.bus.changed, timeout=2000) as changed:
        window.check_for_changes()
    assert Changed(changed.args[0]) & Changed.AUDIT
    assert pane.model.entries[0].actor == "Ben Carter", "the visible audit log shows their change"
    assert window.inbox.ticket_view.ticket.priority == 3 or window.inbox.ticket_view.ticket.id != ticket_id
    other.close()


def test_my_own_edit_is_announced_once_with_what_it_touched(qtbot, window):
    seen = []
    window.bus.changed.connect(seen.append)
    window.inbox.table.selectRow(0)
    window.triage.set_field("priority", 3)
    assert [Changed(w) for w in seen] == [Changed.TICKETS | Changed.AUDIT]
