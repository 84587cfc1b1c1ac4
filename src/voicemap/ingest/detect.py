"""Which reader a file needs, from its extension and a look at its first bytes.

Extensions lie (a Zoom .txt that is really WebVTT, an SRT saved as .vtt), and a CSV
can be reviews, a survey from one of four platforms, or whole transcripts one per
row. Only the first 64 kB are read to decide, so detection costs nothing on a large
export; the chosen reader then reads the file once. Every decision comes with a
short note the import line shows ("Qualtrics survey export ...").
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from voicemap.ingest.decoding import decode_bytes
from voicemap.ingest.errors import InputFileError
from voicemap.ingest.reviews import looks_like_reviews
from voicemap.ingest.srt import looks_like_srt
from voicemap.ingest.survey_platforms import identify_survey_shape
from voicemap.ingest.transcript_table import transcript_column

TEXT_SUFFIXES = {".txt", ".md", ".text"}
CAPTION_SUFFIXES = {".vtt", ".srt"}
DOCUMENT_SUFFIXES = {".docx"}
TABLE_SUFFIXES = {".csv", ".tsv"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
PEEK_BYTES = 65_536


@dataclass
class Detection:
    """A reader choice: the kind stored on the source, the reader that reads it, and what to tell the user."""

    kind: str  # transcript | survey | reviews
    reader: str  # plain | webvtt | srt | docx | transcript_table | platform_survey | survey | reviews
    note: str


def peek_text(path: Path, size: int = PEEK_BYTES) -> str:
    """The start of a file as text, for sniffing only ("" when it is not text at all)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(size)
        if data[:2] in (b"\xff\xfe", b"\xfe\xff") and len(data) % 2:
            data = data[:-1]  # never cut a UTF-16 character in half
        return decode_bytes(data, path)[0].replace("\r\n", "\n").replace("\r", "\n")
    except (InputFileError, OSError, UnicodeDecodeError):
        return ""


def peek_rows(text: str, truncated: bool, delimiter: str = ",") -> list[list[str]]:
    """CSV records from a peek; the last one is dropped when the peek may have cut it."""
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error:
        return []
    return rows[:-1] if truncated and len(rows) > 2 else rows


def detect_text_file(path: Path, text: str) -> Detection:
    """Plain text, or captions saved under another extension."""
    suffix = path.suffix.lower()
    body = text.lstrip("\ufeff").lstrip()
    if body.startswith("WEBVTT"):
        note = "WebVTT captions" + ("" if suffix == ".vtt" else f" (in a {suffix or 'no-extension'} file)")
        return Detection("transcript", "webvtt", note)
    if looks_like_srt(body):
        note = "SubRip subtitles" + ("" if suffix == ".srt" else f" (in a {suffix or 'no-extension'} file)")
        return Detection("transcript", "srt", note)
    if suffix == ".vtt":
        raise InputFileError(path, "does not start with 'WEBVTT', so it is not a WebVTT file")
    if suffix == ".srt":
        raise InputFileError(path, "is not a SubRip file (expected a cue number, then a line like "
                                   "'00:00:01,000 --> 00:00:04,000')")
    return Detection("transcript", "plain", "plain-text transcript")


def detect_table(path: Path, kind: str | None) -> Detection:
    """A CSV/TSV: transcripts per row, a platform survey, reviews or a plain survey table."""
    text = peek_text(path)
    truncated = path.stat().st_size > PEEK_BYTES
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if path.suffix.lower() == ".tsv" or first_line.count("\t") > first_line.count(",") else ","
    rows = peek_rows(text, truncated, delimiter)
    header = [c.strip() for c in rows[0]] if rows else []
    dicts = [dict(zip(header, row)) for row in rows[1:]]
    if kind == "reviews":
        return Detection("reviews", "reviews", "reviews table (--kind reviews)")
    if kind in (None, "transcript") and header:
        column = transcript_column(header, dicts)
        if column or kind == "transcript":
            where = f" in column '{column}'" if column else ""
            return Detection("transcript", "transcript_table", f"transcripts in a table, one per row{where}")
    if kind == "transcript":
        return Detection("transcript", "transcript_table", "transcripts in a table (--kind transcript)")
    header_problem = None
    if rows and kind in (None, "survey"):
        try:
            if identify_survey_shape(path, rows) is not None:
                return Detection("survey", "platform_survey", "")
        except InputFileError as exc:
            if kind == "survey" or "SurveyMonkey" in exc.problem:
                raise
            header_problem = exc  # a reviews file may still be recognised by its fields
    if kind is None and looks_like_reviews(header):
        return Detection("reviews", "reviews", "reviews table")
    if header_problem:
        raise header_problem
    return Detection("survey", "survey", "survey table" + (" (--kind survey)" if kind else ""))


def detect(path: Path, kind: str | None = None) -> Detection:
    """Choose the reader; `kind` (from --kind) narrows the choice but content still decides the format."""
    suffix = path.suffix.lower()
    if suffix in DOCUMENT_SUFFIXES:
        if kind not in (None, "transcript"):
            raise InputFileError(path, f"a Word document can only be read as a transcript, not with --kind {kind}")
        return Detection("transcript", "docx", "Word document transcript")
    if suffix == ".doc":
        raise InputFileError(path, "is an old Word 97-2003 (.doc) file; save it as .docx")
    if suffix in CAPTION_SUFFIXES and kind not in (None, "transcript"):
        raise InputFileError(path, f"captions can only be read as a transcript, not with --kind {kind}")
    if kind in (None, "transcript") and (suffix in TEXT_SUFFIXES | CAPTION_SUFFIXES):
        return detect_text_file(path, peek_text(path))
    if suffix in TABLE_SUFFIXES or (kind in ("survey", "reviews") and suffix not in JSON_SUFFIXES):
        return detect_table(path, kind)
    if suffix in JSON_SUFFIXES:
        if kind == "survey":
            return Detection("survey", "survey", "survey records (--kind survey)")
        if kind == "transcript":
            return Detection("transcript", "transcript_table", "transcripts in records (--kind transcript)")
        return Detection("reviews", "json_records", "")
    if kind == "transcript":
        return detect_text_file(path, peek_text(path))
    supported = sorted(TEXT_SUFFIXES | CAPTION_SUFFIXES | DOCUMENT_SUFFIXES | TABLE_SUFFIXES | JSON_SUFFIXES)
    raise InputFileError(path, f"unsupported file type '{suffix or 'no extension'}' (use --kind, "
                               f"or one of {', '.join(supported)})")
