"""Readers: every supported file format becomes the same `Source` of `Utterance`s.

`read_path` picks a reader from `--kind` or from the file's extension and content, and
`iter_input_files` walks folders. One module per format; this module only dispatches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from voicemap.domain import Source
from voicemap.ingest.errors import InputFileError
from voicemap.ingest.reviews import looks_like_reviews, read_reviews
from voicemap.ingest.survey import read_survey
from voicemap.ingest.tabular import read_table
from voicemap.ingest.transcript import DEFAULT_INTERVIEWER_NAMES, read_transcript

KINDS = ("transcript", "survey", "reviews")
TEXT_SUFFIXES = {".txt", ".md", ".text"}
TABLE_SUFFIXES = {".csv", ".tsv", ".json", ".jsonl", ".ndjson"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | TABLE_SUFFIXES

__all__ = ["InputFileError", "ReadOptions", "read_path", "iter_input_files", "KINDS"]


@dataclass
class ReadOptions:
    """What the user told the importer; None means 'detect it'."""

    kind: str | None = None
    text_columns: list[str] = field(default_factory=list)
    id_column: str | None = None
    interviewer_names: tuple[str, ...] = DEFAULT_INTERVIEWER_NAMES


def iter_input_files(paths: list[str | Path]) -> Iterator[Path]:
    """Files named directly are yielded as given; folders are walked for supported files."""
    for path in map(Path, paths):
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in SUPPORTED_SUFFIXES and not child.name.startswith("."):
                    if child.name.lower() != "readme.md":
                        yield child
        else:
            yield path


def detect_kind(path: Path) -> str:
    """Extension first; for tables the columns tell reviews from a survey."""
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return "transcript"
    if suffix in (".json", ".jsonl", ".ndjson"):
        return "reviews"
    if suffix in (".csv", ".tsv"):
        return "reviews" if looks_like_reviews(read_table(path).columns) else "survey"
    raise InputFileError(path, f"unsupported file type '{suffix or 'no extension'}' (use --kind, "
                               f"or one of {', '.join(sorted(SUPPORTED_SUFFIXES))})")


def read_path(path: str | Path, options: ReadOptions | None = None) -> Source:
    """Read one file with the reader its kind calls for."""
    options = options or ReadOptions()
    path = Path(path)
    if not path.exists():
        raise InputFileError(path, "file not found")
    kind = options.kind or detect_kind(path)
    if kind == "transcript":
        return read_transcript(path, interviewer_names=options.interviewer_names)
    if kind == "survey":
        return read_survey(path, text_columns=options.text_columns, id_column=options.id_column)
    if kind == "reviews":
        return read_reviews(path, text_columns=options.text_columns, id_column=options.id_column)
    raise InputFileError(path, f"unknown kind '{kind}' (choose from {', '.join(KINDS)})")
