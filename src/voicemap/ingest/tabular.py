"""Rows from CSV, TSV, JSON and JSON Lines files, via sqlite-utils' own sniffing.

We decode the bytes ourselves first (see decoding.py) because exports arrive in
UTF-16 and cp1252, then hand UTF-8 to `rows_from_file`, which already knows how to
tell CSV from TSV from JSON. Every row keeps its spreadsheet row number so a quote
can cite it.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils.utils import Format, RowError, rows_from_file

from voicemap.ingest.decoding import read_text, strip_control_chars
from voicemap.ingest.errors import InputFileError
from voicemap.settings import Limits, limits

EXTRA_KEY = "_voicemap_extra_values"
SHOWN_COLUMNS = 30  # column lists in messages: enough to spot the right name, never a screenful
SHOWN_NAME_CHARS = 40


@dataclass
class Table:
    """A file's rows as dictionaries, with where each row came from."""

    path: str
    rows: list[dict[str, Any]]
    row_numbers: list[int]
    columns: list[str]
    format: str
    encoding: str
    skipped: list[str] = field(default_factory=list)


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
        return json.loads(text)
    except json.JSONDecodeError as exc:
        position = f" at line {exc.lineno}" if not where else ""
        raise InputFileError(path, f"{where or 'is'} not valid JSON ({exc.msg}{position})") from None
    except RecursionError:
        raise InputFileError(path, f"{where + ' ' if where else ''}JSON is nested too deeply to be a list of "
                                   f"records (limit {limits().max_json_depth} levels, VOICEMAP_MAX_JSON_DEPTH)") from None
    except ValueError as exc:  # e.g. an integer with more digits than Python will convert
        raise InputFileError(path, f"{where or 'is'} not usable JSON ({str(exc).splitlines()[0][:120]})") from None


def _json_rows(path: Path, text: str, fmt: Format) -> tuple[list[dict], list[int]]:
    if fmt == Format.NL:
        rows, numbers = [], []
        for number, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            value = _load_json(path, line, f"line {number} is")
            if not isinstance(value, dict):
                raise InputFileError(path, f"line {number} is a JSON {type(value).__name__}, expected an object")
            rows.append(value)
            numbers.append(number)
            _check_row_count(path, len(rows))
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


def _check_row_count(path: Path, count: int) -> None:
    if count > limits().max_rows:
        raise InputFileError(path, f"has more than {limits().max_rows:,} rows (the VOICEMAP_MAX_ROWS limit); "
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


def _whole_rows(path: Path, rows: list[dict], numbers: list[int], limit: Limits,
                skipped: list[str]) -> tuple[list[dict], list[int]]:
    """Rows within the limits; each one left out gets its reason in `skipped`."""
    kept_rows, kept_numbers = [], []
    for row, number in zip(rows, numbers):
        problem = _row_problem(row, limit)
        if problem:
            skipped.append(f"row {number}: {problem}; skipped")
        else:
            kept_rows.append(row)
            kept_numbers.append(number)
    if rows and not kept_rows:
        raise InputFileError(path, f"no row could be kept ({skipped[-1]})")
    return kept_rows, kept_numbers


def read_table(path: str | Path) -> Table:
    """Read a tabular file; raise InputFileError with a one-line reason on bad input."""
    path = Path(path)
    text, encoding = read_text(path)
    fmt = _format_for(path, text) or _sniff_csv_format(text)
    skipped: list[str] = []
    limit = limits()
    if fmt in (Format.JSON, Format.NL):
        rows, numbers = _json_rows(path, text, fmt)
        seen: dict[str, None] = {}
        for row in rows:
            seen.update(dict.fromkeys(row))
            if len(seen) > limit.max_columns:
                break
        columns: list[str] = list(seen)
        _check_columns(path, columns, limit)
    else:
        rows, numbers = [], []
        try:
            # Oversized fields are reported row by row below; the file-size limit already bounds memory.
            csv.field_size_limit(max(limit.max_file_bytes, limit.max_field_chars, 131072))
            # TSV goes through the CSV path with a tab dialect so ragged rows are reported, not raised.
            reader, _ = rows_from_file(io.BytesIO(text.encode("utf-8")), format=Format.CSV, extras_key=EXTRA_KEY,
                                       dialect=csv.excel_tab if fmt == Format.TSV else None)
            reader_iter = iter(reader)
            columns = []
            for number, row in enumerate(reader_iter, start=2):
                if not columns:
                    columns = [c for c in row.keys() if c != EXTRA_KEY]
                    _check_columns(path, columns, limit)
                _check_row_count(path, number - 1)
                if row.get(EXTRA_KEY):
                    skipped.append(f"row {number}: {len(row[EXTRA_KEY])} more values than the header has columns")
                    continue
                if all(v in (None, "") for v in row.values()):
                    continue
                rows.append(row)
                numbers.append(number)
        except (csv.Error, RowError) as exc:
            raise InputFileError(path, f"malformed {fmt.name} ({exc})") from None
        if not columns:
            header = text.split("\n", 1)[0]
            columns = next(csv.reader([header], delimiter="\t" if fmt == Format.TSV else ",")) if header else []
            _check_columns(path, columns, limit)
    columns = [c for c in columns if c is not None]
    if len(set(columns)) != len(columns):
        dupes = sorted(c for c, n in Counter(columns).items() if n > 1)
        skipped.append(f"duplicate column names [{shown_columns(dupes)}]: only the last of each is kept")
    rows, numbers = _whole_rows(path, rows, numbers, limit, skipped)
    if not rows:
        raise InputFileError(path, "has a header but no data rows" if columns else "has no rows")
    return Table(str(path), rows, numbers, columns, fmt.name.lower(), encoding, skipped)


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
