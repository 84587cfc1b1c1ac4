"""Small modal screens: pick one code, pick several codes, type a path.

Each returns its result through `dismiss` (None when cancelled with escape), so the
caller stores the code or starts the job in its callback; digits pick an option
directly, which makes recoding a matter of two keystrokes.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, OptionList, SelectionList
from textual.widgets.option_list import Option

from voicemap.tui.safe import plain

NO_VALUE = "__none__"

PICKER_CSS = """
CodePicker, CodesPicker, PathPrompt { align: center middle; }
#picker { width: 60; max-width: 90%; height: auto; max-height: 90%; border: thick $accent; background: $surface;
          padding: 0 1; }
#picker OptionList, #picker SelectionList { height: auto; max-height: 20; }
#picker Label { width: 100%; margin-bottom: 1; }
"""


class CodePicker(ModalScreen[str | None]):
    """Choose one code (or none) for a single-valued dimension."""

    DEFAULT_CSS = PICKER_CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel")] + [
        Binding(str(n), f"pick({n})", show=False) for n in range(1, 10)]

    def __init__(self, title: str, choices: list[tuple[str, str]], current: str | None, allow_none: bool = True):
        super().__init__()
        self.title_text = title
        self.choices = list(choices) + ([(NO_VALUE, "(none)")] if allow_none else [])
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Label(plain(self.title_text + "  (1–9 or enter; esc cancels)"))
            options = [Option(plain(f"{n}  {label}" if n < 10 else f"   {label}"), id=value)
                       for n, (value, label) in enumerate(self.choices, 1)]
            yield OptionList(*options, id="codes")
        yield Footer()

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        ids = [value for value, _ in self.choices]
        if self.current in ids:
            options.highlighted = ids.index(self.current)
        options.focus()

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_pick(self, number: int) -> None:
        if number <= len(self.choices):
            self.dismiss(self.choices[number - 1][0])

    def action_cancel(self) -> None:
        self.dismiss(None)


class CodesPicker(ModalScreen[list[str] | None]):
    """Choose any number of codes for a multi-valued dimension (touchpoints, emotions)."""

    DEFAULT_CSS = PICKER_CSS
    BINDINGS = [Binding("enter", "save", "Save", priority=True), Binding("escape", "cancel", "Cancel")] + [
        Binding(str(n), f"toggle({n})", show=False) for n in range(1, 10)]

    def __init__(self, title: str, choices: list[tuple[str, str]], current: list[str]):
        super().__init__()
        self.title_text = title
        self.choices = choices
        self.current = set(current)

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Label(plain(self.title_text + "  (space or 1–9 toggles, enter saves, esc cancels)"))
            yield SelectionList[str](*[(plain(f"{n}  {label}" if n < 10 else f"   {label}"), value, value in self.current)
                                       for n, (value, label) in enumerate(self.choices, 1)], id="codes")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def action_toggle(self, number: int) -> None:
        if number <= len(self.choices):
            self.query_one(SelectionList).toggle(self.choices[number - 1][0])

    def action_save(self) -> None:
        selected = set(self.query_one(SelectionList).selected)
        self.dismiss([value for value, _ in self.choices if value in selected])

    def action_cancel(self) -> None:
        self.dismiss(None)


class PathPrompt(ModalScreen[str | None]):
    """Ask for a file or folder path, with a sensible default filled in."""

    DEFAULT_CSS = PICKER_CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, default: str = ""):
        super().__init__()
        self.title_text = title
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Label(plain(self.title_text + "  (enter to confirm, esc cancels)"))
            yield Input(value=self.default, id="path")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
