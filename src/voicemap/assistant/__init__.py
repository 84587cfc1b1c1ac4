"""The research assistant's brain: typed questions in, Markdown answers from the database out.

No UI code lives here (a test proves Textual is never imported), so the TUI, the
`voicemap ask` command and the tests all get the same answers from the same core.
"""

from __future__ import annotations

from sqlite_utils import Database

from voicemap.assistant.actions import ACTIONS, Action, parse_action
from voicemap.assistant.answers import Answer, answer_compare, answer_count, answer_overview, answer_quotes
from voicemap.assistant.catalog import Catalog
from voicemap.assistant.help import example_questions, help_answer
from voicemap.assistant.intents import Intent, QuestionReader, Scope
from voicemap.assistant.issues import answer_churn, answer_issues
from voicemap.assistant.lexicon import Lexicon
from voicemap.codebook import Codebook
from voicemap.report.markdown import escape_inline

__all__ = ["ACTIONS", "Action", "Answer", "Assistant", "Catalog", "Intent", "Lexicon", "QuestionReader", "Scope",
           "example_questions", "help_answer", "parse_action"]


class Assistant:
    """Answers questions about one study database with one codebook."""

    def __init__(self, db: Database, codebook: Codebook, lexicon: Lexicon | None = None):
        self.db = db
        self.codebook = codebook
        self.catalog = Catalog(db)
        self.reader = QuestionReader(lexicon or Lexicon(codebook), self.catalog)

    def refresh(self) -> None:
        """Forget cached study vocabulary (after an import or re-tag)."""
        self.catalog.refresh()

    def read(self, question: str) -> Intent:
        return self.reader.read(question)

    def ask(self, question: str) -> Answer:
        intent = self.read(question)
        problems = intent.scope.problems + [p for side in intent.sides for p in side.problems]
        if problems:
            return Answer("I could not use part of that: " + "; ".join(escape_inline(p) for p in problems) + ".",
                          "problem")
        if intent.kind == "help":
            return Answer(help_answer(self.codebook, self.catalog), "help")
        if intent.kind == "action":
            action = intent.action
            text = action.problem or f"Running `{action.name}`…"
            return Answer(text, "action", action=action)
        if not self.db.execute("select count(*) from statements").fetchone()[0]:
            return Answer("There are no statements yet. Type `import PATH` with a transcript, survey export or "
                          "reviews file (or a folder of them).", "empty")
        if intent.not_understood:
            return Answer(help_answer(self.codebook, self.catalog, question), "help")
        handlers = {"quotes": answer_quotes, "count": answer_count, "compare": answer_compare,
                    "issues": answer_issues, "churn": answer_churn}
        if intent.kind == "overview":
            return answer_overview(self.db, self.codebook)
        answer = handlers[intent.kind](self.db, self.codebook, intent)
        if answer.count == 0 and intent.kind in ("quotes", "count") and intent.scope.only_search():
            return Answer(help_answer(self.codebook, self.catalog, question), "help", count=0)
        return answer
