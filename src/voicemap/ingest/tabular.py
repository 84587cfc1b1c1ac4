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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils.utils import Format, RowError, rows_from_file

from voicemap.ingest.decoding import read_text
from voicemap.ingest.errors import InputFileError
from voicemap.settings import limits

EXTRA_KEY = "_voicemap_extra_values"


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


def _json_rows(path: Path, text: str, fmt: Format) -> tuple[list[dict], list[int]]:
    if fmt == Format.NL:
        rows, numbers = [], []
        for number, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputFileError(path, f"line {number} is not valid JSON ({exc.msg})") from None
            if not isinstance(value, dict):
                raise InputFileError(path, f"line {number} is a JSON {type(value).__name__}, expected an object")
            rows.append(value)
            numbers.append(number)
        return rows, numbers
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(path, f"is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise InputFileError(path, "JSON is nested too deeply to be a list of records") from None
    if isinstance(value, dict):
        # {"reviews": [...]} is a common wrapper: take the single list of objects inside.
        lists = [v for v in value.values() if isinstance(v, list) and v and all(isinstance(i, dict) for i in v)]
        value = lists[0] if len(lists) == 1 else [value]
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise InputFileError(path, "JSON must be a list of objects (one per review or answer)")
    return value, list(range(1, len(value) + 1))


def read_table(path: str | Path) -> Table:
    """Read a tabular file; raise InputFileError with a one-line reason on bad input."""
    path = Path(path)
    text, encoding = read_text(path)
    fmt = _format_for(path, text) or _sniff_csv_format(text)
    skipped: list[str] = []
    if fmt in (Format.JSON, Format.NL):
        rows, numbers = _json_rows(path, text, fmt)
        columns: list[str] = []
        for row in rows:
            columns.extend(k for k in row if k not in columns)
    else:
        rows, numbers = [], []
        try:
            csv.field_size_limit(max(limits().max_field_chars, 131072))
            # TSV goes through the CSV path with a tab dialect so ragged rows are reported, not raised.
            reader, _ = rows_from_file(io.BytesIO(text.encode("utf-8")), format=Format.CSV, extras_key=EXTRA_KEY,
                                       dialect=csv.excel_tab if fmt == Format.TSV else None)
            reader_iter = iter(reader)
            columns = []
            for number, row in enumerate(reader_iter, start=2):
                if not columns:
                    columns = [c for c in row.keys() if c != EXTRA_KEY]
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
    columns = [c for c in columns if c is not None]
    if len(set(columns)) != len(columns):
        dupes = sorted({c for c in columns if columns.count(c) > 1})
        skipped.append(f"duplicate column names {dupes}: only the last of each is kept")
    if not rows:
        raise InputFileError(path, "has a header but no data rows" if columns else "has no rows")
    return Table(str(path), rows, numbers, columns, fmt.name.lower(), encoding, skipped)


def clean_cell(value: Any) -> str:
    """Cells become stripped strings; None, lists and numbers are made readable."""
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value).strip()


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
            path, f"{option} {', '.join(repr(m) for m in missing)} not found; columns are: {', '.join(columns)}"
        )


def as_float(value: Any) -> float | None:
    try:
        return float(str(value).strip()) if str(value).strip() else None
    except ValueError:
        return None
