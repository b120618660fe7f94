"""The tickets behind a number in the Review pane (every figure drills down
to the inbox, filtered to exactly these tickets)."""

from __future__ import annotations

from dataclasses import dataclass

from amends.core import clock
from amends.core.insights import policy_pack, saves, themes
from amends.core.insights.churn import first_tickets
from amends.core.insights.period import Period
from amends.core.store import Database


@dataclass(frozen=True)
class Drill:
    """What was clicked. ``kind`` is one of :data:`KINDS`; the other fields
    narrow it (unused ones stay None)."""

    kind: str
    period: Period
    category: str | None = None
    month: str | None = None
    actor: str | None = None
    step: str | None = None
    group: str | None = None
    window_days: int = 60
    ticket_id: int | None = None
    theme: tuple[str, ...] = ()      # "theme": the theme's phrases
    policy_id: int | None = None     # "policy": whose review pack (``step`` names the figure)


KINDS = ("category", "offers", "out_of_range", "skipped", "churn", "churned", "incomplete", "overdue", "ticket",
         "theme", "save_offer", "save_retained", "save_lost", "policy")


def ticket_ids(db: Database, drill: Drill, *, now: str | None = None) -> list[int]:
    p = drill.period
    if drill.kind == "ticket":
        return [drill.ticket_id] if drill.ticket_id is not None else []
    if drill.kind == "category":
        sql = "SELECT id FROM tickets WHERE category = ? AND created_at >= ? AND created_at < ? AND merged_into IS NULL"
        params: list = [drill.category, p.start, p.end]
        if drill.month:
            sql += " AND substr(created_at, 1, 7) = ?"
            params.append(drill.month)
        return [r[0] for r in db.query(sql, params)]
    if drill.kind in ("offers", "out_of_range"):
        sql = ("SELECT DISTINCT ticket_id FROM resolutions WHERE resolved_at >= ? AND resolved_at < ? "
               "AND offer_value IS NOT NULL")
        params = [p.start, p.end]
        for column, value in (("actor", drill.actor), ("category", drill.category)):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value)
        if drill.kind == "out_of_range":
            sql += " AND offer_in_bounds = 0"
        return [r[0] for r in db.query(sql, params)]
    if drill.kind == "skipped":
        sql = ("SELECT DISTINCT r.ticket_id FROM resolutions r JOIN resolution_steps s ON s.resolution_id = r.id "
               "WHERE r.resolved_at >= ? AND r.resolved_at < ? AND r.steps_skipped > 0 AND s.outcome = 'skipped'")
        params = [p.start, p.end]
        for column, value in (("r.actor", drill.actor), ("s.type", drill.step)):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value)
        return [r[0] for r in db.query(sql, params)]
    if drill.kind == "incomplete":
        return [r[0] for r in db.query(
            "SELECT ticket_id FROM resolutions WHERE resolved_at >= ? AND resolved_at < ? "
            "AND (policy_version_id IS NULL OR steps_skipped > 0)", (p.start, p.end))]
    if drill.kind == "overdue":
        return [r[0] for r in db.query("SELECT DISTINCT ticket_id FROM followups WHERE done_at IS NULL "
                                       "AND due_at < ?", (now or clock.now_iso(),))]
    if drill.kind == "theme":
        return themes.ticket_ids(db, p, drill.category or "", drill.theme)
    if drill.kind in ("save_offer", "save_retained", "save_lost"):
        kept = {"save_offer": None, "save_retained": True, "save_lost": False}[drill.kind]
        return saves.ticket_ids(db, p, drill.window_days, drill.group, retained=kept, actor=drill.actor, now=now)
    if drill.kind == "policy":
        return policy_pack.ticket_ids(db, drill.policy_id or 0, p, drill.step or "covered",
                                      window_days=drill.window_days, now=now)
    if drill.kind in ("churn", "churned"):
        groups, _ = first_tickets(db, p, drill.window_days, now or clock.now_iso())
        ids = groups.get(drill.group or "cycle1", [])
        if drill.kind == "churned":
            churned = set(groups["churned"])
            ids = [i for i in ids if i in churned]
        return sorted(ids)
    raise ValueError(f"unknown drill-down {drill.kind!r}")
