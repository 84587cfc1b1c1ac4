"""Command words typed into the conversation: "import PATH", "retag", "cluster", "map", ...

Parsing only: the front end runs the work (in a worker, with progress) because only it
knows how to show progress and where the user wants files. Every action is also
listed here once, so the help answer, the command palette and the CLI agree.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path

EXPORT_FORMATS = ("csv", "jsonl")


@dataclass(frozen=True)
class ActionSpec:
    name: str
    usage: str
    help: str


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("import", "import PATH [--text-column C] [--id-column C] [--kind K]",
               "import a file or a folder of transcripts, surveys or reviews"),
    ActionSpec("retag", "retag", "re-run the automatic tagger over every statement (human codes are kept)"),
    ActionSpec("cluster", "cluster", "group the pain points into recurring issues"),
    ActionSpec("map", "map [FILE]", "preview the journey map, and write it to FILE if given"),
    ActionSpec("report", "report [FILE]", "preview the pitfalls report, and write it to FILE if given"),
    ActionSpec("export", "export [csv|jsonl] [FILE]", "export every statement with its codes"),
    ActionSpec("agreement", "agreement", "how often your codes agree with the automatic ones"),
    ActionSpec("browse", "browse", "open the statements of the last answer in the coding view"),
)
ALIASES = {"re-tag": "retag", "tag": "retag", "retagging": "retag", "clusters": "cluster", "write": "map",
           "journey": "map", "pitfalls": "report", "kappa": "agreement"}
NAMES = {spec.name for spec in ACTIONS}


@dataclass
class Action:
    """A parsed command word; `problem` says what is missing when it cannot run as typed."""

    name: str
    path: str | None = None
    format: str | None = None
    problem: str | None = None
    paths: list[str] = field(default_factory=list)
    options: dict[str, list[str]] = field(default_factory=dict)  # import: kind, text_column, id_column


def _split(rest: str) -> list[str]:
    try:
        return shlex.split(rest)
    except ValueError:  # an unclosed quote: take the words as typed
        return rest.split()


def _looks_like_path(word: str) -> bool:
    return "/" in word or "\\" in word or "." in Path(word).name or word.startswith("~")


IMPORT_OPTIONS = {"--text-column": "text_column", "--id-column": "id_column", "--kind": "kind"}


def _import_action(rest: str, words: list[str]) -> Action:
    """`import PATH... [--text-column C]... [--id-column C] [--kind K]`, as on the command line."""
    paths, options, pending = [], {}, None
    for word in words:
        if pending:
            options.setdefault(pending, []).append(word)
            pending = None
        elif word in IMPORT_OPTIONS:
            pending = IMPORT_OPTIONS[word]
        else:
            paths.append(word)
    if pending:
        return Action("import", problem=f"`{next(k for k, v in IMPORT_OPTIONS.items() if v == pending)}` needs a value")
    if not paths:
        return Action("import", problem="Which file or folder? For example: `import interviews/`")
    if not options and Path(rest).expanduser().exists():
        paths = [rest]  # an unquoted path with spaces is still one path when it exists as typed
    paths = [str(Path(p).expanduser()) for p in paths]
    return Action("import", path=paths[0], paths=paths, options=options)


def parse_action(text: str) -> Action | None:
    """An Action when the text starts with a command word, else None (it is a question)."""
    parts = text.strip().split(maxsplit=1)
    if not parts:
        return None
    first = parts[0].lower().rstrip(":!")
    name = ALIASES.get(first, first)
    rest = parts[1].strip() if len(parts) > 1 else ""
    if name not in NAMES:
        return None
    words = _split(rest)
    if name == "import":
        return _import_action(rest, words)
    if name in ("map", "report"):
        # "map" alone or "map FILE"; anything else ("report on delivery") is a question.
        if words and not (len(words) == 1 and _looks_like_path(words[0])):
            return None if first not in ALIASES else Action(name)
        return Action(name, path=str(Path(words[0]).expanduser()) if words else None)
    if name == "export":
        fmt, path = None, None
        for word in words:
            if word.lower() in EXPORT_FORMATS:
                fmt = word.lower()
            elif word.lower() == "statements":
                continue
            else:
                path = str(Path(word).expanduser())
        if fmt is None:
            fmt = "jsonl" if path and path.lower().endswith((".jsonl", ".ndjson")) else "csv"
        return Action("export", path=path or f"statements.{fmt}", format=fmt)
    if words and name in ("retag", "cluster", "agreement", "browse"):
        return None  # "cluster of complaints about X" reads as a question
    return Action(name)
