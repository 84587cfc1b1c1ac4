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
from collections import Counter
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

# What `not_a_conversation` allows (see its docstring for how they were chosen).
MAX_PROSE_BEFORE_FIRST_TURN = 0.2  # share of the text before the first turn
MIN_TURNS_FOR_SPEAKER_CHECK = 4  # this many turns, none by a returning speaker: headings, not people
MIN_TURN_PARAGRAPHS = 0.25  # share of paragraphs (from the first turn on) that open with a turn

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


def _paragraph_starts(lines: list[str]) -> list[int]:
    """Indexes of the first line of each blank-line-separated paragraph."""
    return [i for i, line in enumerate(lines) if line.strip() and (i == 0 or not lines[i - 1].strip())]


def not_a_conversation(lines: list[str], utterances: list[Utterance], first_line: int) -> str | None:
    """Why text with a few `Word: text` lines reads as a document rather than a conversation, or None.

    Notes, discussion guides and READMEs have lines like "Run the tests:" that parse as
    turns, and everything after one would become a customer's words. Measured on 257
    real and sample transcripts (none flagged) and 210 text documents that hold such a
    line (200 flagged): a transcript starts with its turns, its speakers come back, and
    its paragraphs start with a turn; a document does none of these.
    """
    starts = {u.line - first_line for u in utterances}
    first = min(starts)
    total = sum(len(line.strip()) for line in lines) or 1
    before = sum(len(line.strip()) for line in lines[:first])
    if before / total > MAX_PROSE_BEFORE_FIRST_TURN:
        return f"{before / total:.0%} of its text comes before the first 'Name: ...' turn"
    speakers = Counter(u.speaker for u in utterances)
    if len(utterances) >= MIN_TURNS_FOR_SPEAKER_CHECK and max(speakers.values()) == 1:
        shown = ", ".join(f"'{name}'" for name in list(speakers)[:3])
        return f"none of its {len(speakers)} 'speakers' ({shown}, ...) speaks twice"
    paragraphs = [first, *(start for start in _paragraph_starts(lines) if start > first)]
    opening = sum(1 for start in paragraphs if start in starts or start + 1 in starts)
    if opening / len(paragraphs) < MIN_TURN_PARAGRAPHS:
        return f"only {opening} of its {len(paragraphs)} paragraphs start with a 'Name: ...' turn"
    return None


def read_transcript(
    path: str | Path,
    interviewer_names: tuple[str, ...] | list[str] = DEFAULT_INTERVIEWER_NAMES,
    text: str | None = None,
    encoding: str = "utf-8",
    known_speakers: set[str] | None = None,
    first_line: int = 1,
    check_conversation: bool = False,
) -> Source:
    """Read one transcript into a Source whose utterances are the speaker turns.

    `check_conversation` (a text file whose kind was detected, not given) refuses a
    file that reads as a document (`not_a_conversation`); `--kind transcript` skips it.
    """
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
    problem = check_conversation and not_a_conversation(lines[header_lines:], utterances, first_line + header_lines)
    if problem:
        raise InputFileError(path, f"does not read as a transcript ({problem}); if it is one, import it "
                                   "with --kind transcript")
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
