"""Human coding: a researcher's correction wins, is logged, and can be undone.

A correction supersedes earlier human rows of the same dimension (kept for the
audit trail) and adds new rows with origin "human", the coder and the time. An empty
value list is a real code too: "no emotion here". Automatic re-tagging never
touches these rows; `refresh_effective` re-derives the statements' columns.
"""

from __future__ import annotations

import getpass
import json
import os
from typing import Iterable

from sqlite_utils import Database

from voicemap.store.db import utc_now

MULTI_VALUED = {"touchpoint": "touchpoints", "emotion": "emotions"}
SINGLE_VALUED = {"stage": "stage", "sentiment": "sentiment", "pain": "pain", "pain_category": "pain_category"}
CODABLE_DIMENSIONS = ("stage", "touchpoint", "emotion", "sentiment", "pain", "pain_category")


class CodingError(ValueError):
    """A human code that cannot be stored (unknown statement or dimension)."""


def default_coder() -> str:
    """Who is coding: VOICEMAP_CODER, else the login name."""
    try:
        return os.environ.get("VOICEMAP_CODER") or getpass.getuser()
    except Exception:  # getuser fails in some containers
        return "researcher"


def effective_values(db: Database, statement_id: int, dimension: str) -> tuple[list[str], str]:
    """Current values of one dimension and where they come from ("human" or the automatic origin)."""
    human = list(db.query(
        "select value from tags where statement_id = ? and dimension = ? and origin = 'human' and superseded_by is null",
        [statement_id, dimension]))
    if human:
        return [r["value"] for r in human if r["value"] is not None], "human"
    auto = list(db.query(
        "select value, origin from tags where statement_id = ? and dimension = ? and origin != 'human' order by id",
        [statement_id, dimension]))
    return [r["value"] for r in auto if r["value"] is not None], (auto[0]["origin"] if auto else "rule")


def refresh_effective(db: Database, statement_ids: Iterable[int]) -> None:
    """Recompute the statements' code columns from the tags table."""
    for statement_id in statement_ids:
        update: dict[str, object] = {}
        origins = set()
        for dimension in CODABLE_DIMENSIONS:
            values, origin = effective_values(db, statement_id, dimension)
            origins.add(origin)
            if dimension in MULTI_VALUED:
                update[MULTI_VALUED[dimension]] = json.dumps(values)
            elif dimension == "pain":
                update["pain"] = int(bool(values) and values[0] == "yes")
            else:
                update[SINGLE_VALUED[dimension]] = values[0] if values else None
        if not update["pain"]:
            update["pain_category"] = None
        update["origin"] = "human" if "human" in origins else sorted(origins - {"human"})[0]
        db["statements"].update(statement_id, update)


def set_human_code(
    db: Database, statement_id: int, dimension: str, values: list[str] | str | None, coder: str | None = None
) -> int:
    """Store a researcher's code for one dimension; returns the correction id."""
    if dimension not in CODABLE_DIMENSIONS:
        raise CodingError(f"unknown dimension '{dimension}' (choose from {', '.join(CODABLE_DIMENSIONS)})")
    if db.execute("select 1 from statements where id = ?", [statement_id]).fetchone() is None:
        raise CodingError(f"no statement with id {statement_id}")
    if values is None:
        values = []
    elif isinstance(values, str):
        values = [values]
    if dimension not in MULTI_VALUED and len(values) > 1:
        raise CodingError(f"{dimension} takes one value, got {len(values)}")
    if dimension == "pain":
        values = ["yes" if str(v).lower() in ("yes", "true", "1", "y") else "no" for v in values] or ["no"]
    coder = coder or default_coder()
    now = utc_now()
    with db.atomic():
        old, _ = effective_values(db, statement_id, dimension)
        correction_id = db["corrections"].insert({
            "statement_id": statement_id, "dimension": dimension, "old_values": json.dumps(old),
            "new_values": json.dumps(values), "coder": coder, "created_at": now, "undone_at": None,
        }).last_pk
        db.execute(
            "update tags set superseded_by = ? where statement_id = ? and dimension = ? and origin = 'human' "
            "and superseded_by is null", [correction_id, statement_id, dimension])
        rows = [{"statement_id": statement_id, "dimension": dimension, "value": value, "origin": "human",
                 "confidence": 1.0, "cue": None, "coder": coder, "created_at": now,
                 "correction_id": correction_id, "superseded_by": None} for value in values]
        # "No emotion" is a code too: a NULL-valued row records the decision.
        rows = rows or [{"statement_id": statement_id, "dimension": dimension, "value": None, "origin": "human",
                         "confidence": 1.0, "cue": None, "coder": coder, "created_at": now,
                         "correction_id": correction_id, "superseded_by": None}]
        db["tags"].insert_all(rows)
        refresh_effective(db, [statement_id])
    return correction_id


def undo_last_correction(db: Database, coder: str | None = None) -> dict | None:
    """Undo the most recent correction (of this coder, if given); returns it, or None."""
    where = "undone_at is null" + (" and coder = ?" if coder else "")
    rows = list(db.query(f"select * from corrections where {where} order by id desc limit 1", [coder] if coder else []))
    if not rows:
        return None
    correction = rows[0]
    with db.atomic():
        db.execute("delete from tags where correction_id = ?", [correction["id"]])
        db.execute("update tags set superseded_by = null where superseded_by = ?", [correction["id"]])
        db["corrections"].update(correction["id"], {"undone_at": utc_now()})
        refresh_effective(db, [correction["statement_id"]])
    return correction
