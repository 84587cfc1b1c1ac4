"""Plain-text interview transcripts: `Speaker: text` turns with optional timestamps.

Handles the shapes people paste from notes and recorders:
``[00:12:03] Maria: text``, ``00:12:03 Maria: text``, ``Maria: text``, continuation
lines that belong to the previous turn, and a header block (``Title: ...``,
``Date: ...``) before the first blank line. Interviewer turns are kept as context
(`is_customer=False`) so quotes can be shown in context but are never tagged.
"""

from __future__ import annotations

import re
from pathlib import Path

from voicemap.domain import Source, Utterance
from voicemap.ingest.decoding import read_text
from voicemap.ingest.errors import InputFileError

DEFAULT_INTERVIEWER_NAMES = ("Interviewer", "Moderator", "Q", "Facilitator", "Researcher", "Host")
HEADER_KEYS = {"title", "date", "participant", "participants", "interviewer", "study", "location",
               "duration", "project", "recorded", "session", "notes", "language", "id"}

_TIMESTAMP = r"(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
TURN_RE = re.compile(
    rf"^\s*(?:\[(?P<ts1>{_TIMESTAMP})\]\s*|(?P<ts2>{_TIMESTAMP})\s+)?"
    r"(?P<speaker>[A-Za-z][\w.'\-]*(?: [\w.'\-]+){0,2}?)\s*(?:\((?P<ts3>" + _TIMESTAMP + r")\))?"
    r"\s*:(?:\s+(?P<text>.*\S))?\s*$"
)


def _normalise_timestamp(ts: str | None) -> str | None:
    if not ts:
        return None
    ts = re.split(r"[.,]", ts)[0]
    parts = [int(p) for p in ts.split(":")]
    while len(parts) < 3:
        parts.insert(0, 0)
    return "{:02d}:{:02d}:{:02d}".format(*parts)


def _split_header(lines: list[str]) -> tuple[dict[str, str], int]:
    """A header is a leading run of `Key: value` lines with known keys, ended by a blank line."""
    header: dict[str, str] = {}
    for index, line in enumerate(lines):
        if not line.strip():
            return (header, index + 1) if header else ({}, 0)
        key, sep, value = line.partition(":")
        if not sep or key.strip().lower() not in HEADER_KEYS:
            return {}, 0
        header[key.strip().lower()] = value.strip()
    return {}, 0


def read_transcript(
    path: str | Path,
    interviewer_names: tuple[str, ...] | list[str] = DEFAULT_INTERVIEWER_NAMES,
    text: str | None = None,
    encoding: str = "utf-8",
) -> Source:
    """Read one transcript into a Source whose utterances are the speaker turns."""
    if text is None:
        text, encoding = read_text(path)
    lines = text.split("\n")
    header, first_line = _split_header(lines)
    interviewers = {name.strip().lower() for name in interviewer_names}
    if header.get("interviewer"):
        interviewers.add(header["interviewer"].split("(")[0].strip().lower())

    utterances: list[Utterance] = []
    current: Utterance | None = None
    for number, line in enumerate(lines[first_line:], start=first_line + 1):
        match = TURN_RE.match(line)
        if match:
            speaker = match.group("speaker").strip()
            timestamp = _normalise_timestamp(match.group("ts1") or match.group("ts2") or match.group("ts3"))
            current = Utterance(
                text=(match.group("text") or "").strip(),
                speaker=speaker,
                line=number,
                timestamp=timestamp,
                location=timestamp or f"line {number}",
                is_customer=speaker.lower() not in interviewers,
            )
            utterances.append(current)
        elif line.strip():
            if current is None:
                continue  # prose before the first turn: not attributable to anyone
            current.text = f"{current.text} {line.strip()}".strip()
    utterances = [u for u in utterances if u.text]
    if not utterances:
        raise InputFileError(path, "no speaker turns found (expected lines like 'Name: what they said')")
    if not any(u.is_customer for u in utterances):
        raise InputFileError(path, "every speaker is an interviewer; no customer statements to import")
    return Source(
        path=str(path),
        kind="transcript",
        utterances=utterances,
        title=header.get("title") or Path(path).stem,
        encoding=encoding,
        metadata={k: v for k, v in header.items() if k != "title"},
    )
