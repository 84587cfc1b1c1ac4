"""What the user can do, one method each: keys, the command palette and chat command words.

`perform` runs a parsed command word ("import PATH", "map FILE", ...); the f-keys and
the palette call the same methods, so every action behaves the same whichever way it
is asked for. Mixed into the app, which provides the jobs, views and conversation.
"""

from __future__ import annotations

from typing import Callable

from textual.widgets import TabbedContent

from voicemap.tui.chat import ChatView
from voicemap.tui.jobs import HEAVY
from voicemap.tui.pickers import PathPrompt
from voicemap.tui.views import DOCUMENTS, PreviewView


class ActionsMixin:
    def perform(self, action) -> None:
        """Run a parsed command word (voicemap.assistant.Action)."""
        if action.problem:
            self.say(action.problem)
        elif action.name == "import":
            self.start_job("import", lambda: self.import_job(action.paths or [action.path], action.options))
        elif action.name == "retag":
            self.start_job("retag", self.retag_job)
        elif action.name == "cluster":
            self.start_job("cluster", self.cluster_job)
        elif action.name == "export":
            self.start_job("export", lambda: self.export_job(action.path, action.format))
        elif action.name in ("map", "report"):
            self.action_tab("preview")
            self.query_one(PreviewView).action_show(action.name)
            if action.path:
                self.save_document_job(action.name, action.path)
        elif action.name == "agreement":
            self.action_tab("agreement")
        elif action.name == "browse":
            self.action_browse()

    def action_cancel_job(self) -> None:
        if self.busy_job:
            self.workers.cancel_group(self, HEAVY)

    def action_import(self) -> None:
        from voicemap.assistant import parse_action

        def chosen(path: str | None) -> None:
            if path:
                self.perform(parse_action(f"import {path}"))
        self.push_screen(PathPrompt("File or folder to import", ""), chosen)

    def action_retag(self) -> None:
        self.start_job("retag", self.retag_job)

    def action_cluster(self) -> None:
        self.start_job("cluster", self.cluster_job)

    def action_export(self) -> None:
        def chosen(path: str | None) -> None:
            if path:
                fmt = "jsonl" if path.lower().endswith((".jsonl", ".ndjson")) else "csv"
                self.start_job("export", lambda: self.export_job(path, fmt))
        self.push_screen(PathPrompt("Export statements to (.csv or .jsonl)", "statements.csv"), chosen)

    def action_save(self, name: str | None = None) -> None:
        if name is None:
            preview = self.query_one(PreviewView)
            name = preview.current if self.query_one(TabbedContent).active == "preview" else "map"
        title, default = DOCUMENTS[name]

        def chosen(path: str | None) -> None:
            if path:
                self.save_document_job(name, path)
        self.push_screen(PathPrompt(f"Write the {title} to", default), chosen)

    def action_browse(self) -> None:
        if self.last_answer is None or self.last_answer.filter is None:
            self.notify("Ask a question first; then its statements open here.", timeout=4)
            return
        self.action_tab("coding")
        self.coding.show(self.last_answer.filter, "last answer")

    def action_ask(self, question: str) -> None:
        self.action_tab("chat")
        self.chat.add_question(question)
        self.asked(ChatView.Asked(question))

    def palette_commands(self) -> list[tuple[str, str, Callable]]:
        """Every action, for the command palette (keys are shown in the footer)."""
        from voicemap.assistant import Action

        return [
            ("Import a file or folder", "Transcripts, survey exports, reviews (f5)", self.action_import),
            ("Re-tag all statements", "Re-run the automatic tagger; human codes stay (f6)", self.action_retag),
            ("Cluster pain points", "Group pain statements into recurring issues (f7)", self.action_cluster),
            ("Export statements", "CSV or JSON Lines (f8)", self.action_export),
            ("Write the journey map to a file", "Markdown (f9 in the preview)", lambda: self.action_save("map")),
            ("Write the pitfalls report to a file", "Markdown", lambda: self.action_save("report")),
            ("Show the journey map", "Preview (f4)", lambda: self.perform(Action("map"))),
            ("Show the pitfalls report", "Preview", lambda: self.perform(Action("report"))),
            ("Show agreement", "Human codes vs automatic codes (f3)", lambda: self.action_tab("agreement")),
            ("Browse the last answer's statements", "Open them in the coding view", self.action_browse),
            ("Undo the last code change", "In the coding view (u)", self.coding.action_undo),
            ("Top issues", "Ask: top issues", lambda: self.action_ask("top issues")),
            ("Study overview", "Ask: overview", lambda: self.action_ask("overview")),
            ("Help: what can I ask?", "Examples from your codebook", lambda: self.action_ask("help")),
            ("Cancel the running job", "esc", self.action_cancel_job),
        ]
