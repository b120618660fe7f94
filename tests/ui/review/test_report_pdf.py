"""The quarterly PDF carries the Review's charts as vectors: no picture in
the file, and the charts' words (titles, axis units, category and month
labels) are text a reader can select and search. The PDF is read back
here by a few lines of parsing (Qt writes each glyph with its font's
ToUnicode map), so no PDF library is needed."""

from __future__ import annotations

import re
import unicodedata
import zlib
from datetime import date

from amends.core import insights
from amends.core.insights.period import Period
from amends.ui.report import build_html, write_report

PERIOD = Period(date(2026, 1, 1), date(2026, 9, 30))


def _objects(data: bytes) -> dict[int, bytes]:
    return {int(m.group(1)): m.group(2) for m in re.finditer(rb"(\d+) 0 obj(.*?)endobj", data, re.S)}


def _stream(obj: bytes, objects: dict[int, bytes]) -> bytes:
    """A stream's bytes by its /Length (direct or an object of its own), inflated."""
    start = re.search(rb"stream\r?\n", obj)
    length = re.search(rb"/Length (\d+)( 0 R)?", obj)
    assert start is not None and length is not None
    size = int(objects[int(length.group(1))].strip()) if length.group(2) else int(length.group(1))
    data = obj[start.end():start.end() + size]
    return zlib.decompress(data) if b"/FlateDecode" in obj[:start.start()] else data


def _cmap(text: bytes) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", text, re.S):
        for low, high, target in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(\[[^\]]*\]|<[0-9A-Fa-f]+>)", block):
            start, end = int(low, 16), int(high, 16)
            if target.startswith(b"["):
                for offset, code in enumerate(re.findall(rb"<([0-9A-Fa-f]+)>", target)):
                    mapping[start + offset] = bytes.fromhex(code.decode()).decode("utf-16-be")
            else:
                first = int(target[1:-1], 16)
                for code in range(start, end + 1):
                    mapping[code] = chr(first + code - start)
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", text, re.S):
        for code, target in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[int(code, 16)] = bytes.fromhex(target.decode()).decode("utf-16-be")
    return mapping


def pdf_text_runs(data: bytes) -> list[str]:
    """Every BT…ET text run of every page, decoded through its font's map
    (spaces are positioning in Qt's PDFs, so runs come without them)."""
    objects = _objects(data)
    maps = {number: _cmap(_stream(objects[int(ref)], objects))
            for number, obj in objects.items()
            for ref in re.findall(rb"/ToUnicode (\d+) 0 R", obj)}
    runs = []
    for obj in objects.values():
        contents = re.search(rb"/Type /Page\b.*?/Contents (\d+) 0 R", obj, re.S)
        if contents is None:
            continue
        stream = _stream(objects[int(contents.group(1))], objects)
        for block in re.findall(rb"BT(.*?)ET", stream, re.S):
            font: dict[int, str] = {}
            text = []
            for name, glyphs in re.findall(rb"/F(\d+) [\d.]+ Tf|<([0-9A-Fa-f]+)> Tj", block):
                if name:
                    font = maps.get(int(name), {})
                for i in range(0, len(glyphs), 4):
                    text.append(font.get(int(glyphs[i:i + 4], 16), "?"))
            runs.append("".join(text))
    return runs


def squeeze(text: str) -> str:
    """Without white space (Qt writes a space as a tab glyph or as positioning)
    and ligatures as letters (ﬂ → fl)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def test_the_report_draws_its_charts_as_vectors_with_their_words_as_text(demo_db, tmp_path, qapp):
    data = insights.compute(demo_db, PERIOD).to_json()
    target = write_report(demo_db, PERIOD, tmp_path / "q3.pdf", data=data)
    pdf = target.read_bytes()
    assert pdf.startswith(b"%PDF")
    assert b"/Subtype /Image" not in pdf and b"/Subtype/Image" not in pdf, "no picture: the charts are paths"
    runs = {squeeze(run) for run in pdf_text_runs(pdf)}
    _html, figures = build_html(demo_db, data, PERIOD)
    from amends.ui.common.charts import month_label
    from amends.ui.common.charts.painter import axis_title

    for name, chart in figures.items():
        # words only the charts have: their titles and axis titles, each one run of text
        assert squeeze(chart.title) in runs, name
        assert squeeze(axis_title(chart)) in runs, name
        assert squeeze(chart.x_title) in runs, name
    months = [month_label(m["month"]) for m in data["recurring"][0]["monthly"]]
    assert months and all(squeeze(m) in runs for m in months), "the trend's month labels"
    assert "Churnrate(%)" in runs


def test_a_chart_never_runs_over_a_page_break_and_keeps_its_heading(qapp):
    from amends.ui.common.charts import Chart, Series, count
    from amends.ui.report import STYLE, keep_charts_whole, place_charts
    from PySide6.QtCore import QSizeF
    from PySide6.QtGui import QTextDocument

    chart = Chart("t", ("a",), (Series("s", (1,)),), count(), "x")
    page = 600.0
    for filler in range(5, 30):
        document = QTextDocument()
        document.setPageSize(QSizeF(500, page))
        document.setDefaultStyleSheet(STYLE)
        document.setHtml("<p>filler</p>" * filler + "<h2>Head</h2><p>{{chart:a}}</p><p>after</p>")
        placed = place_charts(document, {"a": chart}, 480)
        keep_charts_whole(document, placed, page)
        layout = document.documentLayout()
        layout.documentSize()
        box = layout.frameBoundingRect(placed[0][0])
        assert int(box.top() // page) == int((box.bottom() - 0.5) // page), filler
        head = document.find("Head").block()
        assert int(layout.blockBoundingRect(head).top() // page) == int(box.top() // page), filler
