"""Write one tagged source in one transaction, and re-write automatic tags.

A source's rows are staged in TEMP tables as tagging produces them, then copied into
the study inside a single transaction, so an error or a kill part-way leaves no
half-imported source and memory does not grow with the file. Automatic tags are
replaced on re-tagging; rows with origin "human" are never touched here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any, Iterable

from sqlite_utils import Database

from voicemap.domain import Source, Statement, Tags, Utterance
from voicemap.store.db import utc_now
from voicemap.store.metadata import index_source_metadata, unindex_source_metadata

AUTO_ORIGIN = "rule"
MODEL_ORIGIN = "model"
DIMENSIONS = ("stage", "touchpoint", "emotion", "sentiment", "pain", "pain_category")
STAGE_PREFIX = "voicemap_stage_"


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


def origin_of(cue: str | None) -> str:
    """A tag decided by a trained model says so ("model"); cue phrases and VADER are "rule"."""
    return MODEL_ORIGIN if cue and cue.startswith("model ") else AUTO_ORIGIN


def tag_rows(statement_id: int, tags: Tags, now: str) -> list[dict[str, Any]]:
    """One tags-table row per automatic code, each with the cue that produced it."""
    rows = []

    def add(dimension: str, value: str | None, confidence: float | None, cue: str | None) -> None:
        rows.append({"statement_id": statement_id, "dimension": dimension, "value": value, "origin": origin_of(cue),
                     "confidence": confidence, "cue": cue, "coder": None, "created_at": now,
                     "correction_id": None, "superseded_by": None})

    if tags.stage:
        add("stage", tags.stage, tags.stage_confidence, tags.stage_cue)
    for touchpoint in tags.touchpoints:
        add("touchpoint", touchpoint, None, tags.touchpoint_cues.get(touchpoint))
    for emotion in tags.emotions:
        add("emotion", emotion, None, tags.emotion_cues.get(emotion))
    add("sentiment", tags.sentiment, tags.sentiment_score,
        tags.sentiment_cue or f"VADER compound {tags.sentiment_score:+.3f}")
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
        "origin": summary_origin(tags), "lemmas": " ".join(tags.lemmas), "actions": json.dumps(tags.actions),
    }


def summary_origin(tags: Tags) -> str:
    """"model" when any of the statement's automatic codes came from a trained model, else "rule"."""
    cues = [tags.stage_cue, tags.pain_cue, tags.sentiment_cue, *tags.emotion_cues.values(),
            *tags.touchpoint_cues.values()]
    return MODEL_ORIGIN if any(origin_of(cue) == MODEL_ORIGIN for cue in cues) else AUTO_ORIGIN


def participant_label(source: Source, utterance: Utterance) -> str:
    """Who said it: the speaker, or for an anonymous row/review the file plus its location."""
    label = utterance.speaker or f"{Path(source.path).stem} {utterance.location}"
    if source.kind != "transcript" and label.startswith(("row ", "review ")):
        label = f"{Path(source.path).stem} {label}"  # rows without an id are distinct people in each file
    return label


class StagedSource:
    """One source's rows, written to TEMP tables while tagging runs, then copied in one short transaction.

    Tagging 100,000 statements takes a minute; holding the study's write lock that long
    would block a teammate's import or a human code for the whole time, and holding the
    rows in Python would grow memory with the file. Temporary tables do neither: they
    live outside the study file, the copy into it (`commit`) is a few set-based INSERTs,
    and ids, participants and pseudonyms are assigned only then, inside the caller's
    transaction, exactly as a row-by-row insert would assign them.
    """

    _count = 0

    def __init__(self, db: Database, source: Source):
        self.db, self.source = db, source
        self.utterances = 0
        self.statements = 0
        self.now = utc_now()
        self._columns: dict[str, list[str]] = {}
        StagedSource._count += 1
        self.prefix = f"{STAGE_PREFIX}{StagedSource._count}_"  # two staged sources never share tables
        self.drop()

    def add(self, items: Iterable[tuple[Utterance, list[TaggedStatement]]]) -> None:
        """Stage utterances (in source order) with their tagged statements."""
        utterances, statements, tags = [], [], []
        for utterance, group in items:
            local_utterance = self.utterances
            self.utterances += 1
            label = participant_label(self.source, utterance) if utterance.is_customer else None
            utterances.append({
                "local_id": local_utterance, "label": label, "speaker": utterance.speaker,
                "is_customer": int(utterance.is_customer), "text": utterance.text,
                "location": utterance.location, "line": utterance.line, "timestamp": utterance.timestamp,
                "row_id": utterance.row_id, "rating": utterance.rating, "date": utterance.date,
                "question": utterance.question, "metadata": json.dumps(utterance.metadata, ensure_ascii=False),
            })
            for item in group:
                local_statement = self.statements
                self.statements += 1
                statements.append({
                    "local_id": local_statement, "local_utterance": local_utterance, "text": item.statement.text,
                    "start": item.statement.start, "end": item.statement.end, "location": utterance.location,
                    "rating": utterance.rating, "date": utterance.date, **effective_columns(item.tags),
                })
                tags.extend(tag_rows(local_statement, item.tags, self.now))
        with self.db.atomic():
            for name, rows in (("utterances", utterances), ("statements", statements), ("tags", tags)):
                self._insert(name, rows)

    def _insert(self, name: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        if name not in self._columns:
            self._columns[name] = list(rows[0])
            columns = ", ".join(f"[{c}]" for c in self._columns[name])
            self.db.execute(f"create temp table {self.prefix}{name} ({columns})")
        columns = self._columns[name]
        placeholders = ", ".join("?" * len(columns))
        values = itemgetter(*columns) if len(columns) > 1 else (lambda row: (row[columns[0]],))
        try:
            batch = [values(row) for row in rows]
        except KeyError:  # a row without some column: read it as NULL, like an insert would
            batch = [[row.get(c) for c in columns] for row in rows]
        self.db.conn.executemany(f"insert into temp.{self.prefix}{name} values ({placeholders})", batch)

    def commit(self, sha256: str, import_id: int | None) -> int:
        """Copy the staged rows into the study; the caller holds the transaction. Returns the source id."""
        db, source = self.db, self.source
        source_id = db["sources"].insert({
            "path": source.path, "name": Path(source.path).name, "kind": source.kind, "title": source.title,
            "sha256": sha256, "encoding": source.encoding, "imported_at": self.now, "import_id": import_id,
            "metadata": json.dumps(source.metadata, ensure_ascii=False), "utterances": self.utterances,
            "statements": self.statements,
        }).last_pk
        if not self.utterances:
            return source_id
        one = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
        utterance_base = one("select coalesce(max(id), 0) from utterances")
        participant_base = one("select coalesce(max(id), 0) from participants")
        # New people get the next ids in order of first appearance; pseudonyms follow the id,
        # so they stay stable and unique even after sources are removed.
        db.execute(f"""
            insert into participants (id, label, pseudonym, first_source_id)
            select ? + row_number() over (order by first), label,
                   printf('P%02d', ? + row_number() over (order by first)), ?
            from (select label, min(local_id) as first from temp.{self.prefix}utterances
                  where label is not null and label not in (select label from participants) group by label)
            order by first""", [participant_base, participant_base, source_id])
        db.execute(f"""
            insert into utterances (id, source_id, idx, speaker, participant_id, is_customer, text, location, line,
                                    timestamp, row_id, rating, date, question, metadata)
            select ? + s.local_id + 1, ?, s.local_id, s.speaker, p.id, s.is_customer, s.text, s.location, s.line,
                   s.timestamp, s.row_id, s.rating, s.date, s.question, s.metadata
            from temp.{self.prefix}utterances s left join participants p on p.label = s.label
            order by s.local_id""", [utterance_base, source_id])
        if self.statements:
            self._copy_statements(source_id, utterance_base)
        return source_id

    def _copy_statements(self, source_id: int, utterance_base: int) -> None:
        db = self.db
        statement_base = db.execute("select coalesce(max(id), 0) from statements").fetchone()[0]
        extra = [c for c in self._columns["statements"] if c not in ("local_id", "local_utterance")]
        into, values = ", ".join(f"[{c}]" for c in extra), ", ".join(f"s.[{c}]" for c in extra)
        db.execute(f"""
            insert into statements (id, source_id, utterance_id, participant_id, idx, {into})
            select ? + s.local_id + 1, ?, u.id, u.participant_id, s.local_id, {values}
            from temp.{self.prefix}statements s join utterances u on u.id = ? + s.local_utterance + 1
            order by s.local_id""", [statement_base, source_id, utterance_base])
        index_source_metadata(db, source_id)  # metadata filters look statements up by key and value
        if "tags" in self._columns:
            tag_columns = [c for c in self._columns["tags"] if c != "statement_id"]
            db.execute(f"""
                insert into tags (statement_id, {", ".join(f"[{c}]" for c in tag_columns)})
                select ? + t.statement_id + 1, {", ".join(f"t.[{c}]" for c in tag_columns)}
                from temp.{self.prefix}tags t order by t.rowid""", [statement_base])

    def drop(self) -> None:
        """Remove the staging tables (always, whether the copy happened or not)."""
        for name in ("utterances", "statements", "tags"):
            self.db.execute(f"drop table if exists temp.{self.prefix}{name}")
        self._columns.clear()


def save_source(
    db: Database,
    source: Source,
    tagged: list[list[TaggedStatement]],
    sha256: str,
    import_id: int | None,
) -> int:
    """Insert a source with its utterances, statements and tags; caller holds the transaction."""
    staged = StagedSource(db, source)
    try:
        staged.add(zip(source.utterances, tagged))
        return staged.commit(sha256, import_id)
    finally:
        staged.drop()


def delete_source(db: Database, source_id: int) -> None:
    """Remove a source and everything hanging off it (caller holds the transaction)."""
    statement_ids = "select id from statements where source_id = ?"
    db.execute(f"delete from tags where statement_id in ({statement_ids})", [source_id])
    db.execute(f"delete from corrections where statement_id in ({statement_ids})", [source_id])
    unindex_source_metadata(db, source_id)
    db.execute("delete from statements where source_id = ?", [source_id])
    db.execute("delete from utterances where source_id = ?", [source_id])
    db.execute("update participants set first_source_id = null where first_source_id = ?", [source_id])
    db.execute("delete from sources where id = ?", [source_id])
    db.execute("delete from participants where id not in (select participant_id from utterances "
               "where participant_id is not null)")


def replace_auto_tags(db: Database, items: Iterable[tuple[int, Tags]]) -> int:
    """Re-tagging: swap automatic tags, then re-derive effective columns; human codes stay.

    A statement nobody coded takes its columns straight from the new tags (what
    `refresh_effective` would derive from them, plus the scores it does not touch);
    only statements with human codes go through `refresh_effective`. Writes are
    batched, so re-tagging 100k statements is not 100k round trips per column.
    """
    from voicemap.store.coding import refresh_effective

    now = utc_now()
    items = list(items)
    ids = [statement_id for statement_id, _ in items]
    coded: set[int] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        coded.update(r[0] for r in db.execute(
            f"select distinct statement_id from tags where origin = 'human' and statement_id in "
            f"({','.join('?' * len(chunk))})", chunk))
    db.conn.executemany("delete from tags where statement_id = ? and origin != 'human'", [(i,) for i in ids])
    rows = [row for statement_id, tags in items for row in tag_rows(statement_id, tags, now)]
    if rows:  # plain executemany: sqlite-utils' insert_all costs more than the insert itself here
        columns = list(rows[0])
        db.conn.executemany(f"insert into tags ({', '.join(f'[{c}]' for c in columns)}) "
                            f"values ({', '.join('?' * len(columns))})", [tuple(row.values()) for row in rows])
    automatic = [(statement_id, effective_columns(tags)) for statement_id, tags in items if statement_id not in coded]
    if automatic:
        columns = list(automatic[0][1])
        db.conn.executemany(f"update statements set {', '.join(f'[{c}] = ?' for c in columns)} where id = ?",
                            [[values[c] for c in columns] + [statement_id] for statement_id, values in automatic])
    db.conn.executemany("update statements set lemmas = ?, actions = ? where id = ?",
                        [(" ".join(tags.lemmas), json.dumps(tags.actions), statement_id)
                         for statement_id, tags in items if statement_id in coded])
    refresh_effective(db, [statement_id for statement_id in ids if statement_id in coded])
    return len(items)
