"""Statement exports for spreadsheets and scripts: CSV and JSON Lines.

The field names are a contract teams script against: add fields, never rename.
CSV cells that a spreadsheet would run as a formula are made inert.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Iterable, Iterator, TextIO

from sqlite_utils import Database

from voicemap.store.query import StatementFilter, select_statements

STATEMENT_FIELDS = ("id", "source", "source_row", "participant", "text", "stage", "touchpoints", "sentiment",
                    "sentiment_score", "emotions", "pain", "pain_category", "origin", "cluster_id", "cluster_label")
FORMATS = ("csv", "jsonl")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def statement_record(row: dict[str, Any]) -> dict[str, Any]:
    """One export record; lists stay lists (JSONL) and are joined with ';' in CSV."""
    return {
        "id": row["id"],
        "source": row["source"],
        "source_row": row["row_id"] if row.get("row_id") not in (None, "") else row.get("line"),
        "participant": row.get("participant"),
        "text": row["text"],
        "stage": row["stage"],
        "touchpoints": row["touchpoints"],
        "sentiment": row["sentiment"],
        "sentiment_score": row["sentiment_score"],
        "emotions": row["emotions"],
        "pain": row["pain"],
        "pain_category": row["pain_category"],
        "origin": row["origin"],
        "cluster_id": row.get("cluster_id"),  # the current cluster run's recurring issue, if any
        "cluster_label": row.get("cluster_label"),
    }


def iter_statement_records(db: Database, flt: StatementFilter | None = None, privacy=None) -> Iterator[dict[str, Any]]:
    """Records in id order; with a `voicemap.privacy.Privacy`, texts redacted and/or participants pseudonymised."""
    rows = select_statements(db, flt)
    if privacy is not None and (privacy.redact or privacy.pseudonymise):
        from voicemap.privacy import project_names, protect_rows

        rows = protect_rows(rows, privacy, project_names(db) if privacy.redact else ())
    from voicemap.cluster.persist import current_assignments

    clusters = current_assignments(db)
    for row in rows:
        row["cluster_id"], row["cluster_label"] = clusters.get(row["id"], (None, None))
        yield statement_record(row)


def inert_cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas and terminal escapes in text cells (numbers are left alone)."""
    if isinstance(value, str):
        from voicemap.report.markdown import strip_control

        value = strip_control(value)  # a CSV printed to a terminal must not drive it
        if value.startswith(FORMULA_PREFIXES):
            return "'" + value
    return value


def _csv_value(value: Any) -> Any:
    if isinstance(value, list):
        value = ";".join(str(v) for v in value)
    elif isinstance(value, bool):
        value = "yes" if value else "no"
    return inert_cell(value)


def write_records(records: Iterable[dict[str, Any]], fmt: str, out: TextIO, fields: Iterable[str] | None = None) -> int:
    """Write records as CSV or JSONL; returns how many were written."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format '{fmt}' (choose from {', '.join(FORMATS)})")
    count = 0
    writer = None
    for record in records:
        if fmt == "jsonl":
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            if writer is None:
                writer = csv.DictWriter(out, fieldnames=list(fields or record.keys()), extrasaction="ignore")
                writer.writeheader()
            writer.writerow({k: _csv_value(v) for k, v in record.items()})
        count += 1
    if fmt == "csv" and writer is None and fields:
        csv.DictWriter(out, fieldnames=list(fields)).writeheader()
    return count


def export_statements(db: Database, fmt: str, out: TextIO, flt: StatementFilter | None = None, privacy=None) -> int:
    return write_records(iter_statement_records(db, flt, privacy), fmt, out, STATEMENT_FIELDS)


def export_to_string(db: Database, fmt: str) -> str:
    buffer = io.StringIO()
    export_statements(db, fmt, buffer)
    return buffer.getvalue()
