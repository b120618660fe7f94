"""The quarterly relations report as a PDF: the three gaps with their
charts, the policy changes of the period and the open proposals.

Rendered with Qt (QTextDocument + QPdfWriter), so it needs a
QApplication; ``amends report`` makes an offscreen one. The charts are the
Review's (ui/review/charts.py) painted by the chart module straight into
the PDF as vector paths and real text: the document keeps a box of the
right size for each (:func:`place_charts`), and :func:`draw_report` paints
the charts into those boxes on the PDF's own painter, page by page.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QCoreApplication, QIODevice, QMarginsF, QRectF, QSizeF
from PySide6.QtGui import (
    QFont,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextBlock,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextFrame,
    QTextFrameFormat,
    QTextLength,
    QTextTableFormat,
)

from amends import __version__
from amends.core import clock, insights, output_files, policy_history, proposals
from amends.core.insights.period import Period
from amends.core.store import Database
from amends.core.vocabulary import OFFER_KINDS, STEP_TYPES, category_name
from amends.ui import report_relations
from amends.ui.common.charts import Chart, ChartStyle, paint
from amends.ui.report_relations import html_table
from amends.ui.review import charts

e = html.escape
RESOLUTION = 150
#: a chart's height as a share of its width
ASPECT = 0.42
STYLE = """
body { font-family: sans-serif; font-size: 8pt; color: #222; }
h1 { font-size: 18pt; color: #2f6f5e; margin-bottom: 0; }
h2 { font-size: 13pt; color: #2f6f5e; margin-top: 18px; border-bottom: 1px solid #2f6f5e; }
table { border-collapse: collapse; }
th { background: #e8eef7; text-align: left; }
td, th { padding: 3px 6px; border: 1px solid #ccd; }
.flag { color: #c0392b; font-weight: bold; }
.muted { color: #666; }
"""


def satisfaction_html(figures: dict) -> str:
    """Surveys sent in the period and what customers answered (issue 17.5)."""
    head = "<h2>Satisfaction (surveys sent)</h2>"
    if not figures.get("answered"):
        return head + f"<p>{figures.get('sent', 0)} surveys sent, no answer yet.</p>"
    rows = []
    for key, label in (("by_category", "Category"), ("by_policy_version", "Policy version"), ("by_person", "Person")):
        name = key.removeprefix("by_")
        rows += [[e(label), e(category_name(r[name]) if name == "category" else r[name]), str(r["answered"]),
                  f"{r['average']:.1f}", f"{r['satisfied']:.0%}"] for r in figures.get(key, [])]
    return (head + f"<p>{figures['sent']} sent, {figures['answered']} answered ({figures['response_rate']:.0%}); "
            f"average <b>{figures['average']:.1f}</b> of 5, {figures['satisfied']:.0%} said 4 or 5.</p>"
            + html_table(["By", "Which", "Answers", "Average (1–5)", "4 or 5"], rows))


def placeholder(name: str) -> str:
    """Where a chart goes in the report's HTML (replaced by the chart object)."""
    return f"{{{{chart:{name}}}}}"


def build_html(db: Database, data: dict, period: Period) -> tuple[str, dict[str, Chart]]:
    """The report as HTML plus the charts it places (by name, see :func:`placeholder`)."""
    recurring = insights.by_concern(data["recurring"])
    churn = data["cycle1_churn"]
    offers_by_actor, cost = data["offers"]["by_actor"], data["recovery_cost"]
    figures = {"recurring": charts.recurring_chart(recurring), "trend": charts.trend_chart(recurring),
               "offers_percent": charts.offers_chart(offers_by_actor, cost, "percent_next_cycle"),
               "offers_credit": charts.offers_chart(offers_by_actor, cost, "account_credit"),
               "churn": charts.churn_chart(churn), "cost": charts.cost_chart(cost)}

    def chart(name: str) -> str:
        return f"<p>{placeholder(name)}</p>"

    flagged = [r for r in recurring if r["flag"]]
    parts = [f"<h1>Quarterly relations report</h1><p class='muted'>{e(period.label())} · generated "
             f"{e(clock.now_iso()[:16].replace('T', ' '))} UTC · {e(db.path.name)} · Amends {__version__}</p>"]
    c1, later = churn["cycle1"], churn["later"]
    parts.append("<h2>In short</h2><ul>"
                 f"<li><b>{len(flagged)}</b> categories keep failing: "
                 f"{e(', '.join(category_name(r['category']) for r in flagged)) or 'none'}.</li>"
                 f"<li><b>{len(data['offers']['out_of_range'])}</b> offers were outside the approved range.</li>"
                 f"<li>Customers whose first ticket came in their first billing cycle churned at "
                 f"<b>{c1['rate']:.1%}</b> (95 % interval {c1['ci95'][0]:.1%}–{c1['ci95'][1]:.1%}, "
                 f"{c1['customers']} customers) vs <b>{later['rate']:.1%}</b> later "
                 f"({later['ci95'][0]:.1%}–{later['ci95'][1]:.1%}, {later['customers']}).</li>"
                 f"<li>Checklist completion {data['checklist_completion']:.0%}; "
                 f"{data['followups_overdue']} follow-ups overdue today.</li></ul>")

    parts.append(f"<h2>1. Recurring complaints with no fix</h2>{chart('recurring')}{chart('trend')}")
    parts.append(html_table(["", "Category", "Tickets", "Per 1,000 active", "Policy", "Last change", "Why"], [
        ["<span class='flag'>⚑</span>" if r["flag"] else "", e(category_name(r["category"])), f"{r['tickets']:,}",
         f"{r['per_1000_active']:.1f}", "covered" if r["covered_by_policy"] else "<b>none</b>",
         e((r["last_policy_change"] or "")[:10]), e(r["reason"])] for r in recurring]))

    offers = data["offers"]
    parts.append(f"<h2>2. Inconsistent recovery offers</h2>{chart('offers_percent')}{chart('offers_credit')}")
    parts.append(html_table(["Category", "Person", "Offers", "Min", "Median", "Max"], [
        [e(category_name(r["category"])), e(r["actor"]), str(r["count"]), f"{r['min']:g}", f"{r['median']:g}",
         f"{r['max']:g}"] for r in offers["by_actor"]]))
    parts.append("<p><b>Consistency</b> (share of offers within the approved range)</p>")
    parts.append(html_table(["Category", "Offers", "Within", "Score"], [
        [e(category_name(r["category"])), str(r["offers"]), str(r["within"]),
         "—" if r["score"] is None else f"{r['score']:.0%}"] for r in offers["consistency"]]))
    shown = offers["out_of_range"][:40]
    parts.append(f"<p><b>Offers outside the approved range</b> ({len(offers['out_of_range'])}"
                 f"{', first 40' if len(offers['out_of_range']) > 40 else ''})</p>")
    parts.append(html_table(["Ticket", "Person", "Category", "Offer", "Approved", "Override reason"], [
        [f"#{r['ticket']['id']}", e(r["actor"]), e(category_name(r["category"])),
         f"{r['value']:g} {e(OFFER_KINDS.get(r['kind'] or '', ''))}", f"{r['min']:g}–{r['max']:g}",
         e(r["override_reason"] or "")] for r in shown]))
    skipped = sorted(offers["skipped"], key=lambda r: -r["count"])[:30]
    if skipped:
        parts.append("<p><b>Steps skipped most often, by person</b></p>")
        parts.append(html_table(["Person", "Step", "Reason", "Times"], [
            [e(r["actor"]), e(STEP_TYPES.get(r["step"], r["step"])), e(r["reason"] or ""), str(r["count"])]
            for r in skipped]))

    parts.append(f"<h2>3. Cycle-1 churn</h2>{chart('churn')}")
    parts.append(html_table(["Customers whose first ticket was…", "Customers", "Churned", "Rate", "95 % interval"], [
        [e(label), str(churn[g]["customers"]), str(churn[g]["churned"]), f"{churn[g]['rate']:.1%}",
         f"{churn[g]['ci95'][0]:.1%} – {churn[g]['ci95'][1]:.1%}"] for g, label in charts.CHURN_GROUPS]))
    parts.append(f"<p class='muted'>Population: customers whose first ticket ever was opened in the period. Churned: "
                 f"the subscription in force then was cancelled within {churn['window_days']} days after that ticket "
                 "and none of theirs was left in force. Recovery completed: "
                 "the first ticket's resolution followed a policy with every step done. See docs/INSIGHTS.md.</p>")

    parts.append(f"<h2>Cost of recovery</h2>{chart('cost')}")
    parts.append(html_table(["Category", "Replacements", "Refunds", "Offers made", "Cost"], [
        [e(category_name(r["category"])), str(r["replacements"]), str(r["refunds"]),
         e(", ".join(f"{v['count']} × {OFFER_KINDS.get(k, k)}" for k, v in r["offers"].items())),
         e(insights.cost_label(r))] for r in data["recovery_cost"]]))
    parts.append("<p class='muted'>In money through the plan's price in force at each ticket: percent offers as that "
                 "share of a cycle, credits as their amount. ≈ marks estimates: replacements at the cost set per "
                 "category (amends replacement-cost), refunds at one cycle's price. See docs/INSIGHTS.md.</p>")

    parts.append(satisfaction_html(data.get("satisfaction") or {}))

    events = policy_history.events_between(db, period.start, period.end)
    parts.append("<h2>Policy changes in the period</h2>")
    parts.append(html_table(["When", "Policy", "What", "Who", "Why"], [
        [e(ev.at[:10]), e(ev.policy), e(ev.what), e(ev.by), e(ev.note)] for ev in events])
                 if events else "<p>No policy was published or reviewed in the period.</p>")
    open_items = proposals.list_proposals(db, "open")
    parts.append("<h2>Open proposals from the inbox</h2>")
    parts.append(html_table(["#", "Filed", "By", "Category", "Tickets", "Proposal"], [
        [str(p.id), e(p.created_at[:10]), e(p.created_by), e(category_name(p.category) if p.category else "—"),
         str(len(p.ticket_ids)), e(p.text)] for p in open_items])
                 if open_items else "<p>None.</p>")
    more, pictures = report_relations.parts(db, data, period, chart)  # issue 18: themes, save offers, fixes, policies
    parts += more
    figures.update(pictures)
    return f"<html><body>{''.join(parts)}</body></html>", figures


def place_charts(document: QTextDocument, figures: dict[str, Chart], width: float) -> list[tuple[QTextFrame, Chart]]:
    """Replace each placeholder by an empty, borderless table of the chart's
    size: Qt lays it out and paginates it with the text, and the chart is
    then painted into the table's box. (PySide cannot register a Python
    QTextObjectInterface, the usual way to draw inside a QTextDocument.)"""
    placed = []
    for name, chart in figures.items():
        found = document.find(placeholder(name))
        if found.isNull():
            continue
        found.removeSelectedText()
        table = QTextTableFormat()
        table.setBorder(0)
        table.setCellPadding(0)
        table.setCellSpacing(0)
        table.setMargin(0)
        table.setWidth(QTextLength(QTextLength.Type.PercentageLength, 100))
        table.setHeight(QTextLength(QTextLength.Type.FixedLength, width * ASPECT))
        placed.append((found.insertTable(1, 1, table), chart))
    return placed


def keep_charts_whole(document: QTextDocument, placed: list[tuple[QTextFrame, Chart]], page_height: float) -> None:
    """A chart that would run over a page break starts the next page, and
    takes the heading right above it along."""
    layout = document.documentLayout()
    for frame, _chart in placed:  # in document order: each fix moves the ones after it
        layout.documentSize()  # finishes the layout (it is lazy): frame boxes are only right after it
        box = layout.frameBoundingRect(frame)
        page = int(box.top() // page_height)
        heading = _heading_above(document, frame)
        orphan = heading is not None and int(layout.blockBoundingRect(heading).top() // page_height) != page
        if page == int((box.bottom() - 0.5) // page_height) and not orphan:
            continue
        if heading is not None:
            cursor = QTextCursor(heading)
            fmt = heading.blockFormat()
            fmt.setPageBreakPolicy(QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore)
            cursor.setBlockFormat(fmt)
        else:
            fmt = frame.frameFormat()
            fmt.setPageBreakPolicy(QTextFrameFormat.PageBreakFlag.PageBreak_AlwaysBefore)
            frame.setFrameFormat(fmt)
        # a changed format leaves the blocks before it half laid out: start over
        document.markContentsDirty(0, document.characterCount())


def _heading_above(document: QTextDocument, frame: QTextFrame) -> QTextBlock | None:
    """The heading just before a chart (only empty blocks between), if any."""
    block = document.findBlock(frame.firstPosition() - 1)
    while block.isValid() and not block.text().strip() and block.blockFormat().headingLevel() == 0:
        block = block.previous()
    return block if block.isValid() and block.blockFormat().headingLevel() > 0 else None


def draw_report(writer: QPdfWriter, body: str, figures: dict[str, Chart]) -> None:
    """Page by page: the text with QTextDocument.drawContents, then the
    charts on that page with the chart painter, as vectors and text."""
    size = writer.pageLayout().paintRectPixels(RESOLUTION).size()
    width, height = float(size.width()), float(size.height())
    document = QTextDocument()
    document.documentLayout().setPaintDevice(writer)  # fonts and widths in the PDF's own pixels
    document.setPageSize(QSizeF(width, height))
    document.setDefaultStyleSheet(STYLE)
    document.setHtml(body)
    placed = place_charts(document, figures, width - 2 * document.documentMargin())
    keep_charts_whole(document, placed, height)
    font = QFont(document.defaultFont())
    font.setPointSizeF(8)
    style = ChartStyle.light(font)  # paper is white whatever the screen's scheme
    layout = document.documentLayout()
    layout.documentSize()
    boxes = [(layout.frameBoundingRect(frame), chart) for frame, chart in placed]
    painter = QPainter(writer)
    try:
        for number in range(document.pageCount()):
            if number:
                writer.newPage()
            page = QRectF(0, number * height, width, height)
            painter.save()
            painter.translate(0, -page.top())
            document.drawContents(painter, page)
            for box, chart in boxes:
                if page.contains(box.center()):  # a little air before the table that follows
                    paint(painter, box.adjusted(0, 0, 0, -box.height() * 0.04), chart, style)
            painter.restore()
    finally:
        painter.end()


def write_report(db: Database, period: Period, out: str | Path,
                 settings: insights.Settings = insights.Settings(), data: dict | None = None, *,
                 force: bool = False) -> Path:
    """Write the PDF. ``data`` is the insights for ``period`` when they were
    computed already (the app computes them in a worker; drawing must happen
    on the UI thread). ``force`` replaces an existing file (after the save
    dialog's overwrite question); the database or any SQLite file never.
    The PDF is drawn in memory and put in place atomically, so a failed or
    killed write leaves the previous report."""
    target = output_files.refuse_target(out, force=force, database=db.path)
    data = data if data is not None else insights.compute(db, period, settings).to_json()
    body, figures = build_html(db, data, period)
    pdf = QByteArray()
    buffer = QBuffer(pdf)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setTitle(QCoreApplication.translate("Report", "Amends relations report {0}").format(period.label()))
    writer.setCreator(f"Amends {__version__}")
    writer.setResolution(RESOLUTION)
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                     QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter))
    draw_report(writer, body, figures)
    del writer  # finishes the PDF
    buffer.close()
    return output_files.write_bytes(target, pdf.data(), force=force, database=db.path)
