"""Plain-text interview transcripts: `Speaker: text` turns with optional timestamps.

Handles the shapes people paste from notes and recorders:
``[00:12:03] Maria: text``, ``00:12:03 Maria: text``, ``Maria (00:12:03): text``,
``Maria: text``, Otter/Teams style ``Maria  0:03`` header lines with the turn on the
lines below, continuation lines that belong to the previous turn, and a header block
(``Title: ...``, ``Date: ...``) before the first blank line. Interviewer turns are
kept as context (`is_customer=False`) so quotes can be shown in context but are
never tagged. The DOCX and transcripts-in-a-table readers reuse this parser.
"""

from __future__ import annotations

import re
from pathlib import Path

from voicemap.domain import Source, Utterance
from voicemap.ingest.decoding import read_text
from voicemap.ingest.errors import InputFileError
from voicemap.ingest.limits import enforce_field_limit
from voicemap.ingest.speakers import mark_interviewers, unify_speaker_names
from voicemap.settings import limits

DEFAULT_INTERVIEWER_NAMES = ("Interviewer", "Moderator", "Q", "Facilitator", "Researcher", "Host")
HEADER_KEYS = {"title", "date", "participant", "participants", "interviewer", "study", "location",
               "duration", "project", "recorded", "session", "notes", "language", "id"}

_TIMESTAMP = r"(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
# Name words are bounded ({0,40}), no two whitespace runs touch and the text starts with a
# non-space, so a 10 MB line fails or matches in linear time instead of backtracking for hours.
TURN_RE = re.compile(
    rf"^\s*(?:\[(?P<ts1>{_TIMESTAMP})\]\s*|(?P<ts2>{_TIMESTAMP})\s+)?"
    r"(?P<speaker>[A-Za-z][\w.'\-]{0,40}(?: [\w.'\-]{1,40}){0,2}?)\s*(?:\((?P<ts3>" + _TIMESTAMP + r")\)\s*)?"
    r":(?:\s+(?P<text>\S(?:.*\S)?))?\s*$"
)
# Otter, Teams and Word exports: "Speaker 1  0:03" alone on a line, the words below it.
HEADER_TURN_RE = re.compile(
    r"^\s*(?P<speaker>[^\W_][\w.'\-]{0,40}(?: [\w.'()\-]{1,40}){0,3}?)\s+(?P<ts>" + _TIMESTAMP + r")\s*$"
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


def _header_turn(line: str) -> re.Match | None:
    """A `Name  0:03` line, with every word of the name capitalised so prose like "at 10:30" is not one."""
    match = HEADER_TURN_RE.match(line)
    if not match:
        return None
    words = match.group("speaker").split()
    return match if all(w[0].isupper() or w[0].isdigit() or w[0] == "(" for w in words) else None


def _uses_header_turns(lines: list[str]) -> bool:
    """Otter-style files put the speaker above the turn; then `Word: text` lines are speech, not turns."""
    headers = sum(1 for line in lines if _header_turn(line))
    inline = sum(1 for line in lines if TURN_RE.match(line))
    return headers >= 1 and headers >= inline


def parse_turns(
    lines: list[str],
    first_line: int = 1,
    known_speakers: set[str] | None = None,
) -> list[Utterance]:
    """Speaker turns from transcript lines; `known_speakers` (casefolded) limits who can start a turn."""
    header_mode = _uses_header_turns(lines)
    utterances: list[Utterance] = []
    current: Utterance | None = None
    for number, line in enumerate(lines, start=first_line):
        match = _header_turn(line) if header_mode else TURN_RE.match(line)
        if header_mode and not match:
            # Below a header line, "Word: text" is speech unless it carries its own timestamp.
            inline = TURN_RE.match(line)
            match = inline if inline and (inline.group("ts1") or inline.group("ts2") or inline.group("ts3")) else None
        speaker = match.group("speaker").strip() if match else None
        if speaker and known_speakers is not None and speaker.casefold() not in known_speakers:
            match = None
        if match:
            groups = match.groupdict()
            timestamp = _normalise_timestamp(groups.get("ts") or groups.get("ts1") or groups.get("ts2")
                                             or groups.get("ts3"))
            current = Utterance(
                text=(groups.get("text") or "").strip(),
                speaker=speaker,
                line=number,
                timestamp=timestamp,
                location=timestamp or f"line {number}",
            )
            utterances.append(current)
        elif line.strip():
            if current is None:
                continue  # prose before the first turn: not attributable to anyone
            current.text = f"{current.text} {line.strip()}".strip()
    utterances = [u for u in utterances if u.text]
    unify_speaker_names(utterances)
    return utterances


def read_transcript(
    path: str | Path,
    interviewer_names: tuple[str, ...] | list[str] = DEFAULT_INTERVIEWER_NAMES,
    text: str | None = None,
    encoding: str = "utf-8",
    known_speakers: set[str] | None = None,
    first_line: int = 1,
) -> Source:
    """Read one transcript into a Source whose utterances are the speaker turns."""
    if text is None:
        text, encoding = read_text(path)
    lines = text.split("\n")
    header, header_lines = _split_header(lines)
    names = list(interviewer_names)
    if header.get("interviewer"):
        names.append(header["interviewer"].split("(")[0].strip())
    utterances = parse_turns(lines[header_lines:], first_line + header_lines, known_speakers)
    if not utterances:
        raise InputFileError(path, "no speaker turns found (expected lines like 'Name: what they said' "
                                   "or 'Name  0:03' above the turn)")
    if len(utterances) > limits().max_rows:
        raise InputFileError(path, f"has more than {limits().max_rows:,} speaker turns (the VOICEMAP_MAX_ROWS "
                                   "limit); split the file or raise the limit")
    interviewers, note = mark_interviewers(utterances, names)
    if not any(u.is_customer for u in utterances):
        raise InputFileError(path, "every speaker is an interviewer; no customer statements to import")
    metadata = {k: v for k, v in header.items() if k != "title"}
    metadata["interviewer_speakers"] = interviewers
    return enforce_field_limit(Source(
        path=str(path),
        kind="transcript",
        utterances=utterances,
        title=header.get("title") or Path(path).stem,
        encoding=encoding,
        metadata=metadata,
        warnings=[note] if note else [],
    ))
