"""A page of the inbox is painted from what its first query read (issue 16:
request to painted ≤ 16 ms). Counted, not timed: the statements the model
runs while a real table paints it, on a real database file (sqlite3's trace
callback); benchmarks/run.py times it."""

from __future__ import annotations

from amends.core import drafts, tickets
from amends.ui.inbox.inbox_model import InboxModel
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QTableView

from tests.helpers import statements


def _statements(db, fn) -> list[str]:
    return statements(db, fn)


def _table(qtbot, model: InboxModel) -> QTableView:
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(1280, 800)
    view.show()
    qtbot.waitExposed(view)
    return view


def _paint(view: QTableView) -> None:
    """What the event loop does after a reset (the delayed layout), then a paint."""
    QApplication.processEvents()
    view.viewport().repaint()


def test_painting_a_page_reads_the_delivery_marks_once_not_per_row(qtbot, demo_db):
    """The marks are read with the page, in one query, and the paint reads
    nothing (it read them at the paint before: on a server a round trip
    inside the paint event)."""
    model = InboxModel(demo_db)
    view = _table(qtbot, model)
    asked = _statements(demo_db, lambda: model.set_query(tickets.InboxQuery(status="all")))
    painted = _statements(demo_db, lambda: (QApplication.processEvents(), view.viewport().repaint()))
    assert model.rowCount() >= 25
    marks = [s for s in asked if "FROM outbox" in s]
    assert len(marks) == 1, f"{len(marks)} delivery queries for one page (one per row)"
    assert painted == [], painted

    # A draft saved on a shown ticket: its row says so once it is refreshed, the others are not read again.
    shown = model.ticket_id(3)
    drafts.save(demo_db, shown, "reply", "Sorry about the box")
    model.refresh_ticket(shown)
    column = model.column_of("now")
    again = _statements(demo_db, lambda: [model.data(model.index(r, column)) for r in range(25)])
    assert model.data(model.index(3, column)) == "reply draft"
    assert all(model.data(model.index(r, column)) == "" for r in range(25) if r != 3)
    assert not [s for s in again if "FROM outbox" in s], "the block's marks were read again"


def test_a_repaint_reads_no_sql_after_set_query_nor_after_paging_on(qtbot, demo_db):
    """What a page paints is read with the page (rows, tags, delivery marks):
    a paint never waits for the database, also for a page fetched on scrolling."""
    model = InboxModel(demo_db, page_size=50)
    view = _table(qtbot, model)
    for query in (tickets.InboxQuery(), tickets.InboxQuery(status="all", sort="priority"),
                  tickets.InboxQuery(status="all", category="billing")):
        model.set_query(query)
        assert _statements(demo_db, lambda: _paint(view)) == [], query
    model.set_query(tickets.InboxQuery(status="all"))
    _paint(view)
    model.fetchMore()
    view.scrollToBottom()
    assert model.rowCount() > 50 and view.rowAt(10) > 50  # the fetched page is on screen
    assert _statements(demo_db, lambda: _paint(view)) == []


class _CountingModel(InboxModel):
    """The inbox model, counting the calls Qt makes into ``data``."""

    def __init__(self, db) -> None:
        super().__init__(db)
        self.data_calls = self.cells = 0

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        self.data_calls += 1
        return super().data(index, role)

    def multiData(self, index, roleDataSpan) -> None:
        self.cells += 1
        super().multiData(index, roleDataSpan)


def test_a_painted_cell_is_one_call_into_the_model_not_one_per_role(qtbot, demo_db):
    """Qt's delegate asks seven roles of every painted cell; answered in one
    multiData call per cell from the row's precomputed line, ``data`` is not
    called while a page is painted (it was called seven times per cell)."""
    model = _CountingModel(demo_db)
    view = _table(qtbot, model)
    model.set_query(tickets.InboxQuery(status="all"))
    _paint(view)
    model.data_calls = model.cells = 0
    model.set_query(tickets.InboxQuery(status="all", sort="created"))
    _paint(view)
    assert model.cells >= 25 * model.columnCount()  # a page of cells was painted
    assert model.data_calls == 0, f"{model.data_calls} calls into data() for {model.cells} painted cells"


def test_the_delegate_asks_the_roles_multi_data_expects_in_its_order(qtbot, demo_db):
    """multiData answers QStyledItemDelegate's seven roles by position: if a
    Qt release asks other roles or another order, this says so (the model then
    answers role by role, correct but slower)."""
    from amends.ui.inbox.inbox_model import DELEGATE_ROLES

    seen: list[tuple[int, ...]] = []

    class Recording(InboxModel):
        def multiData(self, index, roleDataSpan):
            seen.append(tuple(r.role() for r in roleDataSpan))
            super().multiData(index, roleDataSpan)

    model = Recording(demo_db)
    view = _table(qtbot, model)
    model.set_query(tickets.InboxQuery(status="all"))
    _paint(view)
    assert len(seen) >= 25 * model.columnCount() and set(seen) == {DELEGATE_ROLES}


def test_what_the_delegate_is_given_is_what_data_answers(qtbot, demo_db):
    """Every painted cell (bold unread subjects, someone else here, tag
    colours, right-aligned numbers, the due view's columns) gets from the
    one multiData call exactly what data() answers role by role."""
    from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

    model = InboxModel(demo_db)
    view = _table(qtbot, model)
    delegate = QStyledItemDelegate()
    model.set_query(tickets.InboxQuery(status="all"))
    model.set_presence({model.ticket_id(2): [type("P", (), {"actor": "Ben", "activity": "viewing"})()]})
    checked = set()
    for query in (tickets.InboxQuery(status="all"), tickets.InboxQuery(view="due_followups", status="all")):
        if query.view != "all":
            model.set_query(query)
        for row in range(min(model.rowCount(), 30)):
            for column in range(model.columnCount()):
                index = model.index(row, column)
                option = QStyleOptionViewItem()
                option.font = view.font()
                delegate.initStyleOption(option, index)
                assert option.text == (model.data(index) or ""), (row, column)
                font = model.data(index, Qt.ItemDataRole.FontRole)
                assert option.font.bold() == (font is not None and font.bold()), (row, column)
                aligned = model.data(index, Qt.ItemDataRole.TextAlignmentRole)
                if aligned is not None:
                    assert int(option.displayAlignment.value) == aligned
                    checked.add("aligned")
                colour = model.data(index, Qt.ItemDataRole.DecorationRole)
                has_icon = bool(option.features & QStyleOptionViewItem.ViewItemFeature.HasDecoration)
                assert has_icon == (colour is not None), (row, column)
                checked.update({"bold"} if font is not None else set(), {"icon"} if colour is not None else set())
    assert checked == {"aligned", "bold", "icon"}


def test_a_tag_colour_is_made_once_per_row_not_per_call(qtbot, demo_db):
    """The decoration of the tags cell is the row's colour, made once with
    its line (a QColor was built on every call, i.e. on every paint)."""
    model = InboxModel(demo_db)
    model.set_query(tickets.InboxQuery(status="all"))
    column = model.column_of("tags")
    tagged = next(r for r in range(model.rowCount()) if model.data(model.index(r, column)))
    index = model.index(tagged, column)
    first = model.data(index, Qt.ItemDataRole.DecorationRole)
    assert first is not None and first is model.data(index, Qt.ItemDataRole.DecorationRole)


def _qt_calls(fn) -> dict[str, int]:
    """The calls into Qt's bindings ``fn`` makes, by name (sys.setprofile's
    c_call events of Q... methods: each crossing, with the wrappers it makes
    and frees, costs far more than the Python around it)."""
    import sys
    from collections import Counter

    seen: Counter[str] = Counter()

    def profile(frame, event, arg) -> None:
        name = getattr(arg, "__qualname__", "") if event == "c_call" else ""
        if name.startswith("Q"):
            seen[name] += 1

    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return dict(seen)


class _CellCalls(InboxModel):
    """Counts the compiled calls each painted cell's multiData makes."""

    def __init__(self, db) -> None:
        super().__init__(db)
        self.counting, self.cells, self.calls = False, 0, 0

    def multiData(self, index, roleDataSpan) -> None:
        if not self.counting:
            super().multiData(index, roleDataSpan)
            return
        self.cells += 1
        self.calls += sum(_qt_calls(lambda: super(_CellCalls, self).multiData(index, roleDataSpan)).values())


def test_the_model_keeps_no_wrapper_of_the_delegates_slots(qtbot, demo_db):
    """A QModelRoleData wrapper kept past multiData (PAINT2 kept the delegate's
    slots to skip checking their roles) stays registered in the bindings for
    its address; an object Qt later made there came back to Python as that
    wrapper ("'QModelRoleData' object has no attribute 'connect'" on a tray's
    signal, then segmentation faults in the UI tests). After a paint nothing
    the model holds is one."""
    import gc

    from PySide6.QtCore import QModelRoleData

    model = InboxModel(demo_db)
    view = _table(qtbot, model)
    model.set_query(tickets.InboxQuery(status="all"))
    _paint(view)
    view.viewport().repaint()

    def held(value, depth: int = 0) -> bool:
        if isinstance(value, QModelRoleData):
            return True
        if depth < 3 and isinstance(value, (tuple, list, dict)):
            items = value.values() if isinstance(value, dict) else value
            return any(held(v, depth + 1) for v in items)
        return False

    assert not [k for k, v in vars(model).items() if held(v)]
    assert not [r for r in gc.get_referents(model) if held(r)]


def test_showing_a_query_translates_no_header_again(qtbot, demo_db):
    """The headers and the words of the lines are translated once per model
    (the language is set before any window opens), not on every filter
    change: thirteen translate calls were a tenth of set_query's own time."""
    model = InboxModel(demo_db)
    view = _table(qtbot, model)
    model.set_query(tickets.InboxQuery(status="all"))
    _paint(view)
    for query in (tickets.InboxQuery(), tickets.InboxQuery(view="due_followups", status="all"),
                  tickets.InboxQuery(status="all", sort="created")):
        calls = _qt_calls(lambda q=query: model.set_query(q))
        assert not [name for name in calls if name.endswith("translate")], calls
        last = model.header_labels.model.headerData(model.columnCount() - 1, Qt.Orientation.Horizontal)
        assert last == ("Due" if query.view == "due_followups" else "Waiting")
    assert model.header_labels.model.headerData(0, Qt.Orientation.Horizontal) == "#"


def test_a_page_of_waits_is_marked_overdue_without_walking_the_hours_per_row(qtbot, demo_db, monkeypatch):
    """Whether a wait is overdue is one comparison with the latest late start
    of its target, worked out once per showing and target (as the Overdue
    view's SQL does): each waiting row walked the business hours to its due
    time before."""
    from amends.core.business_hours import BusinessHours

    walks = []
    real_add = BusinessHours.add
    monkeypatch.setattr(BusinessHours, "add", lambda self, start, duration: walks.append(1) or
                        real_add(self, start, duration))
    model = InboxModel(demo_db)
    view = _table(qtbot, model)
    model.set_query(tickets.InboxQuery(status="all"))
    _paint(view)
    waiting = sum(1 for r in range(25) if model.item(r).waiting_since is not None and model.item(r).status != "resolved")
    overdue = sum(1 for r in range(25) if "overdue" in (model.data(model.index(r, model.column_of("waiting"))) or ""))
    assert waiting >= 5 and overdue >= 1
    assert walks == [], f"{len(walks)} walks of the business hours for {waiting} waiting rows"
