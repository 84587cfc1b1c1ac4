"""Transcripts in a table: one whole conversation per row (chat logs, AI-moderated interviews, exports).

Some tools export a CSV or JSON with a transcript id and a text column holding
`Speaker: ...` lines. Each row is parsed by the plain-transcript parser; speaker
labels that recur across rows ("User", "AI") are roles, not people, so the
participant is the row's own id and the interviewer role is context. A label that
appears once inside one answer ("Initial steps: ...") is a heading in the answer,
not a new speaker.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from voicemap.domain import Source, Utterance
from voicemap.ingest.errors import InputFileError
from voicemap.ingest.speakers import mark_interviewers, recurring_labels
from voicemap.ingest.tabular import Table, clean_cell, find_column, read_table, require_columns
from voicemap.ingest.transcript import DEFAULT_INTERVIEWER_NAMES, TURN_RE, parse_turns

ID_COLUMNS = ("transcript_id", "interview_id", "conversation_id", "session_id", "chat_id", "participant_id",
              "respondent_id", "participant", "id")
SAMPLE_ROWS = 50
MIN_TURN_LINES = 3


def turn_labels(text: str) -> list[str]:
    """The casefolded `Label:` prefixes at line starts, in order."""
    labels = []
    for line in text.split("\n"):
        match = TURN_RE.match(line)
        if match and match.group("text"):
            labels.append(match.group("speaker").strip().casefold())
    return labels


def looks_like_conversation(text: str) -> bool:
    """Several turns by at least two speakers, one of whom speaks more than once."""
    labels = turn_labels(text)
    counts = Counter(labels)
    return len(labels) >= MIN_TURN_LINES and len(counts) >= 2 and counts.most_common(1)[0][1] >= 2


def transcript_column(columns: list[str], rows: list[dict]) -> str | None:
    """The column whose cells are mostly whole conversations, if any."""
    sample = rows[:SAMPLE_ROWS]
    for column in columns:
        cells = [clean_cell(row.get(column)) for row in sample]
        filled = [cell for cell in cells if "\n" in cell]
        if filled and len(filled) >= len([c for c in cells if c]) / 2:
            if sum(looks_like_conversation(cell) for cell in filled) >= max(1, len(filled) / 2):
                return column
    return None


def _speakers_for_row(labels: list[str], roles: set[str]) -> set[str]:
    """Shared roles, plus names that speak at least twice in this transcript."""
    return roles | {label for label, count in Counter(labels).items() if count >= 2}


def read_transcript_table(
    path: str | Path,
    interviewer_names=DEFAULT_INTERVIEWER_NAMES,
    text_column: str | None = None,
    id_column: str | None = None,
    table: Table | None = None,
) -> Source:
    """One source holding every row's turns; each row's participant is the row id."""
    table = table or read_table(path)
    path = str(path)
    if text_column:
        require_columns(path, table.columns, [text_column], "--text-column")
    else:
        text_column = transcript_column(table.columns, table.rows)
        if not text_column:
            raise InputFileError(path, "no column holds transcripts ('Speaker: text' lines); name it with "
                                       f"--text-column (columns: {', '.join(table.columns)})")
    if id_column:
        require_columns(path, table.columns, [id_column], "--id-column")
    else:
        id_column = find_column([c for c in table.columns if c != text_column], ID_COLUMNS)
    cells = [clean_cell(row.get(text_column)).replace("\r\n", "\n").replace("\r", "\n") for row in table.rows]
    labels = [turn_labels(cell) for cell in cells]
    roles = recurring_labels(labels)
    stem = Path(path).stem
    source = Source(path=path, kind="transcript", title=stem, encoding=table.encoding, skipped=list(table.skipped),
                    metadata={"format": "transcript table", "text_column": text_column, "id_column": id_column})
    per_row: list[tuple[str, int, list[Utterance], dict]] = []
    for row, number, cell, row_labels in zip(table.rows, table.row_numbers, cells, labels):
        row_id = (clean_cell(row.get(id_column)) if id_column else "") or f"{stem} row {number}"
        turns = parse_turns(cell.split("\n"), known_speakers=_speakers_for_row(row_labels, roles)) if cell else []
        if not turns:
            source.skipped.append(f"row {number}: no speaker turns in '{text_column}'")
            continue
        metadata = {c: clean_cell(row.get(c)) for c in table.columns if c != text_column}
        per_row.append((row_id, number, turns, metadata))
    everyone = [turn for _, _, turns, _ in per_row for turn in turns]
    if not everyone:
        raise InputFileError(path, f"no speaker turns found in column '{text_column}'")
    interviewers, note = mark_interviewers(everyone, interviewer_names)
    if note:
        source.warnings.append(note)
    for row_id, number, turns, metadata in per_row:
        if not any(turn.is_customer for turn in turns):
            source.skipped.append(f"row {number}: only interviewer turns")
            continue
        for turn in turns:
            role = turn.speaker
            if turn.is_customer and role and role.casefold() in roles:
                turn.speaker = row_id  # "User" in every row is a different person: the row is the participant
            turn.location = f"row {number}, {turn.location}"
            turn.row_id, turn.line = row_id, number
            turn.metadata = {**metadata, "role": role}
            source.utterances.append(turn)
    if not source.utterances:
        raise InputFileError(path, "every transcript holds only interviewer turns; no customer statements to import")
    source.metadata["transcripts"] = len({u.row_id for u in source.utterances})
    source.metadata["interviewer_speakers"] = interviewers
    return source
