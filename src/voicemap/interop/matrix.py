"""The code matrix: one row per statement, one 0/1 column per code, for spreadsheets and stats tools.

This is the table researchers ask QDA tools for: each statement with its source,
participant and metadata (segment, NPS, question...), and a column per code
(`stage:onboarding`, `touchpoint:app`, `emotion:frustration`, `pain`,
`pain_category:delivery`, `sentiment:negative`) holding 1 when the statement has it.
Codes are the effective ones (a researcher's code wins). Every column of the
codebook is present even when no statement has it, so matrices from two projects
line up. Cells are made formula-inert when written (export.write_records).
"""

from __future__ import annotations

from typing import Any, Iterator

from sqlite_utils import Database

from voicemap.codebook import Codebook
from voicemap.interop.codes import SENTIMENTS
from voicemap.store.query import StatementFilter, select_statements

FIXED_FIELDS = ("id", "source", "participant", "location", "question", "rating", "date", "text")
FORMATS = ("csv", "jsonl")


def code_columns(db: Database, codebook: Codebook) -> list[tuple[str, str, str | None]]:
    """(column name, dimension, value) for every code of the codebook plus any found only in the data."""
    found: dict[str, set[str]] = {"stage": set(), "touchpoint": set(), "emotion": set(), "pain_category": set()}
    for column, dimension in (("stage", "stage"), ("pain_category", "pain_category")):
        found[dimension] |= {r[0] for r in db.execute(f"select distinct {column} from statements "
                                                      f"where {column} is not null")}
    for column, dimension in (("touchpoints", "touchpoint"), ("emotions", "emotion")):
        found[dimension] |= {r[0] for r in db.execute(f"select distinct j.value from statements, "
                                                      f"json_each(statements.{column}) j")}
    columns: list[tuple[str, str, str | None]] = []
    for dimension in ("stage", "touchpoint", "emotion"):
        ids = codebook.ids(dimension)
        columns += [(f"{dimension}:{v}", dimension, v) for v in ids + sorted(found[dimension] - set(ids))]
    columns.append(("pain", "pain", None))
    ids = codebook.ids("pain_category")
    columns += [(f"pain_category:{v}", "pain_category", v) for v in ids + sorted(found["pain_category"] - set(ids))]
    columns += [(f"sentiment:{v}", "sentiment", v) for v in SENTIMENTS]
    return columns


def metadata_columns(db: Database, taken: set[str]) -> list[tuple[str, str]]:
    """(column name, metadata key) for every metadata key of customer utterances.

    A key that repeats a fixed column (a review's own "rating" or "date") is left out;
    one that clashes with a code column gets a "meta:" prefix.
    """
    keys = [r[0] for r in db.execute(
        "select j.key from utterances u, json_each(u.metadata) j where u.is_customer = 1 "
        "group by j.key order by min(u.id), j.key")]
    fixed = {name.lower() for name in FIXED_FIELDS}
    return [(f"meta:{key}" if key in taken else key, key) for key in keys if key.lower() not in fixed]


def _has(row: dict[str, Any], dimension: str, value: str | None) -> int:
    if dimension == "stage":
        return int(row["stage"] == value)
    if dimension == "touchpoint":
        return int(value in row["touchpoints"])
    if dimension == "emotion":
        return int(value in row["emotions"])
    if dimension == "pain":
        return int(bool(row["pain"]))
    if dimension == "pain_category":
        return int(bool(row["pain"]) and row["pain_category"] == value)
    return int(row["sentiment"] == value)


def matrix_records(db: Database, codebook: Codebook, flt: StatementFilter | None = None,
                   privacy=None) -> tuple[list[str], Iterator[dict[str, Any]]]:
    """The matrix's field names and its rows (lazily, in statement order)."""
    codes = code_columns(db, codebook)
    taken = set(FIXED_FIELDS) | {name for name, _, _ in codes}
    meta = metadata_columns(db, taken)
    fields = [*FIXED_FIELDS, *(name for name, _ in meta), *(name for name, _, _ in codes)]
    rows = select_statements(db, flt)
    if privacy is not None and (privacy.redact or privacy.pseudonymise):
        from voicemap.privacy import project_names, protect_rows

        rows = protect_rows(rows, privacy, project_names(db) if privacy.redact else ())

    def records() -> Iterator[dict[str, Any]]:
        for row in rows:
            record = {"id": row["id"], "source": row["source"], "participant": row.get("participant"),
                      "location": row["location"], "question": row.get("question"), "rating": row.get("rating"),
                      "date": row.get("date"), "text": row["text"]}
            metadata = row.get("metadata") or {}
            record.update({name: metadata.get(key, "") for name, key in meta})
            record.update({name: _has(row, dimension, value) for name, dimension, value in codes})
            yield record

    return fields, records()
