"""Read-only documents in the app: the agreement audit and the map/report preview.

Both are Markdown strings from the core, computed in a worker (the journey map reads
every statement; agreement imports scikit-learn) and shown with Textual's Markdown
widget. They are marked stale when codes change and recomputed when next shown.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Static

from voicemap.tui.safe import markdown_parser, plain
from voicemap.tui.summaries import pitfalls_available, render_map, render_report

DOCUMENTS = {"map": ("journey map", "journey_map.md"), "report": ("pitfalls report", "pitfalls_report.md")}


class DocumentReady(Message):
    def __init__(self, view: str, name: str, markdown: str) -> None:
        super().__init__()
        self.view, self.name, self.markdown = view, name, markdown


class MarkdownDocument(Vertical):
    """A Markdown document computed off the UI thread, refreshed when stale."""

    DEFAULT_CSS = """
    MarkdownDocument { height: 1fr; }
    MarkdownDocument .doc-title { height: 1; padding: 0 1; color: $text-muted; }
    MarkdownDocument VerticalScroll { height: 1fr; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.stale = True
        self.markdown_text = ""
        self.current = ""

    def compose(self) -> ComposeResult:
        yield Static(classes="doc-title")
        yield VerticalScroll(classes="doc-body")

    def focus_body(self) -> None:
        """Focus the scrolling document (arrows and page keys scroll it)."""
        self.query_one(".doc-body", VerticalScroll).focus()

    def set_title(self, text: str) -> None:
        self.query_one(".doc-title", Static).update(plain(text))

    def ensure_fresh(self) -> None:
        if self.stale:
            self.stale = False
            self.set_title("computing…")
            self.compute(self.current)

    def compute(self, name: str) -> None:
        raise NotImplementedError

    @on(DocumentReady)
    async def ready(self, message: DocumentReady) -> None:
        if message.view != self.id:
            return
        message.stop()
        self.markdown_text = message.markdown
        from textual.widgets import Markdown  # deferred: markdown-it's import would delay the first paint

        body = self.query_one(".doc-body", VerticalScroll)
        if not body.children:
            await body.mount(Markdown("", open_links=False, parser_factory=markdown_parser))
        await body.query_one(Markdown).update(message.markdown)
        self.set_title(self.title_for(message.name))

    def title_for(self, name: str) -> str:
        return name


class AgreementView(MarkdownDocument):
    BINDINGS = [Binding("r", "recompute", "Refresh")]

    def compute(self, name: str) -> None:
        self.agreement_worker()

    def title_for(self, name: str) -> str:
        return "Human codes vs automatic codes · r refreshes"

    def action_recompute(self) -> None:
        self.stale = True
        self.ensure_fresh()

    @work(thread=True, exclusive=True, exit_on_error=False, group="agreement", description="Agreement")
    def agreement_worker(self) -> None:
        from voicemap.agreement import agreement, agreement_markdown
        from voicemap.store import open_db

        db = open_db(self.app.db_path)
        try:
            text = agreement_markdown(db, agreement(db, self.app.codebook), self.app.codebook)
        finally:
            db.conn.close()
        self.post_message(DocumentReady(self.id, "agreement", text))


class PreviewView(MarkdownDocument):
    """The journey map or the pitfalls report, as it would be written to a file."""

    BINDINGS = [Binding("m", "show('map')", "Map"), Binding("r", "show('report')", "Report")]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.current = "map"

    def title_for(self, name: str) -> str:
        other = "r: pitfalls report" if name == "map" else "m: journey map"
        return f"Preview: {DOCUMENTS[name][0]} · {other} · f9 writes it to a file"

    def action_show(self, name: str) -> None:
        if name == "report" and not pitfalls_available():
            self.app.notify("The pitfalls report is not available in this build.", severity="warning")
            return
        if name != self.current or self.stale:
            self.current = name
            self.stale = True
            self.ensure_fresh()

    def compute(self, name: str) -> None:
        self.document_worker(name)

    @work(thread=True, exclusive=True, exit_on_error=False, group="preview", description="Preview")
    def document_worker(self, name: str) -> None:
        from voicemap.store import open_db

        db = open_db(self.app.db_path)
        try:
            render = render_map if name == "map" else render_report
            text = render(db, self.app.codebook)
        finally:
            db.conn.close()
        self.post_message(DocumentReady(self.id, name, text))
