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


REFRESH_CHUNK = 500  # statements per query: well under SQLite's limit on bound parameters


def refresh_effective(db: Database, statement_ids: Iterable[int]) -> None:
    """Recompute the statements' code columns from the tags table, a chunk of statements per query.

    Per dimension a current human code wins (superseded ones are history); otherwise the
    automatic tags in the order they were written, whose first row names the origin. One
    query reads every tag of a chunk, so re-deriving 100k statements is not 600k queries.
    """
    ids = list(dict.fromkeys(statement_ids))
    dimensions = ", ".join(f"'{d}'" for d in CODABLE_DIMENSIONS)
    for start in range(0, len(ids), REFRESH_CHUNK):
        chunk = ids[start:start + REFRESH_CHUNK]
        tags: dict[int, dict[str, tuple[list, list]]] = {i: {} for i in chunk}
        for statement_id, dimension, value, origin, superseded_by in db.execute(
                f"select statement_id, dimension, value, origin, superseded_by from tags "
                f"where statement_id in ({','.join('?' * len(chunk))}) and dimension in ({dimensions}) "
                f"order by statement_id, id", chunk):
            human, auto = tags[statement_id].setdefault(dimension, ([], []))
            if origin == "human":
                if superseded_by is None:
                    human.append(value)
            elif origin is not None:  # `origin != 'human'`, as SQL reads it: NULL is neither
                auto.append((value, origin))
        db.conn.executemany(
            "update statements set stage = ?, touchpoints = ?, emotions = ?, sentiment = ?, pain = ?, "
            "pain_category = ?, origin = ? where id = ?",
            [(*_effective_columns(tags[statement_id]), statement_id) for statement_id in chunk])


def _effective_columns(by_dimension: dict[str, tuple[list, list]]) -> tuple:
    """(stage, touchpoints, emotions, sentiment, pain, pain_category, origin) from one statement's tags."""
    update: dict[str, object] = {}
    origins = set()
    for dimension in CODABLE_DIMENSIONS:
        human, auto = by_dimension.get(dimension, ([], []))
        if human:
            values, origin = [v for v in human if v is not None], "human"
        else:
            values, origin = [v for v, _ in auto if v is not None], (auto[0][1] if auto else "rule")
        origins.add(origin)
        if dimension in MULTI_VALUED:
            update[MULTI_VALUED[dimension]] = json.dumps(values)
        elif dimension == "pain":
            update["pain"] = int(bool(values) and values[0] == "yes")
        else:
            update[SINGLE_VALUED[dimension]] = values[0] if values else None
    if not update["pain"]:
        update["pain_category"] = None
    origin = "human" if "human" in origins else sorted(origins - {"human"})[0]
    return (update["stage"], update["touchpoints"], update["emotions"], update["sentiment"], update["pain"],
            update["pain_category"], origin)


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
