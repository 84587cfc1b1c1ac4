"""Rows from CSV, TSV, JSON and JSON Lines files, one at a time.

We decode the bytes ourselves (see decoding.py) because exports arrive in UTF-16 and
cp1252. CSV, TSV and JSON Lines are read a line at a time (`open_table`), so a
100,000-row export never sits in memory: readers turn each row into utterances as the
import asks for them; a JSON document's records are streamed too (json_stream.py). Every row keeps its
spreadsheet row number so a quote can cite it.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from sqlite_utils.utils import Format

from voicemap.ingest.decoding import TextStream, strip_control_chars
from voicemap.ingest.errors import InputFileError
from voicemap.ingest.json_stream import stream_json_records
from voicemap.settings import Limits, limits

EXTRA_KEY = "_voicemap_extra_values"
SHOWN_COLUMNS = 30  # column lists in messages: enough to spot the right name, never a screenful
SHOWN_NAME_CHARS = 40
HEAD_CHARS = 65_536  # text looked at to tell CSV from TSV from JSON
Row = tuple[dict[str, Any], int, float]  # (row, row number, share of the file read once it is)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")  # "\ud83d": maybe half of a pair


@dataclass
class Table:
    """A file's rows as dictionaries, with where each row came from (all in memory)."""

    path: str
    rows: list[dict[str, Any]]
    row_numbers: list[int]
    columns: list[str]
    format: str
    encoding: str
    skipped: list[str] = field(default_factory=list)
    position: float = 0.0  # share of the rows `records()` has handed out

    def head(self, count: int) -> list[dict[str, Any]]:
        return self.rows[:count]

    def records(self) -> Iterator[tuple[dict[str, Any], int]]:
        for index, (row, number) in enumerate(zip(self.rows, self.row_numbers), start=1):
            self.position = index / len(self.rows)
            yield row, number


class TableStream:
    """A table's rows one at a time, with what the header says; what `Table` offers, without holding the file.

    `head(n)` reads ahead (readers judge columns on the first rows) and `records()`
    hands out those rows and then the rest, once. Reasons for rows left out are in
    `skipped` once `records()` is exhausted; an error found late in the file is raised
    from `records()`, so the caller (one transaction per file) stores nothing.
    """

    def __init__(self, path: str | Path, columns: list[str], rows: Iterator[Row], fmt: str, encoding: str,
                 skipped: list[list[str]]):
        self.path, self.columns, self.format, self.encoding = str(path), columns, fmt, encoding
        self._rows, self._skipped = rows, skipped
        self._ahead: deque[Row] = deque()
        self.position = 0.0

    @property
    def skipped(self) -> list[str]:
        return [reason for part in self._skipped for reason in part]

    def head(self, count: int) -> list[dict[str, Any]]:
        while len(self._ahead) < count:
            row = next(self._rows, None)
            if row is None:
                break
            self._ahead.append(row)
        return [row for row, _, _ in list(self._ahead)[:count]]

    def records(self) -> Iterator[tuple[dict[str, Any], int]]:
        while self._ahead:
            row, number, self.position = self._ahead.popleft()
            yield row, number
        for row, number, self.position in self._rows:
            yield row, number

    def materialise(self) -> Table:
        """All rows in memory, for readers that must see the whole file at once (transcripts in a table)."""
        rows, numbers = [], []
        for row, number in self.records():
            rows.append(row)
            numbers.append(number)
        return Table(self.path, rows, numbers, self.columns, self.format, self.encoding, self.skipped)


def _format_for(path: Path, text: str) -> Format | None:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return Format.NL
    if suffix == ".json":
        return Format.JSON
    if suffix == ".tsv":
        return Format.TSV
    stripped = text.lstrip()
    if stripped.startswith("["):
        return Format.JSON
    if stripped.startswith("{"):
        first_line = stripped.split("\n", 1)[0].strip()
        return Format.NL if first_line.endswith("}") and "\n" in stripped.strip() else Format.JSON
    return None


def _sniff_csv_format(text: str) -> Format:
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        return Format.CSV
    return Format.TSV if dialect.delimiter == "\t" else Format.CSV


def _load_json(path: Path, text: str, where: str = "") -> Any:
    """json.loads with every way it can fail turned into one line naming the file."""
    try:
        value = json.loads(text)
        return _without_lone_surrogates(value) if _SURROGATE_ESCAPE.search(text) else value
    except json.JSONDecodeError as exc:
        position = f" at line {exc.lineno}" if not where else ""
        raise InputFileError(path, f"{where or 'is'} not valid JSON ({exc.msg}{position})") from None
    except RecursionError:
        raise InputFileError(path, f"{where + ' ' if where else ''}JSON is nested too deeply to be a list of "
                                   f"records (limit {limits().max_json_depth} levels, VOICEMAP_MAX_JSON_DEPTH)") from None
    except ValueError as exc:  # e.g. an integer with more digits than Python will convert
        raise InputFileError(path, f"{where or 'is'} not usable JSON ({str(exc).splitlines()[0][:120]})") from None


def _without_lone_surrogates(value: Any) -> Any:
    r"""Replace a lone "\ud800"-style escape's character with "?", as the streaming parser does.

    Such a character cannot be stored (it is not UTF-8); one in a review made the whole
    file fail at the database. Pairs (an escaped emoji) are one character already.
    """
    def clean(item: Any) -> Any:
        return item.encode("utf-8", "replace").decode("utf-8") if isinstance(item, str) else item

    value = clean(value)
    stack = [value]
    while stack:  # no recursion: json.loads accepts nesting deeper than Python's recursion limit allows here
        item = stack.pop()
        if isinstance(item, list):
            item[:] = [clean(child) for child in item]
            stack.extend(child for child in item if isinstance(child, (list, dict)))
        elif isinstance(item, dict):
            cleaned = {clean(key): clean(child) for key, child in item.items()}
            item.clear()
            item.update(cleaned)
            stack.extend(child for child in item.values() if isinstance(child, (list, dict)))
    return value


def _json_rows(path: Path, text: str, fmt: Format) -> tuple[list[dict], list[int]]:
    if fmt == Format.NL:
        rows, numbers = [], []
        for row, number in _json_lines(path, text.split("\n")):
            rows.append(row)
            numbers.append(number)
        return rows, numbers
    value = _load_json(path, text)
    if isinstance(value, dict):
        # {"reviews": [...]} is a common wrapper: take the single list of objects inside.
        lists = [v for v in value.values() if isinstance(v, list) and v and all(isinstance(i, dict) for i in v)]
        value = lists[0] if len(lists) == 1 else [value]
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise InputFileError(path, "JSON must be a list of objects (one per review or answer)")
    _check_row_count(path, len(value))
    return value, list(range(1, len(value) + 1))


def _json_lines(path: Path, lines) -> Iterator[tuple[dict, int]]:
    """JSON Lines records with their line numbers; a bad line is an error naming it."""
    count, limit = 0, limits()
    for number, line in enumerate(lines, start=1):
        line = line.rstrip("\n")
        if not line.strip():
            continue
        value = _load_json(path, line, f"line {number} is")
        if not isinstance(value, dict):
            raise InputFileError(path, f"line {number} is a JSON {type(value).__name__}, expected an object")
        count += 1
        _check_row_count(path, count, limit)
        yield value, number


def _columns_of(rows, limit: Limits) -> list[str]:
    """Every key any record has, in order of first appearance (stops once past the column limit)."""
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
        if len(seen) > limit.max_columns:
            break
    return list(seen)


def _check_row_count(path: Path, count: int, limit: Limits | None = None) -> None:
    max_rows = (limit or limits()).max_rows
    if count > max_rows:
        raise InputFileError(path, f"has more than {max_rows:,} rows (the VOICEMAP_MAX_ROWS limit); "
                                   "split the file or raise the limit")


def _check_columns(path: Path, columns: list[str], limit: Limits) -> None:
    """Refuse headers no survey has: they cost memory for every row and are usually a wrong delimiter."""
    if len(columns) > limit.max_columns:
        raise InputFileError(path, f"has {len(columns):,} columns, over the limit of {limit.max_columns:,} "
                                   "(VOICEMAP_MAX_COLUMNS)")
    header_chars = sum(len(str(c)) for c in columns)
    if header_chars > limit.max_field_chars:
        raise InputFileError(path, f"its column names add up to {header_chars:,} characters, over the "
                                   f"{limit.max_field_chars:,}-character limit (VOICEMAP_MAX_FIELD_CHARS)")


def _nesting_depth(value: Any, stop_after: int) -> int:
    """How deep lists/objects nest (1 for a flat list), counted without recursion; stops past `stop_after`."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > stop_after:
            break
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, (list, dict)))
    return deepest


def _row_problem(row: dict[str, Any], limit: Limits) -> str | None:
    """Why a row cannot be kept whole (an oversized or over-nested cell), or None."""
    for key, value in row.items():
        if isinstance(value, (list, dict)):
            if _nesting_depth(value, limit.max_json_depth) > limit.max_json_depth:
                return (f"field {short_name(key)} is nested more than {limit.max_json_depth} levels deep "
                        "(VOICEMAP_MAX_JSON_DEPTH)")
            value = clean_cell(value)
        if isinstance(value, str) and len(value) > limit.max_field_chars:
            return (f"field {short_name(key)} has {len(value):,} characters, over the {limit.max_field_chars:,}-"
                    "character limit (VOICEMAP_MAX_FIELD_CHARS)")
    return None


def short_name(name: Any) -> str:
    """A column name fit for a one-line message: no control characters, never a screenful."""
    name = strip_control_chars(str(name)).replace("\n", " ")
    return repr(name if len(name) <= SHOWN_NAME_CHARS else name[:SHOWN_NAME_CHARS] + "…")


def shown_columns(columns: list[str]) -> str:
    """The column list error messages show."""
    shown = ", ".join(short_name(c).strip("'\"") for c in columns[:SHOWN_COLUMNS])
    more = len(columns) - SHOWN_COLUMNS
    return shown + (f", … and {more:,} more" if more > 0 else "")


def _kept(path: Path, rows: Iterator[Row], limit: Limits, oversized: list[str], columns: list[str]) -> Iterator[Row]:
    """Rows within the limits; each one left out gets its reason. At the end, refuse a file with none."""
    seen = kept = 0
    for row, number, position in rows:
        seen += 1
        problem = _row_problem(row, limit)
        if problem:
            oversized.append(f"row {number}: {problem}; skipped")
            continue
        kept += 1
        yield row, number, position
    if seen and not kept:
        raise InputFileError(path, f"no row could be kept ({oversized[-1]})")
    if not seen:
        raise InputFileError(path, "has a header but no data rows" if columns else "has no rows")


def _csv_rows(path: Path, text: TextStream, fmt: Format, limit: Limits, columns: list[str], extras: list[str],
              notes: list[str]) -> Iterator[Row]:
    """CSV/TSV rows as dictionaries, a line at a time; `columns` is filled from the header as it is read."""
    # Oversized fields are reported row by row; the file-size limit already bounds memory.
    csv.field_size_limit(max(limit.max_file_bytes, limit.max_field_chars, 131072))
    # TSV goes through the CSV path with a tab dialect so ragged rows are reported, not raised.
    reader = csv.DictReader(text.lines(), dialect=csv.excel_tab if fmt == Format.TSV else csv.excel)
    lines = max(1, text.line_count - 1)  # after the header: the first row is 1/lines of the way
    try:
        for number, row in enumerate(reader, start=2):
            if not columns:
                columns.extend(c for c in row.keys() if c is not None)
                _check_columns(path, columns, limit)
            _check_row_count(path, number - 1, limit)
            extra = row.pop(None, None)
            if extra:
                extras.append(f"row {number}: {len(extra)} more values than the header has columns")
                continue
            if all(v in (None, "") for v in row.values()):
                continue
            yield row, number, min(1.0, (reader.line_num - 1) / lines)
    except csv.Error as exc:
        raise InputFileError(path, f"malformed {fmt.name} ({exc})") from None
    if not columns:
        header = next(text.lines(), "").rstrip("\n")
        columns.extend(next(csv.reader([header], delimiter="\t" if fmt == Format.TSV else ",")) if header else [])
        _check_columns(path, columns, limit)
    if len(set(columns)) != len(columns):
        dupes = sorted(c for c, n in Counter(columns).items() if n > 1)
        notes.append(f"duplicate column names [{shown_columns(dupes)}]: only the last of each is kept")


def _positioned(rows: list[dict], numbers: list[int]) -> Iterator[Row]:
    for index, (row, number) in enumerate(zip(rows, numbers), start=1):
        yield row, number, index / len(rows)


def open_table(path: str | Path) -> TableStream:
    """Open a tabular file to read row by row; bad headers and files without rows fail here, bad rows later."""
    path = Path(path)
    text = TextStream(path)
    head = text.head(HEAD_CHARS)
    fmt = _format_for(path, head)
    limit = limits()
    columns: list[str] = []
    extras: list[str] = []
    notes: list[str] = []
    oversized: list[str] = []
    if fmt == Format.NL and path.suffix.lower() in (".jsonl", ".ndjson"):
        # Records differ in keys and every row's metadata names them all: a first pass collects the keys.
        columns += _columns_of((row for row, _ in _json_lines(path, text.lines())), limit)
        _check_columns(path, columns, limit)
        lines = max(1, text.line_count)
        rows: Iterator[Row] = ((row, number, min(1.0, number / lines))
                               for row, number in _json_lines(path, text.lines()))
    elif fmt == Format.JSON and (streamed := stream_json_records(path, text, limit)):
        found, count, rows = streamed  # a list of records, read one at a time
        _check_row_count(path, count, limit)
        columns += found
        _check_columns(path, columns, limit)
    elif fmt in (Format.JSON, Format.NL) or not head.strip():
        whole = text.text()  # anything json_stream leaves to json.loads: parsed whole, as before
        fmt = _format_for(path, whole) or _sniff_csv_format(whole)
        if fmt in (Format.JSON, Format.NL):
            json_rows, numbers = _json_rows(path, whole, fmt)
            del whole
            columns += _columns_of(json_rows, limit)
            _check_columns(path, columns, limit)
            rows = _positioned(json_rows, numbers)
        else:
            rows = _csv_rows(path, text, fmt, limit, columns, extras, notes)
    else:
        fmt = fmt or _sniff_csv_format(head)
        rows = _csv_rows(path, text, fmt, limit, columns, extras, notes)
    table = TableStream(path, columns, _kept(path, rows, limit, oversized, columns), fmt.name.lower(),
                        text.encoding, [extras, notes, oversized])
    table.head(1)  # reads the header, and fails on a file without rows, before anything is imported
    return table


def read_table(path: str | Path) -> Table:
    """Read a whole tabular file; raise InputFileError with a one-line reason on bad input."""
    return open_table(path).materialise()


def clean_cell(value: Any) -> str:
    """Cells become stripped strings; None, lists and numbers are made readable."""
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return strip_control_chars(json.dumps(value, ensure_ascii=False))
    return strip_control_chars(str(value)).strip()


def find_column(columns: list[str], candidates: tuple[str, ...]) -> str | None:
    """First column whose normalised name is one of the candidates (case, spaces, _ ignored)."""
    def norm(name: str) -> str:
        return "".join(ch for ch in name.lower() if ch.isalnum())

    by_norm = {norm(c): c for c in columns}
    for candidate in candidates:
        if norm(candidate) in by_norm:
            return by_norm[norm(candidate)]
    return None


def require_columns(path: str, columns: list[str], wanted: list[str], option: str) -> None:
    missing = [c for c in wanted if c not in columns]
    if missing:
        raise InputFileError(
            path, f"{option} {', '.join(short_name(m) for m in missing)} not found; columns are: {shown_columns(columns)}"
        )


def as_float(value: Any) -> float | None:
    try:
        return float(str(value).strip()) if str(value).strip() else None
    except ValueError:
        return None
