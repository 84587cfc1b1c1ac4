"""Readers: every supported file format becomes the same `Source` of `Utterance`s.

`read_path` picks a reader from `--kind` or from the file's extension and content
(see detect.py), records what it detected in `source.metadata["detected"]`, and
`iter_input_files` walks folders. One module per format; this module only dispatches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from voicemap.domain import Source
from voicemap.ingest.detect import (CAPTION_SUFFIXES, DOCUMENT_SUFFIXES, JSON_SUFFIXES, TABLE_SUFFIXES,
                                    TEXT_SUFFIXES, detect)
from voicemap.ingest.errors import InputFileError
from voicemap.ingest.limits import enforce_field_limit
from voicemap.ingest.transcript import DEFAULT_INTERVIEWER_NAMES

KINDS = ("transcript", "survey", "reviews")
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | CAPTION_SUFFIXES | DOCUMENT_SUFFIXES | TABLE_SUFFIXES | JSON_SUFFIXES

__all__ = ["InputFileError", "ReadOptions", "read_path", "detect_kind", "iter_input_files", "KINDS",
           "SUPPORTED_SUFFIXES"]


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


def _read(path: Path, reader: str, options: ReadOptions) -> tuple[Source, str]:
    """Run one reader; returns the source and, for readers that only know after reading, the note."""
    names, columns, id_column = options.interviewer_names, options.text_columns, options.id_column
    if reader == "plain":
        from voicemap.ingest.transcript import read_transcript
        return read_transcript(path, interviewer_names=names), ""
    if reader == "webvtt":
        from voicemap.ingest.webvtt import read_webvtt
        return read_webvtt(path, names), ""
    if reader == "srt":
        from voicemap.ingest.srt import read_srt
        return read_srt(path, names), ""
    if reader == "docx":
        from voicemap.ingest.docx import read_docx
        return read_docx(path, names), ""
    if reader == "platform_survey":
        from voicemap.ingest.survey_platforms import describe, identify_survey_shape, read_platform_survey, read_rows
        rows, encoding = read_rows(path)
        shape = identify_survey_shape(path, rows)
        if shape is None:
            from voicemap.ingest.survey import read_survey
            return read_survey(path, text_columns=columns, id_column=id_column), "survey table"
        return read_platform_survey(path, rows, shape, encoding, columns, id_column), describe(shape)
    if reader == "survey":
        from voicemap.ingest.survey import read_survey
        return read_survey(path, text_columns=columns, id_column=id_column), ""
    from voicemap.ingest.tabular import read_table
    from voicemap.ingest.transcript_table import read_transcript_table, transcript_column
    if reader == "transcript_table":
        return read_transcript_table(path, names, text_column=columns[0] if columns else None,
                                     id_column=id_column), ""
    table = read_table(path)
    if reader == "json_records" and not columns and transcript_column(table.columns, table.rows):
        source = read_transcript_table(path, names, id_column=id_column, table=table)
        return source, f"transcripts in records, one per record in field '{source.metadata['text_column']}'"
    from voicemap.ingest.reviews import read_reviews
    return read_reviews(path, text_columns=columns, id_column=id_column, table=table), "reviews records"


def read_path(path: str | Path, options: ReadOptions | None = None) -> Source:
    """Read one file with the reader its kind and content call for; note what was detected."""
    options = options or ReadOptions()
    path = Path(path)
    if not path.exists():
        raise InputFileError(path, "file not found")
    if path.is_dir():
        raise InputFileError(path, "is a directory, not a file")
    if options.kind is not None and options.kind not in KINDS:
        raise InputFileError(path, f"unknown kind '{options.kind}' (choose from {', '.join(KINDS)})")
    detection = detect(path, options.kind)
    source, note = _read(path, detection.reader, options)
    source.metadata["detected"] = note or detection.note
    return enforce_field_limit(source)
