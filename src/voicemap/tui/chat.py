"""The conversation: a transcript of questions and Markdown answers, and the input line.

The view only shows things and reports what was typed (`ChatView.Asked`); the app
decides whether it is a question (answered in a worker) or a command (run as a job).
Questions are shown as literal text; answers are Markdown built by the core, where
customer text is already escaped, and links are never opened.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widgets import Input, Static

from voicemap.tui.safe import markdown_parser, plain

MAX_MESSAGES = 200  # older exchanges are dropped so a long session stays light


class ChatView(Vertical):
    DEFAULT_CSS = """
    ChatView { height: 1fr; }
    ChatView #transcript { height: 1fr; padding: 0 1; }
    ChatView .question { color: $text-accent; text-style: bold; margin: 1 0 0 0; }
    ChatView .answer { margin: 0 0 0 2; padding: 0 1; border-left: wide $primary-darken-2; }
    ChatView .note { color: $text-muted; margin: 0 0 0 2; }
    ChatView #ask { dock: bottom; }
    """

    BINDINGS = [
        Binding("pageup", "scroll_transcript(-1)", "Scroll up", show=False),
        Binding("pagedown", "scroll_transcript(1)", "Scroll down", show=False),
    ]

    class Asked(Message):
        """The user typed something into the input line."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, suggestions: list[str] | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.suggestions = suggestions or []
        self.history: list[str] = []
        self.last_question: Static | None = None

    def compose(self) -> ComposeResult:
        yield VerticalScroll(id="transcript")
        yield Input(placeholder="Ask about the study, e.g. “top issues” — or type help",
                    suggester=SuggestFromList(self.suggestions, case_sensitive=False), id="ask")

    def action_scroll_transcript(self, direction: int) -> None:
        """Page through the conversation while typing (the input keeps the focus)."""
        transcript = self.query_one("#transcript", VerticalScroll)
        if direction < 0:
            transcript.scroll_page_up()
        else:
            transcript.scroll_page_down()

    @property
    def input(self) -> Input:
        return self.query_one("#ask", Input)

    @on(Input.Submitted, "#ask")
    def submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        event.input.value = ""
        self.history.append(text)
        self.add_question(text)
        self.post_message(self.Asked(text))

    def _append(self, widget):
        transcript = self.query_one("#transcript", VerticalScroll)
        mounted = transcript.mount(widget)
        children = list(transcript.children)
        for old in children[:-MAX_MESSAGES]:
            old.remove()
        return mounted

    def _scroll_to(self, widget) -> None:
        transcript = self.query_one("#transcript", VerticalScroll)
        if widget is not None and widget.parent is transcript:
            transcript.scroll_to_widget(widget, top=True, animate=False)
        else:
            transcript.scroll_end(animate=False)

    def add_question(self, text: str) -> None:
        self.last_question = Static(plain("› " + text), classes="question")
        self._append(self.last_question)
        self.call_after_refresh(self._scroll_to, None)

    async def add_answer(self, markdown: str):
        """Show an answer and scroll so its question is at the top: answers are read from the start."""
        from textual.widgets import Markdown  # deferred: markdown-it's import would delay the first paint

        widget = Markdown("", classes="answer", open_links=False, parser_factory=markdown_parser)
        await self._append(widget)
        await widget.update(markdown)  # rendered, so its height is known before scrolling
        self.call_after_refresh(self._scroll_to, self.last_question)
        return widget

    def add_note(self, text: str) -> None:
        self._append(Static(plain(text), classes="note"))

    def answers(self) -> list:
        """The answer widgets (Markdown), oldest first."""
        return list(self.query(".answer"))
