"""Write one tagged source in one transaction, and re-write automatic tags.

Every insert for a source happens inside a single `with db.conn:` block, so an error
or a kill part-way leaves no half-imported source. Automatic tags are replaced on
re-tagging; rows with origin "human" are never touched here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from sqlite_utils import Database

from voicemap.domain import Source, Statement, Tags
from voicemap.store.db import utc_now

AUTO_ORIGIN = "rule"
DIMENSIONS = ("stage", "touchpoint", "emotion", "sentiment", "pain", "pain_category")


@dataclass
class TaggedStatement:
    statement: Statement
    tags: Tags


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def find_source_by_hash(db: Database, sha256: str) -> dict | None:
    rows = list(db.query("select * from sources where sha256 = ?", [sha256]))
    return rows[0] if rows else None


def _participant_id(db: Database, label: str, source_id: int, cache: dict[str, int]) -> int:
    if label in cache:
        return cache[label]
    row = db.execute("select id from participants where label = ?", [label]).fetchone()
    if row:
        cache[label] = row[0]
    else:
        # Pseudonyms follow the id, so they stay stable and unique even after sources are removed.
        next_id = db.execute("select coalesce(max(id), 0) + 1 from participants").fetchone()[0]
        cache[label] = db["participants"].insert(
            {"id": next_id, "label": label, "pseudonym": f"P{next_id:02d}", "first_source_id": source_id}
        ).last_pk
    return cache[label]


def tag_rows(statement_id: int, tags: Tags, now: str) -> list[dict[str, Any]]:
    """One tags-table row per automatic code, each with the cue that produced it."""
    rows = []

    def add(dimension: str, value: str | None, confidence: float | None, cue: str | None) -> None:
        rows.append({"statement_id": statement_id, "dimension": dimension, "value": value, "origin": AUTO_ORIGIN,
                     "confidence": confidence, "cue": cue, "coder": None, "created_at": now,
                     "correction_id": None, "superseded_by": None})

    if tags.stage:
        add("stage", tags.stage, tags.stage_confidence, tags.stage_cue)
    for touchpoint in tags.touchpoints:
        add("touchpoint", touchpoint, None, tags.touchpoint_cues.get(touchpoint))
    for emotion in tags.emotions:
        add("emotion", emotion, None, tags.emotion_cues.get(emotion))
    add("sentiment", tags.sentiment, tags.sentiment_score, f"VADER compound {tags.sentiment_score:+.3f}")
    add("pain", "yes" if tags.pain else "no", None, tags.pain_cue)
    if tags.pain and tags.pain_category:
        add("pain_category", tags.pain_category, None, tags.pain_cue)
    return rows


def effective_columns(tags: Tags) -> dict[str, Any]:
    """The statements-table columns that mirror the automatic tags."""
    return {
        "stage": tags.stage, "stage_confidence": tags.stage_confidence,
        "touchpoints": json.dumps(tags.touchpoints), "emotions": json.dumps(tags.emotions),
        "sentiment": tags.sentiment, "sentiment_score": round(tags.sentiment_score, 4),
        "pain": int(tags.pain), "pain_category": tags.pain_category if tags.pain else None,
        "origin": AUTO_ORIGIN, "lemmas": " ".join(tags.lemmas), "actions": json.dumps(tags.actions),
    }


def save_source(
    db: Database,
    source: Source,
    tagged: list[list[TaggedStatement]],
    sha256: str,
    import_id: int | None,
) -> int:
    """Insert a source with its utterances, statements and tags; caller holds the transaction."""
    now = utc_now()
    source_id = db["sources"].insert({
        "path": source.path, "name": Path(source.path).name, "kind": source.kind, "title": source.title,
        "sha256": sha256, "encoding": source.encoding, "imported_at": now, "import_id": import_id,
        "metadata": json.dumps(source.metadata, ensure_ascii=False), "utterances": len(source.utterances),
        "statements": sum(len(group) for group in tagged),
    }).last_pk
    stem = Path(source.path).stem
    cache: dict[str, int] = {}
    utterance_rows, statement_rows, all_tags = [], [], []
    next_utterance = (db.execute("select coalesce(max(id), 0) from utterances").fetchone()[0]) + 1
    next_statement = (db.execute("select coalesce(max(id), 0) from statements").fetchone()[0]) + 1
    for index, (utterance, group) in enumerate(zip(source.utterances, tagged)):
        label = utterance.speaker or f"{stem} {utterance.location}"
        if source.kind != "transcript" and label.startswith(("row ", "review ")):
            label = f"{stem} {label}"  # rows without an id are distinct people in each file
        participant = _participant_id(db, label, source_id, cache) if utterance.is_customer else None
        utterance_id = next_utterance
        next_utterance += 1
        utterance_rows.append({
            "id": utterance_id, "source_id": source_id, "idx": index, "speaker": utterance.speaker,
            "participant_id": participant, "is_customer": int(utterance.is_customer), "text": utterance.text,
            "location": utterance.location, "line": utterance.line, "timestamp": utterance.timestamp,
            "row_id": utterance.row_id, "rating": utterance.rating, "date": utterance.date,
            "question": utterance.question, "metadata": json.dumps(utterance.metadata, ensure_ascii=False),
        })
        for item in group:
            statement_id = next_statement
            next_statement += 1
            statement_rows.append({
                "id": statement_id, "source_id": source_id, "utterance_id": utterance_id,
                "participant_id": participant, "idx": len(statement_rows), "text": item.statement.text,
                "start": item.statement.start, "end": item.statement.end, "location": utterance.location,
                "rating": utterance.rating, "date": utterance.date, **effective_columns(item.tags),
            })
            all_tags.extend(tag_rows(statement_id, item.tags, now))
    db["utterances"].insert_all(utterance_rows, batch_size=1000)
    db["statements"].insert_all(statement_rows, batch_size=1000)
    db["tags"].insert_all(all_tags, batch_size=2000)
    return source_id


def delete_source(db: Database, source_id: int) -> None:
    """Remove a source and everything hanging off it (caller holds the transaction)."""
    statement_ids = "select id from statements where source_id = ?"
    db.execute(f"delete from tags where statement_id in ({statement_ids})", [source_id])
    db.execute(f"delete from corrections where statement_id in ({statement_ids})", [source_id])
    db.execute("delete from statements where source_id = ?", [source_id])
    db.execute("delete from utterances where source_id = ?", [source_id])
    db.execute("update participants set first_source_id = null where first_source_id = ?", [source_id])
    db.execute("delete from sources where id = ?", [source_id])
    db.execute("delete from participants where id not in (select participant_id from utterances "
               "where participant_id is not null)")


def replace_auto_tags(db: Database, items: Iterable[tuple[int, Tags]]) -> int:
    """Re-tagging: swap automatic tags, then re-derive effective columns; human codes stay."""
    from voicemap.store.coding import refresh_effective

    now = utc_now()
    count = 0
    ids = []
    rows = []
    for statement_id, tags in items:
        db.execute("delete from tags where statement_id = ? and origin != 'human'", [statement_id])
        rows.extend(tag_rows(statement_id, tags, now))
        db["statements"].update(statement_id, {"lemmas": " ".join(tags.lemmas), "actions": json.dumps(tags.actions)})
        ids.append(statement_id)
        count += 1
    db["tags"].insert_all(rows, batch_size=2000)
    refresh_effective(db, ids)
    return count
