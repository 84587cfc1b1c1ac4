"""The coding view: browse statements a page at a time, read one in context, recode it.

(Core modules are imported inside methods: they pull in sqlite-utils and its numpy,
which would otherwise delay the app's first paint.)

The table never holds more than one page (the database may hold 100k statements): a
page is read in a worker with its own connection. A filter line takes the same words
as the chat ("delivery", "P03", "stage:onboarding pain:yes", "cluster:2"). Recoding
writes a human code at once through the core (`set_human_code`), shown in magenta with
"✎"; `u` undoes the last change.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from voicemap.tui.detail import HUMAN_STYLE, human_dimensions, statement_detail
from voicemap.tui.pickers import NO_VALUE, CodePicker, CodesPicker
from voicemap.tui.safe import clipped, plain

PAGE_SIZE = 100
COLUMNS = (("id", "#", 5), ("who", "Who", 9), ("stage", "Stage", 11), ("touchpoint", "Touchpoints", 14),
           ("emotion", "Emotions", 12), ("sentiment", "Sent", 4), ("pain", "Pain", 11), ("text", "Statement", 0))
NARROW_COLUMNS = ("id", "who", "stage", "sentiment", "pain", "text")  # the detail pane shows the rest
WIDE = 150  # from this width: every column, and the detail pane beside the table
SENTIMENT_SHORT = {"negative": "neg", "positive": "pos", "neutral": "neu", "mixed": "mix"}
SENTIMENTS = [("negative", "Negative"), ("neutral", "Neutral"), ("positive", "Positive"), ("mixed", "Mixed")]


@dataclass
class Page:
    rows: list[dict]
    human: dict[int, set[str]]
    total: int
    number: int
    label: str


class CodingView(Vertical):
    DEFAULT_CSS = """
    CodingView { height: 1fr; }
    CodingView #filter { margin: 0; }
    CodingView #filter-info { height: 1; padding: 0 1; color: $text-muted; }
    CodingView #browser { height: 1fr; }
    CodingView #statements { height: 1fr; min-height: 5; }
    CodingView #detail { height: 45%; min-height: 6; border-top: solid $primary-darken-2; padding: 0 1; }
    CodingView.-wide #browser { layout: horizontal; }
    CodingView.-wide #statements { width: 66%; height: 1fr; }
    CodingView.-wide #detail { width: 1fr; height: 1fr; border-top: none; border-left: solid $primary-darken-2; }
    """
    BINDINGS = [
        Binding("s", "recode('stage')", "Stage"),
        Binding("t", "recode('touchpoint')", "Touchpoints"),
        Binding("e", "recode('emotion')", "Emotions"),
        Binding("p", "toggle_pain", "Pain"),
        Binding("c", "recode('pain_category')", "Category"),
        Binding("v", "recode('sentiment')", "Sentiment"),
        Binding("u,ctrl+z", "undo", "Undo"),
        Binding("slash", "focus_filter", "Filter"),
        Binding("left_square_bracket", "page(-1)", "Prev page"),
        Binding("right_square_bracket", "page(1)", "Next page"),
    ]

    class Changed(Message):
        """A human code was stored or undone (previews and agreement are now stale)."""

    class PageLoaded(Message):
        def __init__(self, page: Page) -> None:
            super().__init__()
            self.page = page

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.page_number = 0
        self.flt = None  # a StatementFilter; None is every statement
        self.filter_label = "all statements"
        self.rows: dict[int, dict] = {}
        self.total = 0
        self.loaded = False
        self.columns: list[tuple[str, str, int]] = []
        self.keep_cursor = False

    def compose(self) -> ComposeResult:
        yield Input(placeholder="Filter: words, P03, stage:onboarding pain:yes touchpoint:delivery cluster:2 — enter",
                    id="filter")
        yield Static(id="filter-info")
        with Container(id="browser"):
            yield DataTable(id="statements", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="detail"):
                yield Static(id="detail-body")

    def on_mount(self) -> None:
        self._fit_columns(self.app.size.width)

    def on_resize(self) -> None:
        if self.size.width and self._fit_columns(self.size.width) and self.loaded:
            self.reload()  # the rows were cleared with the columns

    def _fit_columns(self, width: int) -> bool:
        """Lay out the columns that fit (every code column when wide); True when they changed."""
        wide = width >= WIDE
        self.set_class(wide, "-wide")
        chosen = [c for c in COLUMNS if wide or c[0] in NARROW_COLUMNS]
        table_width = int(width * 0.66) if wide else width
        fixed = sum(w + 2 for _, _, w in chosen if w)
        text = max(24, table_width - fixed - 4)
        chosen = [(key, title, w or text) for key, title, w in chosen]
        if chosen == self.columns:
            return False
        self.columns = chosen
        table = self.query_one(DataTable)
        table.clear(columns=True)
        for key, title, w in chosen:
            table.add_column(title, key=key, width=w)
        return True

    @property
    def table(self) -> DataTable:
        return self.query_one("#statements", DataTable)

    # -- loading ---------------------------------------------------------------------------

    def show(self, flt=None, label: str | None = None) -> None:
        """Load page one of a filter (None keeps the current one)."""
        if flt is not None:
            self.flt, self.filter_label = flt, label or "filtered"
        self.page_number = 0
        self.reload(keep_cursor=False)

    def reload(self, keep_cursor: bool = True) -> None:
        """Read the current page again (after an import, the cursor stays where it was)."""
        self.keep_cursor = keep_cursor
        self.loaded = True
        self.query_one("#filter-info", Static).update(plain(f"{self.filter_label} · loading…"))
        self.load_page(self.flt, self.page_number, self.filter_label)

    @work(thread=True, exclusive=True, exit_on_error=False, group="page", description="Loading statements")
    def load_page(self, flt, number: int, label: str) -> None:
        from voicemap.store import open_db
        from voicemap.store.query import count_statements, select_statements

        db = open_db(self.app.db_path)
        try:
            total = count_statements(db, flt)
            number = max(0, min(number, (total - 1) // PAGE_SIZE)) if total else 0
            rows = list(select_statements(db, flt, order="s.id", limit=PAGE_SIZE, offset=number * PAGE_SIZE))
            human = human_dimensions(db, [r["id"] for r in rows])
        finally:
            db.conn.close()
        self.post_message(self.PageLoaded(Page(rows, human, total, number, label)))

    @on(PageLoaded)
    def page_loaded(self, message: PageLoaded) -> None:
        page = message.page
        self.page_number, self.total = page.number, page.total
        table = self.table
        keep = table.cursor_row if table.row_count and self.keep_cursor else 0
        table.clear()
        self.rows = {row["id"]: row for row in page.rows}
        for row in page.rows:
            table.add_row(*self._cells(row, page.human.get(row["id"], set())), key=str(row["id"]))
        pages = max(1, -(-page.total // PAGE_SIZE))
        first = page.number * PAGE_SIZE + 1 if page.total else 0
        last = page.number * PAGE_SIZE + len(page.rows)
        self.query_one("#filter-info", Static).update(plain(
            f"{page.label} · {first:,}–{last:,} of {page.total:,} · page {page.number + 1}/{pages} · "
            f"[ ] pages · ✎ = human code"))
        if page.rows:
            table.move_cursor(row=min(keep, len(page.rows) - 1))
            self._show_detail(page.rows[min(keep, len(page.rows) - 1)]["id"])
        else:
            self.query_one("#detail-body", Static).update(plain("No statements match this filter."))

    def _cells(self, row: dict, human: set[str]) -> list[Text]:
        """The visible columns of one statement; human codes in magenta with ✎."""
        codebook = self.app.codebook

        def coded(dimension: str, value: str, width: int) -> Text:
            if dimension in human:
                return clipped("✎" + (value or "none"), width, HUMAN_STYLE)
            return clipped(value, width)

        labels = lambda dim, values: ", ".join(codebook.label(dim, v) for v in values)  # noqa: E731
        pain = ""
        if row["pain"]:
            pain = codebook.label("pain_category", row["pain_category"]) if row["pain_category"] else "yes"
        pain_human = "pain" in human or "pain_category" in human
        who = row.get("pseudonym") or row.get("participant") or row.get("speaker") or ""
        width = {key: w for key, _, w in self.columns}
        cells = {
            "id": Text(str(row["id"]), style="dim"),
            "who": clipped(who, width.get("who", 9)),
            "stage": coded("stage", codebook.label("stage", row["stage"]) if row["stage"] else "", width.get("stage", 0)),
            "touchpoint": coded("touchpoint", labels("touchpoint", row["touchpoints"]), width.get("touchpoint", 0)),
            "emotion": coded("emotion", labels("emotion", row["emotions"]), width.get("emotion", 0)),
            "sentiment": coded("sentiment", SENTIMENT_SHORT.get(row["sentiment"] or "", row["sentiment"] or ""),
                               width.get("sentiment", 0)),
            "pain": clipped(("✎" if pain_human else "") + (pain or ("no" if pain_human else "")),
                            width.get("pain", 0), HUMAN_STYLE if pain_human else ""),
            "text": clipped(row["text"], width.get("text", 40)),
        }
        return [cells[key] for key, _, _ in self.columns]

    # -- the selected statement --------------------------------------------------------------

    def current_id(self) -> int | None:
        table = self.table
        if not table.row_count:
            return None
        row_key, _ = table.coordinate_to_cell_key((table.cursor_row, 0))
        return int(row_key.value)

    @on(DataTable.RowHighlighted, "#statements")
    def highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value is not None:
            self._show_detail(int(event.row_key.value))

    def _show_detail(self, statement_id: int) -> None:
        row = self.rows.get(statement_id)
        if row is None:
            return
        # A short pane (a 30-line terminal) shows one turn either side, so the statement itself stays in view.
        turns = 1 if self.query_one("#detail").size.height < 14 else 2
        self.query_one("#detail-body", Static).update(
            statement_detail(self.app.db, row, self.app.codebook, before=turns, after=turns))

    def refresh_statement(self, statement_id: int) -> None:
        """Re-read one statement after a code change and redraw its row and the detail."""
        from voicemap.store.query import StatementFilter, select_statements

        rows = list(select_statements(self.app.db, StatementFilter(statement_ids=[statement_id])))
        if not rows or statement_id not in self.rows:
            return
        self.rows[statement_id] = rows[0]
        human = human_dimensions(self.app.db, [statement_id]).get(statement_id, set())
        cells = self._cells(rows[0], human)
        for (key, _, _), cell in zip(self.columns, cells):
            self.table.update_cell(str(statement_id), key, cell)
        if self.current_id() == statement_id:
            self._show_detail(statement_id)

    # -- recoding ----------------------------------------------------------------------------

    def _store(self, statement_id: int, dimension: str, values) -> bool:
        from voicemap.store.coding import CodingError, default_coder, set_human_code

        try:
            set_human_code(self.app.db, statement_id, dimension, values, coder=default_coder())
        except (CodingError, sqlite3.OperationalError) as exc:
            self.app.notify(f"Could not store the code: {exc}", severity="error")
            return False
        return True

    def _after_change(self, statement_id: int, message: str) -> None:
        self.refresh_statement(statement_id)
        self.app.notify(message, title="Human code stored", timeout=3)
        self.post_message(self.Changed())

    def action_recode(self, dimension: str) -> None:
        statement_id = self.current_id()
        if statement_id is None:
            return
        row = self.rows[statement_id]
        codebook = self.app.codebook
        if dimension in ("touchpoint", "emotion"):
            current = row["touchpoints" if dimension == "touchpoint" else "emotions"]
            choices = [(c.id, c.label) for c in codebook.codes(dimension)]
            screen = CodesPicker(f"{'Touchpoints' if dimension == 'touchpoint' else 'Emotions'} of #{statement_id}",
                                 choices, current)
        elif dimension == "sentiment":
            screen = CodePicker(f"Sentiment of #{statement_id}", SENTIMENTS, row["sentiment"], allow_none=False)
        else:
            choices = [(c.id, c.label) for c in codebook.codes(dimension)]
            title = "Stage" if dimension == "stage" else "Pain category"
            screen = CodePicker(f"{title} of #{statement_id}", choices, row[dimension])

        def chosen(result) -> None:
            if result is None:
                return
            values = [] if result == NO_VALUE else result
            if dimension == "pain_category" and values and not self.rows[statement_id]["pain"]:
                if not self._store(statement_id, "pain", "yes"):
                    return
            if self._store(statement_id, dimension, values):
                shown = ", ".join(codebook.label(dimension, v) if dimension != "sentiment" else v
                                  for v in ([values] if isinstance(values, str) else values)) or "none"
                self._after_change(statement_id, f"#{statement_id} {dimension.replace('_', ' ')} → {shown}")

        self.app.push_screen(screen, chosen)

    def action_toggle_pain(self) -> None:
        statement_id = self.current_id()
        if statement_id is None:
            return
        new = "no" if self.rows[statement_id]["pain"] else "yes"
        if self._store(statement_id, "pain", new):
            self._after_change(statement_id, f"#{statement_id} pain point → {new}")

    def action_undo(self) -> None:
        from voicemap.store.coding import default_coder, undo_last_correction

        try:
            correction = undo_last_correction(self.app.db, coder=default_coder())
        except sqlite3.OperationalError as exc:
            self.app.notify(f"Could not undo: {exc}", severity="error")
            return
        if correction is None:
            self.app.notify("Nothing to undo.", timeout=3)
            return
        statement_id = correction["statement_id"]
        self.refresh_statement(statement_id)
        if statement_id in self.rows:
            self.table.move_cursor(row=self.table.get_row_index(str(statement_id)))
        self.app.notify(f"Undid the {correction['dimension'].replace('_', ' ')} change of #{statement_id}",
                        title="Undo", timeout=3)
        self.post_message(self.Changed())

    # -- filter and pages ----------------------------------------------------------------------

    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_page(self, step: int) -> None:
        pages = max(1, -(-self.total // PAGE_SIZE))
        target = self.page_number + step
        if 0 <= target < pages:
            self.page_number = target
            self.reload(keep_cursor=False)

    @on(Input.Submitted, "#filter")
    def filter_submitted(self, event: Input.Submitted) -> None:
        from voicemap.assistant.answers import short_label
        from voicemap.store.query import StatementFilter

        text = event.value.strip()
        if not text:
            self.show(StatementFilter(), "all statements")
        else:
            scope = self.app.question_reader().scope(text)
            if scope.problems:
                self.app.notify("; ".join(scope.problems), severity="warning")
                return
            self.show(scope.statement_filter(), "filter: " + short_label(scope, self.app.codebook))
        self.table.focus()
