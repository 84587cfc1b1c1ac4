"""Survey platform exports: Qualtrics, SurveyMonkey, Google Forms and Typeform CSVs.

Each platform wraps the answers differently: Qualtrics writes three header rows
(column ids, question text, ImportId JSON), SurveyMonkey two (question, then answer
option), Google Forms and Typeform one with their own id and date columns. This
module recognises the shape from the header rows, rebuilds one named column per
answer (named by its question, so each answer keeps its question), drops the
platform's personal-data columns (IP address, e-mail, names, location), and hands
the table to the generic survey reader. Scores (NPS, CSAT) and segments are kept as
short metadata keys (`nps`, `csat`, `segment`) that filters and the code matrix use.
A header that looks like no known shape and not like column names is refused.
The export is read twice, a row at a time, never whole: once to find the score
columns (which depends on every answer), then to hand answers to the import.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from voicemap.domain import Source, Utterance
from voicemap.ingest.decoding import TextStream
from voicemap.ingest.errors import InputFileError
from voicemap.ingest.survey import detect_text_columns, stream_survey
from voicemap.ingest.tabular import Table, TableStream, clean_cell
from voicemap.settings import limits

PERSONAL_COLUMNS = {"ipaddress", "emailaddress", "email", "firstname", "lastname", "recipientemail",
                    "recipientfirstname", "recipientlastname", "locationlatitude", "locationlongitude",
                    "name", "fullname", "phone", "phonenumber"}
GOOGLE_TIMESTAMP = {"timestamp", "marcatemporal", "horodatage", "zeitstempel", "carimbodedatahora",
                    "informazionicronologiche", "tijdstempel"}
QUALTRICS_SKIP_STATUS = {"survey preview", "survey test", "spam", "preview spam", "1", "2", "8", "9", "16"}
SUBLABELS_MEANING_ANSWER = {"", "response", "open-ended response", "open ended response"}
_DATE_VALUE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")
_NUMBER = re.compile(r"^\s*(-?\d+(?:\.\d+)?)")


def norm(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


@dataclass
class SurveyShape:
    """A recognised export: its platform, header rows, and which columns mean what."""

    platform: str
    header_rows: int
    columns: list[str]  # one unique display name per column (the question text where there is one)
    column_ids: list[str]  # the platform's own column ids (Qualtrics Q3_TEXT), for --text-column
    id_column: str | None = None
    date_column: str | None = None
    status_column: str | None = None
    notes: list[str] = field(default_factory=list)


class RowStream:
    """A CSV/TSV export's records as lists (quoted newlines kept), read a line at a time."""

    def __init__(self, path: str | Path):
        self.path = path
        self.text = TextStream(path)
        self.encoding = self.text.encoding
        first_line = next(self.text.lines(), "")
        tsv = Path(path).suffix.lower() == ".tsv" or first_line.count("\t") > first_line.count(",")
        self.delimiter = "\t" if tsv else ","
        self.first = []
        for row in self.rows():
            self.first.append(row)
            if len(self.first) == 3:  # what recognising the platform's header rows needs
                break
        max_columns = getattr(limits(), "max_columns", 2_000)
        if self.first and len(self.first[0]) > max_columns:
            raise InputFileError(path, f"has {len(self.first[0]):,} columns, over the limit of {max_columns:,} "
                                       "(VOICEMAP_MAX_COLUMNS)")

    def rows(self) -> Iterator[list[str]]:
        """Every record from the first, each time it is called."""
        limit = limits()
        # Oversized cells are reported row by row in the reader; the file-size limit already bounds memory.
        csv.field_size_limit(max(limit.max_file_bytes, limit.max_field_chars, 131072))
        max_rows = getattr(limit, "max_rows", 1_000_000)
        try:
            for count, row in enumerate(csv.reader(self.text.lines(), delimiter=self.delimiter), start=1):
                if count > max_rows + 3:
                    raise InputFileError(self.path, f"has more than {max_rows:,} rows (the VOICEMAP_MAX_ROWS "
                                                    "limit); split the file or raise the limit")
                yield row
        except csv.Error as exc:
            raise InputFileError(self.path, f"malformed CSV ({exc})") from None

    def position(self, header_lines: int = 0) -> float:
        """The share of the records after the header read so far (lines, so quoted line breaks count)."""
        read = self.text.lines_read - header_lines
        return min(1.0, max(0, read) / max(1, self.text.line_count - header_lines))


def read_rows(path: str | Path) -> tuple[list[list[str]], str]:
    """All CSV/TSV records as lists (quoted newlines kept), and the encoding used."""
    stream = RowStream(path)
    return list(stream.rows()), stream.encoding


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    result = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        result.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return result


def _is_import_id_row(row: list[str]) -> bool:
    cells = [c for c in row if c.strip()]
    return bool(cells) and sum(c.strip().startswith('{"ImportId"') for c in cells) >= len(cells) / 2


def _qualtrics(rows: list[list[str]]) -> SurveyShape | None:
    header = [c.strip() for c in rows[0]]
    keys = {c.lower() for c in header}  # Qualtrics' own ids, exactly: "response_id" is someone else's table
    if "responseid" not in keys and not {"startdate", "enddate", "finished", "recordeddate"} <= keys:
        return None
    if len(rows) > 2 and _is_import_id_row(rows[2]):
        questions = [q.strip() or i for q, i in zip(rows[1] + [""] * len(header), header)]
        header_rows = 3
    elif len(rows) > 1 and any(norm(c) in ("responseid", "startdate") and " " in c for c in rows[1]):
        questions = [q.strip() or i for q, i in zip(rows[1] + [""] * len(header), header)]  # legacy 2-row export
        header_rows = 2
    else:
        questions, header_rows = header, 1
    columns = _unique(questions)
    by_id = dict(zip(header, columns))
    id_column = next((by_id[c] for c in header if norm(c) == "responseid"), None)
    date_column = next((by_id[c] for c in header if norm(c) in ("enddate", "recordeddate")), None)
    status_column = next((by_id[c] for c in header if norm(c) == "status"), None)
    return SurveyShape("Qualtrics", header_rows, columns, header, id_column, date_column, status_column)


def _surveymonkey(path, rows: list[list[str]]) -> SurveyShape | None:
    header = [c.strip() for c in rows[0]]
    keys = {c.lower() for c in header}
    if not {"respondent id", "collector id"} <= keys:  # SurveyMonkey's own column names, exactly
        return None
    sub = (rows[1] + [""] * len(header))[: len(header)] if len(rows) > 1 else []
    id_index = next(i for i, c in enumerate(header) if c.lower() == "respondent id")
    if not sub or sub[id_index].strip().isdigit() or not any(norm(s) in ("response", "openendedresponse") for s in sub):
        raise InputFileError(path, "looks like a SurveyMonkey export but its second header row (answer labels such "
                                   "as 'Response' or 'Open-Ended Response') is missing; export it again with "
                                   "'Expanded' columns, or name the columns with --kind survey --text-column")
    columns, question = [], ""
    for name, label in zip(header, sub):
        question = name or question
        label = label.strip()
        columns.append(question if norm(label) in {norm(s) for s in SUBLABELS_MEANING_ANSWER}
                       else f"{question} - {label}")
    columns = _unique(columns)
    by_index = dict(enumerate(columns))
    id_column = next((by_index[i] for i, c in enumerate(header) if norm(c) == "respondentid"), None)
    date_column = next((by_index[i] for i, c in enumerate(header) if norm(c) == "enddate"), None)
    return SurveyShape("SurveyMonkey", 2, columns, header, id_column, date_column)


def _single_header(rows: list[list[str]]) -> SurveyShape | None:
    header = [c.strip() for c in rows[0]]
    keys = [norm(c) for c in header]
    columns = _unique([c or f"column {i + 1}" for i, c in enumerate(header)])
    if keys and keys[0] in GOOGLE_TIMESTAMP:
        return SurveyShape("Google Forms", 1, columns, header, None, columns[0])
    if "#" in header or "submitdateutc" in keys or "networkid" in keys:
        id_column = columns[header.index("#")] if "#" in header else None
        date_column = next((columns[i] for i, k in enumerate(keys) if k == "submitdateutc"), None)
        return SurveyShape("Typeform", 1, columns, header, id_column, date_column)
    return None


def check_header_is_names(path, header: list[str]) -> None:
    """Refuse a header that is missing or is really a data row: nothing sensible can be read from it."""
    names = [c.strip() for c in header]
    filled = [c for c in names if c]
    if len(filled) < len(names) * 2 / 3:
        raise InputFileError(path, f"{len(names) - len(filled)} of {len(names)} columns in the header row have no "
                                   "name, and the header matches no known survey export (Qualtrics, SurveyMonkey, "
                                   "Google Forms, Typeform); give every column a name")
    data_like = [c for c in filled if _NUMBER.fullmatch(c) or _DATE_VALUE.match(c)]
    if len(data_like) >= 2 and len(data_like) >= len(filled) / 3:
        raise InputFileError(path, "the first row looks like data, not column names, and matches no known survey "
                                   "export; add a header row naming the columns")


def identify_survey_shape(path: str | Path, rows: list[list[str]]) -> SurveyShape | None:
    """The platform shape of a survey export, None for a plain one-header table; raises on a broken header."""
    if not rows or not any(c.strip() for c in rows[0]):
        raise InputFileError(path, "has no header row")
    shape = _qualtrics(rows) or _surveymonkey(path, rows) or _single_header(rows)
    if shape is None or shape.header_rows == 1:
        check_header_is_names(path, rows[0])
    return shape


def _leading_number(value: str) -> float | None:
    match = _NUMBER.match(value or "")
    return float(match.group(1)) if match else None


class _ColumnValues:
    """What deciding a score column needs to know about all of a column's values, kept in constant memory."""

    def __init__(self) -> None:
        self.filled = self.numeric = 0
        self.within_0_10 = True
        self.distinct: set[str] = set()

    def add(self, value: str) -> None:
        self.filled += 1
        number = _leading_number(value)
        if number is not None:
            self.numeric += 1
            self.within_0_10 = self.within_0_10 and 0 <= number <= 10
        if len(self.distinct) <= 20:
            self.distinct.add(value)


def score_columns(table: Table | TableStream) -> dict[str, str]:
    """Which columns hold the NPS, the CSAT score and the customer segment, by name and values."""
    seen = {column: _ColumnValues() for column in table.columns}
    for row, _ in table.records():
        for column, values in seen.items():
            value = clean_cell(row.get(column))
            if value:
                values.add(value)
    found: dict[str, str] = {}
    for column, values in seen.items():
        if not values.filled:
            continue
        numeric = values.numeric >= 0.8 * values.filled
        lowered = column.lower()
        if "nps" not in found and numeric and re.search(r"recommend|\bnps\b|net promoter", lowered) \
                and values.within_0_10:
            found["nps"] = column
        elif "csat" not in found and numeric and re.search(r"satisf|csat", lowered):
            found["csat"] = column
        elif "segment" not in found and not numeric and len(values.distinct) <= 20 and \
                re.search(r"segment|\bplan\b|tier|persona|customer type|cohort", lowered):
            found["segment"] = column
    return found


def _text_columns(table: Table | TableStream, shape: SurveyShape, wanted: list[str] | None, path) -> list[str]:
    if wanted:
        by_id = dict(zip(shape.column_ids, shape.columns))
        return [by_id.get(name, name) for name in wanted]
    meta = {shape.id_column, shape.date_column, shape.status_column}
    first = table.head(20)
    dated = {c for c in table.columns if any(_DATE_VALUE.match(clean_cell(r.get(c))) for r in first)}
    columns = [c for c in detect_text_columns(table) if c not in meta and c not in dated]
    if not columns:
        raise InputFileError(path, f"no free-text question found in this {shape.platform} export; name one with "
                                   f"--text-column (questions: {', '.join(shape.columns)})")
    return columns


def _responses(path, rows: Iterator[list[str]], shape: SurveyShape, keep: list[int], position,
               skipped: list[str]) -> Iterator[tuple[dict, int, float]]:
    """Answer records keyed by question; preview/spam responses and oversized rows get a reason instead."""
    found, max_chars = False, limits().max_field_chars
    for number, row in enumerate(rows, start=1):
        if number <= shape.header_rows or not any(cell.strip() for cell in row):
            continue
        if len(row) > len(shape.columns) and any(c.strip() for c in row[len(shape.columns):]):
            skipped.append(f"row {number}: {len(row) - len(shape.columns)} more values than the header has columns")
            continue
        oversized = next((i for i in keep if i < len(row) and len(row[i]) > max_chars), None)
        if oversized is not None:
            skipped.append(f"row {number}: '{shape.columns[oversized][:40]}' has {len(row[oversized]):,} characters, "
                           f"over the {max_chars:,}-character limit (VOICEMAP_MAX_FIELD_CHARS)")
            continue
        record = {shape.columns[i]: (row[i] if i < len(row) else "") for i in keep}
        if shape.status_column and clean_cell(record.get(shape.status_column)).lower() in QUALTRICS_SKIP_STATUS:
            skipped.append(f"row {number}: {record[shape.status_column]} response, not a real respondent")
            continue
        found = True
        yield record, number, position()
    if not found:
        raise InputFileError(path, f"{shape.platform} export has header rows but no responses")


def _kept_columns(shape: SurveyShape) -> list[int]:
    return [i for i, name in enumerate(shape.column_ids) if norm(name) not in PERSONAL_COLUMNS
            and norm(shape.columns[i]) not in PERSONAL_COLUMNS]


def answer_table(path, rows: RowStream, shape: SurveyShape) -> TableStream:
    """The export's answers as a table keyed by question, read as it is consumed."""
    keep, skipped = _kept_columns(shape), []
    records = _responses(path, rows.rows(), shape, keep, lambda: rows.position(shape.header_rows), skipped)
    return TableStream(path, [shape.columns[i] for i in keep], records, "csv", rows.encoding, [skipped])


def build_table(path, rows: list[list[str]], shape: SurveyShape, encoding: str) -> tuple[Table, Source]:
    """Answer rows as a Table keyed by question; preview/spam responses and personal columns left out."""
    keep, skipped = _kept_columns(shape), []
    table_rows, numbers = [], []
    for record, number, _ in _responses(path, iter(rows), shape, keep, lambda: 0.0, skipped):
        table_rows.append(record)
        numbers.append(number)
    table = Table(str(path), table_rows, numbers, [shape.columns[i] for i in keep], "csv", encoding, skipped)
    return table, _personal_note(path, shape, keep)


def _personal_note(path, shape: SurveyShape, keep: list[int]) -> Source:
    note = Source(path=str(path), kind="survey")
    dropped = [shape.columns[i] for i in range(len(shape.columns)) if i not in keep]
    if dropped:
        note.warnings.append(f"left out personal-data columns: {', '.join(dropped)}")
    return note


def read_platform_survey(path: str | Path, rows: RowStream, shape: SurveyShape, text_columns: list[str] | None = None,
                         id_column: str | None = None) -> Source:
    """Read a recognised export; every answer keeps its question, score and segment."""
    source, utterances, _ = stream_platform_survey(path, rows, shape, text_columns, id_column)
    source.utterances = list(utterances)
    return source


def stream_platform_survey(path: str | Path, rows: RowStream, shape: SurveyShape,
                           text_columns: list[str] | None = None,
                           id_column: str | None = None) -> tuple[Source, Iterator[Utterance], TableStream]:
    """A recognised export's Source, its answers read lazily, and the table they come from (for its position).

    One pass over the file first finds the score columns, which depend on every answer.
    """
    scores = score_columns(answer_table(path, rows, shape))
    table = answer_table(path, rows, shape)
    columns = _text_columns(table, shape, text_columns, path)
    id_column = dict(zip(shape.column_ids, shape.columns)).get(id_column, id_column) or shape.id_column
    source, answers = stream_survey(path, text_columns=columns, id_column=id_column, table=table)
    source.warnings += _personal_note(path, shape, _kept_columns(shape)).warnings
    source.metadata.update({"platform": shape.platform, "header_rows": shape.header_rows,
                            "scores": scores, "format": "csv"})
    return source, _with_scores(answers, shape, scores), table


def _with_scores(answers: Iterator[Utterance], shape: SurveyShape, scores: dict[str, str]) -> Iterator[Utterance]:
    question_ids = dict(zip(shape.columns, shape.column_ids))
    for utterance in answers:
        metadata = dict(utterance.metadata)
        for key, column in scores.items():
            value = metadata.get(column, "")
            metadata[key] = _leading_number(value) if key != "segment" and _leading_number(value) is not None else value
        if question_ids.get(utterance.question) not in (None, utterance.question):
            metadata["question_id"] = question_ids[utterance.question]
        utterance.metadata = metadata
        rating = metadata.get("nps") if "nps" in scores else metadata.get("csat")
        if isinstance(rating, float):
            utterance.rating = rating
        if shape.date_column and metadata.get(shape.date_column):
            utterance.date = metadata[shape.date_column]
        yield utterance


def describe(shape: SurveyShape) -> str:
    """What the import line says it detected."""
    rows = f"{shape.header_rows} header row{'s' if shape.header_rows > 1 else ''}"
    own_id = dict(zip(shape.columns, shape.column_ids)).get(shape.id_column, shape.id_column)
    id_part = f", respondent id from '{own_id}'" if shape.id_column else ""
    return f"{shape.platform} survey export ({rows}{id_part})"
