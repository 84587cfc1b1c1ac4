"""Survey exports (CSV/TSV): open-ended answers become utterances, the rest metadata.

Open-ended columns are chosen by `--text-column` or detected as the columns holding
long, varied free text. Every other column (segment, date, NPS...) is kept as
metadata on each answer so reports can filter and compare by it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from voicemap.domain import Source, Utterance
from voicemap.ingest.errors import InputFileError
from voicemap.ingest.tabular import (Table, TableStream, as_float, clean_cell, find_column, open_table,
                                     require_columns, shown_columns)

ID_COLUMNS = ("respondent_id", "response_id", "ResponseId", "Respondent ID", "respondent", "participant",
              "participant_id", "id", "user_id", "customer_id")
SCORE_COLUMNS = ("nps", "nps_score", "score", "likelihood_to_recommend", "csat", "rating", "stars")
DATE_COLUMNS = ("submitted_at", "date", "submitted", "timestamp", "created_at", "end_date", "EndDate",
                "response_date", "completed")
DETECTION_ROWS = 2_000  # enough answers to judge a column; a million-row export stays quick


def detect_text_columns(table: Table | TableStream) -> list[str]:
    """Columns whose values read like free text: long on average, several words, mostly distinct."""
    found = []
    head = table.head(DETECTION_ROWS)
    for column in table.columns:
        values = [clean_cell(row.get(column)) for row in head]
        filled = [v for v in values if v]
        if len(filled) < max(1, len(values) // 10):
            continue
        average_words = sum(len(v.split()) for v in filled) / len(filled)
        distinct_share = len(set(filled)) / len(filled)
        numeric_share = sum(as_float(v) is not None for v in filled) / len(filled)
        if average_words >= 4 and distinct_share >= 0.5 and numeric_share < 0.5:
            found.append(column)
    return found


def read_survey(
    path: str | Path,
    text_columns: list[str] | None = None,
    id_column: str | None = None,
    table: Table | TableStream | None = None,
) -> Source:
    """Read a survey export; one utterance per non-empty answer to each open question."""
    source, utterances = stream_survey(path, text_columns, id_column, table)
    source.utterances = list(utterances)
    return source


def stream_survey(
    path: str | Path,
    text_columns: list[str] | None = None,
    id_column: str | None = None,
    table: Table | TableStream | None = None,
) -> tuple[Source, Iterator[Utterance]]:
    """The survey's Source (its `skipped` complete once the answers are read) and its answers, read lazily."""
    table = table if table is not None else open_table(path)
    path = str(path)
    if text_columns:
        require_columns(path, table.columns, list(text_columns), "--text-column")
    else:
        text_columns = detect_text_columns(table)
        if not text_columns:
            raise InputFileError(
                path, f"no free-text column found; name one with --text-column (columns: {shown_columns(table.columns)})"
            )
    if id_column:
        require_columns(path, table.columns, [id_column], "--id-column")
    else:
        id_column = find_column(table.columns, ID_COLUMNS)
    source = Source(path=path, kind="survey", title=Path(path).stem, encoding=table.encoding,
                    metadata={"text_columns": list(text_columns), "id_column": id_column, "format": table.format})
    return source, _answers(source, table, list(text_columns), id_column)


def _answers(source: Source, table: Table | TableStream, text_columns: list[str],
             id_column: str | None) -> Iterator[Utterance]:
    score_column = find_column(table.columns, SCORE_COLUMNS)
    date_column = find_column(table.columns, DATE_COLUMNS)
    open_columns = set(text_columns)
    skipped: list[str] = []
    answers = 0
    for row, number in table.records():
        respondent = clean_cell(row.get(id_column)) if id_column else ""
        respondent = respondent or f"row {number}"
        metadata = {c: clean_cell(row.get(c)) for c in table.columns if c not in open_columns}
        answered = False
        for column in text_columns:
            answer = clean_cell(row.get(column))
            if not answer:
                continue
            answered = True
            answers += 1
            yield Utterance(
                text=answer,
                speaker=respondent,
                location=f"row {number}",
                line=number,
                row_id=respondent if id_column else str(number),
                rating=as_float(row.get(score_column)) if score_column else None,
                date=clean_cell(row.get(date_column)) or None if date_column else None,
                question=column,
                metadata=metadata,
            )
        if not answered:
            skipped.append(f"row {number}: no answer in {', '.join(text_columns)}")
    source.skipped[:0] = table.skipped + skipped
    if not answers:
        raise InputFileError(source.path, f"no non-empty answers in {', '.join(text_columns)}")
