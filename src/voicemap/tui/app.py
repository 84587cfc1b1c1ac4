"""The voicemap app: chat, coding, agreement and preview over one study database.

It must paint in under a second, so at start it only reads the codebook: the core
(sqlite-utils pulls in numpy) is imported inside methods that run after the first
paint, the database opens then, and the tagger (spaCy) loads in a background worker,
the status line saying when it is ready. Everything the app shows comes from the
Textual-free core; everything slow runs in workers. `make_app` builds the app for the
CLI and the tests alike.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Footer, Label, ProgressBar, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState, get_current_worker

from voicemap.codebook import load_codebook
from voicemap.report.markdown import strip_control
from voicemap.tui.actions import ActionsMixin
from voicemap.tui.chat import ChatView
from voicemap.tui.coding import CodingView
from voicemap.tui.commands import VoicemapCommands
from voicemap.tui.jobs import HEAVY, JobsMixin, TaggerHolder, TaggerReady, WorkFinished, WorkProgress, default_tagger_factory
from voicemap.tui.safe import plain
from voicemap.tui.views import AgreementView, PreviewView

VIEWS = Binding.Group("Views", compact=False)
MAIN_BUSY_TIMEOUT_MS = 2000  # the UI thread waits at most this long for a writer, then says so
JOB_NAMES = {"import": "import", "retag": "re-tag", "cluster": "clustering", "export": "export"}


class AnswerReady(Message):
    def __init__(self, question: str, answer) -> None:
        super().__init__()
        self.question, self.answer = question, answer


class Welcome(Message):
    def __init__(self, markdown: str, statements: int, suggestions: list[str]) -> None:
        super().__init__()
        self.markdown, self.statements, self.suggestions = markdown, statements, suggestions


class VoicemapApp(ActionsMixin, JobsMixin, App):
    TITLE = "voicemap"
    COMMANDS = App.COMMANDS | {VoicemapCommands}
    CSS = """
    #tabs { height: 1fr; }
    #work { height: 1; padding: 0 1; background: $boost; display: none; }
    #work.running { display: block; }
    #work-label { width: 1fr; }
    #work-bar { width: 40; }
    #work-hint { width: 14; color: $text-muted; }
    #status { height: 1; padding: 0 1; background: $panel; color: $text-muted; }
    /* Compact tables in answers and previews: no rule between rows, columns as wide as their text. */
    MarkdownTable { width: auto; }
    MarkdownTableContent { grid-gutter: 0 2; keyline: none; }
    MarkdownTableContent > .header { text-style: bold underline; }
    """
    BINDINGS = [
        Binding("f1", "tab('chat')", "Chat", tooltip="The conversation", group=VIEWS),
        Binding("f2", "tab('coding')", "Coding", tooltip="Browse and recode statements", group=VIEWS),
        Binding("f3", "tab('agreement')", "Agreement", tooltip="Human vs automatic codes", group=VIEWS),
        Binding("f4", "tab('preview')", "Preview", tooltip="Journey map and report preview", group=VIEWS),
        Binding("f5", "import", "Import", tooltip="Import a file or folder"),
        Binding("f6", "retag", "Retag", tooltip="Re-run the tagger; human codes stay"),
        Binding("f7", "cluster", "Cluster", tooltip="Group pain points into recurring issues"),
        Binding("f8", "export", "Export", tooltip="Export statements to CSV or JSON Lines"),
        Binding("f9", "save", "Save", tooltip="Write the map or report to a file"),
        Binding("escape", "cancel_job", "Cancel job", tooltip="Stop the running job"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, db_path: str | Path, codebook_path: str | None = None,
                 tagger_factory: Callable | None = None, load_tagger: bool = True) -> None:
        super().__init__()
        self.db_path = Path(db_path)
        self.codebook = load_codebook(codebook_path)
        self._db = None
        self.coder = ""
        self.tagger_holder = TaggerHolder(tagger_factory or default_tagger_factory)
        self.auto_load_tagger = load_tagger
        self.busy_job: str | None = None
        self.last_answer = None  # the last Answer with statements behind it
        self.statement_count: int | None = None
        self.tagger_status = "tagger: loading…" if load_tagger else "tagger: not loaded"
        self._lexicon = None
        self._lexicon_lock = threading.Lock()

    def notify(self, message: str, *, title: str = "", severity="information", timeout: float | None = None,
               markup: bool = False) -> None:
        """Notifications carry file names and error text: shown literally, never as markup."""
        super().notify(strip_control(message), title=title, severity=severity, timeout=timeout, markup=markup)

    # -- layout and start-up ---------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with TabbedContent(initial="chat", id="tabs"):
            with TabPane("Chat f1", id="chat"):
                yield ChatView(id="chat-view")
            with TabPane("Coding f2", id="coding"):
                yield CodingView(id="coding-view")
            with TabPane("Agreement f3", id="agreement"):
                yield AgreementView(id="agreement-view")
            with TabPane("Preview f4", id="preview"):
                yield PreviewView(id="preview-view")
        with Horizontal(id="work"):
            yield Label(id="work-label")
            # Determinate while idle: an indeterminate bar animates (and costs CPU) even when hidden.
            yield ProgressBar(total=1, id="work-bar", show_eta=False)
            yield Static(plain(" esc cancels"), id="work-hint")
        yield Static(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.update_status()
        self.chat.input.focus()
        # After the first paint: the welcome reads the study, the tagger loads spaCy.
        self.call_after_refresh(self.start_background)

    def start_background(self) -> None:
        from voicemap.store.coding import default_coder

        self.coder = default_coder()
        self.update_status()
        self.welcome_worker()
        if self.auto_load_tagger:
            self.load_tagger()

    @property
    def chat(self) -> ChatView:
        return self.query_one("#chat-view", ChatView)

    @property
    def coding(self) -> CodingView:
        return self.query_one("#coding-view", CodingView)

    @property
    def db(self):
        """The UI thread's own connection (workers open theirs): short reads and single-code writes."""
        if self._db is None:
            from voicemap.store import open_db

            self._db = open_db(self.db_path)
            self._db.execute(f"PRAGMA busy_timeout = {MAIN_BUSY_TIMEOUT_MS}")
        return self._db

    def lexicon(self):
        """The codebook's vocabulary, built once and shared by every answer worker (read-only)."""
        from voicemap.assistant import Lexicon

        with self._lexicon_lock:
            if self._lexicon is None:
                self._lexicon = Lexicon(self.codebook)
            return self._lexicon

    def question_reader(self):
        """A reader on the UI thread's connection (for the coding view's filter line)."""
        from voicemap.assistant import Catalog, QuestionReader

        return QuestionReader(self.lexicon(), Catalog(self.db))

    def update_status(self) -> None:
        count = "…" if self.statement_count is None else f"{self.statement_count:,}"
        self.query_one("#status", Static).update(plain(
            f"{self.db_path.name} · {count} statements · coder {self.coder or '…'} · {self.tagger_status}"))

    @work(thread=True, exclusive=True, exit_on_error=False, group="answer", description="Reading the study")
    def welcome_worker(self) -> None:
        from voicemap.assistant import Catalog, example_questions
        from voicemap.store import open_db

        db = open_db(self.db_path)
        try:
            catalog = Catalog(db)
            statements = db.execute("select count(*) from statements").fetchone()[0]
            people = db.execute("select count(distinct participant_id) from statements").fetchone()[0]
            sources = db.execute("select count(*) from sources").fetchone()[0]
            examples = example_questions(self.codebook, catalog)
        finally:
            db.conn.close()
        if statements:
            text = (f"**{statements:,} statements** from {people:,} participants in {sources:,} sources "
                    f"(codebook: {self.codebook.name}). Ask, for example:\n\n"
                    + "\n".join(f"- `{e}`" for e in examples[:5])
                    + "\n\nType `help` for everything I can do; f2 opens the coding view.")
        else:
            text = ("This study is empty. Type `import PATH` (or press f5) with interview transcripts, a survey "
                    "export or reviews, or a folder of them.")
        self.post_message(Welcome(text, statements, examples))

    @on(Welcome)
    def welcomed(self, message: Welcome) -> None:
        self.statement_count = message.statements
        self.update_status()
        from textual.suggester import SuggestFromList

        self.chat.input.suggester = SuggestFromList(message.suggestions + ["help", "top issues", "overview"],
                                                    case_sensitive=False)
        self.say(message.markdown)

    @on(TaggerReady)
    def tagger_ready(self, message: TaggerReady) -> None:
        if message.error:
            self.tagger_status = "tagger: failed (import and re-tag unavailable)"
            self.notify(f"The tagger could not be loaded: {message.error}", severity="error", timeout=10)
        else:
            self.tagger_status = message.description or "tagger ready"
        self.update_status()

    # -- the conversation ------------------------------------------------------------------------

    @on(ChatView.Asked)
    def asked(self, message: ChatView.Asked) -> None:
        from voicemap.assistant import parse_action

        action = parse_action(message.text)
        if action is not None:
            self.perform(action)
        else:
            self.answer_worker(message.text)

    @work(thread=True, exclusive=True, exit_on_error=False, group="answer", description="Answering")
    def answer_worker(self, question: str) -> None:
        from voicemap.assistant import Assistant
        from voicemap.store import open_db

        db = open_db(self.db_path)
        try:
            answer = Assistant(db, self.codebook, lexicon=self.lexicon()).ask(question)
        finally:
            db.conn.close()
        if not get_current_worker().is_cancelled:
            self.post_message(AnswerReady(question, answer))

    @on(AnswerReady)
    def answered(self, message: AnswerReady) -> None:
        self.say(message.answer.markdown)
        if message.answer.filter is not None:
            self.last_answer = message.answer

    def say(self, markdown: str) -> None:
        """Add an answer to the conversation (rendered asynchronously, in order)."""
        self.call_later(self.chat.add_answer, markdown)

    # -- jobs ------------------------------------------------------------------------------------

    def start_job(self, name: str, start: Callable[[], object]) -> None:
        if self.busy_job:
            self.notify(f"A {JOB_NAMES.get(self.busy_job, self.busy_job)} is running: wait for it, or press esc "
                        "to cancel it.", severity="warning")
            return
        self.busy_job = name
        self.query_one("#work-label", Label).update(plain(f"{JOB_NAMES.get(name, name)}: starting…"))
        self.query_one("#work-bar", ProgressBar).update(total=None, progress=0)
        self.query_one("#work").add_class("running")
        self.refresh_bindings()
        start()

    def _job_over(self) -> None:
        self.busy_job = None
        self.query_one("#work-bar", ProgressBar).update(total=1, progress=0)
        self.query_one("#work").remove_class("running")
        self.refresh_bindings()

    @on(WorkProgress)
    def work_progress(self, message: WorkProgress) -> None:
        self.query_one("#work-label", Label).update(plain(message.text))
        bar = self.query_one("#work-bar", ProgressBar)
        if message.total:
            bar.update(total=message.total, progress=message.done)

    @on(WorkFinished)
    def work_finished(self, message: WorkFinished) -> None:
        if message.job not in ("write",):
            self._job_over()
        self.say(message.markdown)
        if self.query_one(TabbedContent).active != "chat":
            self.notify(message.markdown.split("\n", 1)[0].replace("**", "").replace("`", ""), timeout=5)
        if message.changed:
            self.data_changed(reload_browser=True)

    @on(Worker.StateChanged)
    def worker_state(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state == WorkerState.ERROR:
            error = worker.error
            text = str(error) or error.__class__.__name__
            self.notify(f"{worker.description} failed: {text}", severity="error", timeout=10)
            if worker.group == HEAVY:
                self._job_over()
                self.say(f"*{worker.description} failed:* {text}")
        elif event.state == WorkerState.CANCELLED and worker.group == HEAVY:
            self._job_over()
            self.notify(f"{worker.description} cancelled; work already committed is kept.", timeout=5)

    def data_changed(self, reload_browser: bool = False) -> None:
        """Codes or statements changed: previews and agreement are stale, counts move."""
        self.statement_count = self.db.execute("select count(*) from statements").fetchone()[0]
        self.update_status()
        for view in (self.query_one(AgreementView), self.query_one(PreviewView)):
            view.stale = True
        active = self.query_one(TabbedContent).active
        if active == "agreement":
            self.query_one(AgreementView).ensure_fresh()
        elif active == "preview":
            self.query_one(PreviewView).ensure_fresh()
        if reload_browser and self.coding.loaded:
            self.coding.reload()

    @on(CodingView.Changed)
    def codes_changed(self) -> None:
        self.data_changed()

    # -- actions (keys, palette, chat commands) ---------------------------------------------------

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "cancel_job":
            return bool(self.busy_job)
        return True

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    @on(TabbedContent.TabActivated)
    def tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if not self.query("#chat-view"):
            return  # the app is closing: the panes are already gone
        tab = event.pane.id
        if tab == "chat":
            self.chat.input.focus()
        elif tab == "coding":
            if not self.coding.loaded:
                self.coding.show()
            self.coding.table.focus()
        elif tab in ("agreement", "preview"):
            view = self.query_one(AgreementView if tab == "agreement" else PreviewView)
            # Focus must move into the pane: left on the chat input, it would switch the tabs back.
            view.focus_body()
            view.ensure_fresh()

def make_app(db_path: str | Path, codebook_path: str | None = None, tagger_factory: Callable | None = None,
             load_tagger: bool = True) -> VoicemapApp:
    """Build the app; the CLI and the tests share this (tests pass an already-loaded tagger)."""
    return VoicemapApp(db_path, codebook_path, tagger_factory=tagger_factory, load_tagger=load_tagger)


def run_app(db_path: str | Path, codebook_path: str | None = None) -> None:
    """Open the app (called by `voicemap` with no command); a bad codebook is one line, not a traceback."""
    import sqlite3

    from voicemap.codebook import CodebookError

    try:
        app = make_app(db_path, codebook_path)
        if Path(db_path).exists():  # a cheap check with the standard library, before the screen is taken
            conn = sqlite3.connect(f"file:{Path(db_path).resolve()}?mode=ro", uri=True)
            try:
                conn.execute("pragma schema_version").fetchone()
            finally:
                conn.close()
    except CodebookError as exc:
        raise SystemExit(f"error: {exc}") from None
    except sqlite3.DatabaseError as exc:
        raise SystemExit(f"error: {db_path}: not a voicemap database ({exc})") from None
    app.run()
