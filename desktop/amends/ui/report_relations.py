"""The quarterly report's issue-18 parts: themes inside each category, what
save offers save (chart and bands), upstream fixes measured before and
after, and one page per policy reviewed for the period (its pack, from
core/insights/policy_pack.py, as the Policies pane shows it).

Kept apart from report.py so that the report's own layout can change
without touching these; report.build_html appends what ``parts`` returns."""

from __future__ import annotations

import html
from collections.abc import Callable

from amends.core import money, policy_decisions, upstream
from amends.core.insights import policy_pack
from amends.core.insights.period import Period
from amends.core.store import Database
from amends.core.vocabulary import category_name
from amends.ui.common.charts import Chart
from amends.ui.policies.policy_review import pack_html
from amends.ui.review import charts

e = html.escape


def html_table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table width='100%' cellspacing='0'><tr>{head}</tr>{body}</table>"


def parts(db: Database, data: dict, period: Period, slot: Callable[[str], str], *,
          now: str | None = None) -> tuple[list[str], dict[str, Chart]]:
    """HTML parts and the charts they place (``slot(name)`` is the
    report's placeholder for a chart, drawn as vectors by report.py)."""
    images: dict[str, Chart] = {}
    out: list[str] = []
    themes = data.get("themes") or []
    out.append("<h2>Themes inside each category</h2>")
    out.append(html_table(["Category", "Theme", "Tickets", "Previous period", "Covered"], [
        [e(category_name(t["category"])), e(t["theme"]), f"{t['tickets']:,}", f"{t['previous']:,}",
         "yes" if t["covered"] else "<b>no</b>"] for t in themes])
               if themes else "<p>No phrase was shared by enough tickets of one category.</p>")
    out.append("<p class='muted'>Phrases many tickets of a category share (subjects and first customer messages), "
               "against the store's other categories; counts over 2,000 tickets per category are estimated "
               "from a fixed sample. See docs/INSIGHTS.md.</p>")
    saved = data.get("save_offers")
    if saved:
        bands = saved["bands"]
        images["saves"] = charts.save_offers_chart(bands, saved["window_days"])
        out.append(f"<h2>What save offers save</h2>{slot('saves')}")
        out.append(html_table(["Offered", "Customers", "Still subscribed", "Rate", "95 % interval",
                           "Cost per retained"], [
            [e(b["band"]), str(b["customers"]), str(b["retained"]), f"{b['rate']:.1%}",
             f"{b['ci'][0]:.1%} – {b['ci'][1]:.1%}",
             "—" if b["cost"]["amount"] is None else
             e(f"{b['cost']['amount']:,.{money.exponent(b['cost']['currency'])}f} {b['cost']['currency'] or ''}")]
            for b in bands if b["customers"]]))
        out.append(f"<p class='muted'>Customers with a cancellation ticket (or any save offer) opened in the period, "
                   f"once each; still subscribed = a subscription in force {saved['window_days']} days after that "
                   "ticket. Cost = every offer made in the band ÷ the customers still subscribed.</p>")
    fixes = upstream.measured(db, data.get("thresholds", {}).get("window_days", 90), now=now)
    if fixes:
        out.append("<h2>Upstream fixes</h2>")
        out.append(html_table(["From", "Scope", "What", "Before → after (per 1,000)", "Verdict"], [
            [e(m.change.effective_at[:10]), e(m.change.scope), e(m.change.what),
             f"{m.rate_before:.2f} → {m.rate_after:.2f}", ("<span class='flag'>⚑</span> " if m.flag else "")
             + e(m.reason)] for m in fixes]))
    for policy_id in policy_decisions.reviewed_in(db, period):
        pack = policy_pack.pack(db, policy_id, period, now=now)
        out.append(f"<div style='page-break-before: always'>{pack_html(pack)}</div>")
    return out, images
