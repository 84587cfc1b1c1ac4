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
# A tags row as staging and re-tagging build it; an automatic tag's coder, correction and
# successor are NULL and its created_at is the time of the write, so those are not carried.
TAG_COLUMNS = ("statement_id", "dimension", "value", "origin", "confidence", "cue")
EFFECTIVE_COLUMNS = ("stage", "stage_confidence", "touchpoints", "emotions", "sentiment", "sentiment_score", "pain",
                     "pain_category", "origin", "lemmas", "actions")
UTTERANCE_COLUMNS = ("local_id", "label", "speaker", "is_customer", "text", "location", "line", "timestamp", "row_id",
                     "rating", "date", "question", "metadata")
STATEMENT_COLUMNS = ("local_id", "local_utterance", "text", "start", "end", "location", "rating", "date",
                     *EFFECTIVE_COLUMNS)
STAGED_COLUMNS = {"utterances": UTTERANCE_COLUMNS, "statements": STATEMENT_COLUMNS, "tags": TAG_COLUMNS}
_METADATA_JSON = json.JSONEncoder(ensure_ascii=False)  # what json.dumps(..., ensure_ascii=False) builds per call
_code_lists: dict[tuple[str, ...], str] = {}  # JSON of code lists seen: a study has few distinct ones


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


def tag_rows(statement_id: int, tags: Tags) -> list[tuple[Any, ...]]:
    """One tags-table row (TAG_COLUMNS) per automatic code, each with the cue that produced it."""
    rows = []
    if tags.stage:
        rows.append((statement_id, "stage", tags.stage, origin_of(tags.stage_cue), tags.stage_confidence,
                     tags.stage_cue))
    for dimension, codes, cues in (("touchpoint", tags.touchpoints, tags.touchpoint_cues),
                                   ("emotion", tags.emotions, tags.emotion_cues)):
        for code in codes:
            cue = cues.get(code)
            rows.append((statement_id, dimension, code, origin_of(cue), None, cue))
    cue = tags.sentiment_cue or f"VADER compound {tags.sentiment_score:+.3f}"
    rows.append((statement_id, "sentiment", tags.sentiment, origin_of(cue), tags.sentiment_score, cue))
    pain_origin = origin_of(tags.pain_cue)
    rows.append((statement_id, "pain", "yes" if tags.pain else "no", pain_origin, None, tags.pain_cue))
    if tags.pain and tags.pain_category:
        rows.append((statement_id, "pain_category", tags.pain_category, pain_origin, None, tags.pain_cue))
    return rows


def code_list_json(codes: list[str]) -> str:
    """`json.dumps(codes)`, remembered for lists of strings (a study repeats the same few lists)."""
    key = tuple(codes)
    try:
        return _code_lists[key]
    except (KeyError, TypeError):  # TypeError: something unhashable, not a list of codes
        text = json.dumps(codes)
    if len(_code_lists) < 20_000 and all(type(code) is str for code in key):  # as True == 1: only strings
        _code_lists[key] = text
    return text


def effective_values(tags: Tags) -> tuple[Any, ...]:
    """The statements-table columns (EFFECTIVE_COLUMNS) that mirror the automatic tags."""
    return (tags.stage, tags.stage_confidence, code_list_json(tags.touchpoints), code_list_json(tags.emotions),
            tags.sentiment, round(tags.sentiment_score, 4), int(tags.pain), tags.pain_category if tags.pain else None,
            summary_origin(tags), " ".join(tags.lemmas), code_list_json(tags.actions))


def summary_origin(tags: Tags) -> str:
    """"model" when any of the statement's automatic codes came from a trained model, else "rule"."""
    cues = (tags.stage_cue, tags.pain_cue, tags.sentiment_cue, *tags.emotion_cues.values(),
            *tags.touchpoint_cues.values())
    return MODEL_ORIGIN if MODEL_ORIGIN in map(origin_of, cues) else AUTO_ORIGIN


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
        self._created: set[str] = set()
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
            utterances.append((
                local_utterance, label, utterance.speaker, int(utterance.is_customer), utterance.text,
                utterance.location, utterance.line, utterance.timestamp, utterance.row_id, utterance.rating,
                utterance.date, utterance.question, _METADATA_JSON.encode(utterance.metadata),
            ))
            for item in group:
                local_statement = self.statements
                self.statements += 1
                statement = item.statement
                statements.append((
                    local_statement, local_utterance, statement.text, statement.start, statement.end,
                    utterance.location, utterance.rating, utterance.date, *effective_values(item.tags),
                ))
                tags.extend(tag_rows(local_statement, item.tags))
        with self.db.atomic():
            for name, rows in (("utterances", utterances), ("statements", statements), ("tags", tags)):
                self._insert(name, rows)

    def _insert(self, name: str, rows: list[tuple[Any, ...]]) -> None:
        """Append rows (tuples in STAGED_COLUMNS order) to a staging table, made on first use."""
        if not rows:
            return
        columns = STAGED_COLUMNS[name]
        if name not in self._created:
            # local_id as the rowid: the copy reads rows in that order without sorting them
            definition = ", ".join(f"[{c}] integer primary key" if c == "local_id" else f"[{c}]" for c in columns)
            self.db.execute(f"create temp table {self.prefix}{name} ({definition})")
            self._created.add(name)
        placeholders = ", ".join("?" * len(columns))
        self.db.conn.executemany(f"insert into temp.{self.prefix}{name} values ({placeholders})", rows)

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
        extra = [c for c in STATEMENT_COLUMNS if c not in ("local_id", "local_utterance")]
        into, values = ", ".join(f"[{c}]" for c in extra), ", ".join(f"s.[{c}]" for c in extra)
        db.execute(f"""
            insert into statements (id, source_id, utterance_id, participant_id, idx, {into})
            select ? + s.local_id + 1, ?, u.id, u.participant_id, s.local_id, {values}
            from temp.{self.prefix}statements s join utterances u on u.id = ? + s.local_utterance + 1
            order by s.local_id""", [statement_base, source_id, utterance_base])
        index_source_metadata(db, source_id)  # metadata filters look statements up by key and value
        if "tags" in self._created:
            tag_columns = TAG_COLUMNS[1:]
            db.execute(f"""
                insert into tags (statement_id, {", ".join(f"[{c}]" for c in tag_columns)},
                                  coder, created_at, correction_id, superseded_by)
                select ? + t.statement_id + 1, {", ".join(f"t.[{c}]" for c in tag_columns)}, null, ?, null, null
                from temp.{self.prefix}tags t order by t.rowid""", [statement_base, self.now])

    def drop(self) -> None:
        """Remove the staging tables (always, whether the copy happened or not)."""
        for name in STAGED_COLUMNS:
            self.db.execute(f"drop table if exists temp.{self.prefix}{name}")
        self._created.clear()


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
    rows = [(*row, now) for statement_id, tags in items for row in tag_rows(statement_id, tags)]
    if rows:  # plain executemany: sqlite-utils' insert_all costs more than the insert itself here
        db.conn.executemany(f"insert into tags ({', '.join(f'[{c}]' for c in TAG_COLUMNS)}, created_at, coder, "
                            f"correction_id, superseded_by) values ({', '.join('?' * (len(TAG_COLUMNS) + 1))}, "
                            "null, null, null)", rows)
    automatic = [(*effective_values(tags), statement_id) for statement_id, tags in items if statement_id not in coded]
    if automatic:
        db.conn.executemany(f"update statements set {', '.join(f'[{c}] = ?' for c in EFFECTIVE_COLUMNS)} where id = ?",
                            automatic)
    db.conn.executemany("update statements set lemmas = ?, actions = ? where id = ?",
                        [(" ".join(tags.lemmas), code_list_json(tags.actions), statement_id)
                         for statement_id, tags in items if statement_id in coded])
    refresh_effective(db, [statement_id for statement_id in ids if statement_id in coded])
    return len(items)
