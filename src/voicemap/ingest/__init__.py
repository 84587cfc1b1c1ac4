"""Readers: every supported file format becomes the same `Source` of `Utterance`s.

`read_path` picks a reader from `--kind` or from the file's extension and content
(see detect.py), records what it detected in `source.metadata["detected"]`, and
`iter_input_files` walks folders. One module per format; this module only dispatches.
`stream_path` is the same without holding the file: survey and review tables hand
out their utterances one at a time, so an import's memory does not grow with them.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from voicemap.domain import Source, Utterance
from voicemap.ingest.detect import (CAPTION_SUFFIXES, DOCUMENT_SUFFIXES, JSON_SUFFIXES, TABLE_SUFFIXES,
                                    TEXT_SUFFIXES, detect)
from voicemap.ingest.errors import InputFileError
from voicemap.ingest.limits import stream_within_field_limit
from voicemap.ingest.transcript import DEFAULT_INTERVIEWER_NAMES

KINDS = ("transcript", "survey", "reviews")
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | CAPTION_SUFFIXES | DOCUMENT_SUFFIXES | TABLE_SUFFIXES | JSON_SUFFIXES

__all__ = ["InputFileError", "ReadOptions", "SourceStream", "read_path", "stream_path", "detect_kind",
           "iter_input_files", "KINDS", "SUPPORTED_SUFFIXES"]


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
                hidden = child.name.startswith((".", "~$"))  # "~$x.docx" is Word's lock file, not a document
                if child.is_file() and child.suffix.lower() in SUPPORTED_SUFFIXES and not hidden:
                    if child.name.lower() != "readme.md":
                        yield child
        else:
            yield path


def detect_kind(path: str | Path) -> str:
    """The kind a file would be imported as: transcript, survey or reviews."""
    return detect(Path(path)).kind


@dataclass
class SourceStream:
    """A Source whose utterances arrive one at a time.

    `source` holds everything but the utterances; its `skipped` and `warnings` are
    complete once `utterances` is exhausted, and an error found late in the file is
    raised from the iterator. `position()` says how much of the file has been read (0–1).
    """

    source: Source
    utterances: Iterator[Utterance]
    position: Callable[[], float]


def _handed_out(utterances: list[Utterance]) -> tuple[Iterator[Utterance], Callable[[], float]]:
    """A reader's list as a stream that lets go of each utterance once it is handed out."""
    queue, total = deque(utterances), max(1, len(utterances))
    utterances.clear()

    def items() -> Iterator[Utterance]:
        while queue:
            yield queue.popleft()

    return items(), lambda: 1 - len(queue) / total


def _whole(source: Source, note: str = "") -> tuple[SourceStream, str]:
    items, position = _handed_out(source.utterances)
    return SourceStream(source, items, position), note


def _from_table(source: Source, utterances: Iterator[Utterance], table, note: str = "") -> tuple[SourceStream, str]:
    return SourceStream(source, utterances, lambda: table.position), note


def _open(path: Path, reader: str, options: ReadOptions) -> tuple[SourceStream, str]:
    """Open one reader; returns the stream and, for readers that only know after reading, the note."""
    names, columns, id_column = options.interviewer_names, options.text_columns, options.id_column
    if reader == "plain":
        from voicemap.ingest.transcript import read_transcript
        return _whole(read_transcript(path, interviewer_names=names, check_conversation=options.kind is None))
    if reader == "webvtt":
        from voicemap.ingest.webvtt import read_webvtt
        return _whole(read_webvtt(path, names))
    if reader == "srt":
        from voicemap.ingest.srt import read_srt
        return _whole(read_srt(path, names))
    if reader == "docx":
        from voicemap.ingest.docx import read_docx
        return _whole(read_docx(path, names))
    from voicemap.ingest.survey import stream_survey
    from voicemap.ingest.tabular import open_table
    if reader == "platform_survey":
        from voicemap.ingest.survey_platforms import RowStream, describe, identify_survey_shape, stream_platform_survey
        rows = RowStream(path)
        shape = identify_survey_shape(path, rows.first)
        if shape is None:
            table = open_table(path)
            return _from_table(*stream_survey(path, columns, id_column, table), table, "survey table")
        source, utterances, table = stream_platform_survey(path, rows, shape, columns, id_column)
        return _from_table(source, utterances, table, describe(shape))
    if reader == "survey":
        table = open_table(path)
        return _from_table(*stream_survey(path, columns, id_column, table), table)
    from voicemap.ingest.transcript_table import SAMPLE_ROWS, read_transcript_table, transcript_column
    if reader == "transcript_table":
        return _whole(read_transcript_table(path, names, text_column=columns[0] if columns else None,
                                            id_column=id_column))
    table = open_table(path)
    if reader == "json_records" and not columns and transcript_column(table.columns, table.head(SAMPLE_ROWS)):
        source = read_transcript_table(path, names, id_column=id_column, table=table.materialise())
        return _whole(source, f"transcripts in records, one per record in field '{source.metadata['text_column']}'")
    from voicemap.ingest.reviews import stream_reviews
    return _from_table(*stream_reviews(path, columns, id_column, table), table, "reviews records")


def stream_path(path: str | Path, options: ReadOptions | None = None) -> SourceStream:
    """Open one file with the reader its kind and content call for; utterances are read as they are taken."""
    options = options or ReadOptions()
    path = Path(path)
    if not path.exists():
        raise InputFileError(path, "file not found")
    if path.is_dir():
        raise InputFileError(path, "is a directory, not a file")
    if options.kind is not None and options.kind not in KINDS:
        raise InputFileError(path, f"unknown kind '{options.kind}' (choose from {', '.join(KINDS)})")
    detection = detect(path, options.kind)
    stream, note = _open(path, detection.reader, options)
    stream.source.metadata["detected"] = note or detection.note
    stream.utterances = stream_within_field_limit(stream.source, stream.utterances)
    return stream


def read_path(path: str | Path, options: ReadOptions | None = None) -> Source:
    """Read one file with the reader its kind and content call for; note what was detected."""
    stream = stream_path(path, options)
    stream.source.utterances = list(stream.utterances)
    return stream.source
