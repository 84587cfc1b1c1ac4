"""The database schema, only ever changed through named migrations.

`statements` carries the *effective* code of each dimension (a human code wins over
an automatic one) so questions, exports and reports read one row per statement;
`tags` keeps every code with its origin, cue, coder and time — the audit trail.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("voicemap")
SCHEMA_SET = "voicemap"


@migrations(name="001_core_tables")
def core_tables(db: Database) -> None:
    db["imports"].create({
        "id": int, "started_at": str, "finished_at": str, "status": str, "command": str,
        "options": str, "files": int, "sources": int, "statements": int, "skipped": int, "errors": str,
    }, pk="id")
    db["sources"].create({
        "id": int, "path": str, "name": str, "kind": str, "title": str, "sha256": str, "encoding": str,
        "imported_at": str, "import_id": int, "metadata": str, "utterances": int, "statements": int,
    }, pk="id", foreign_keys=[("import_id", "imports", "id")])
    db["sources"].create_index(["sha256"], unique=True)
    db["sources"].create_index(["path"])
    db["participants"].create({"id": int, "label": str, "pseudonym": str, "first_source_id": int},
                              pk="id", foreign_keys=[("first_source_id", "sources", "id")])
    db["participants"].create_index(["label"], unique=True)
    db["utterances"].create({
        "id": int, "source_id": int, "idx": int, "speaker": str, "participant_id": int, "is_customer": int,
        "text": str, "location": str, "line": int, "timestamp": str, "row_id": str, "rating": float,
        "date": str, "question": str, "metadata": str,
    }, pk="id", foreign_keys=[("source_id", "sources", "id"), ("participant_id", "participants", "id")])
    db["utterances"].create_index(["source_id", "idx"], unique=True)
    db["statements"].create({
        "id": int, "source_id": int, "utterance_id": int, "participant_id": int, "idx": int,
        "text": str, "start": int, "end": int, "location": str, "rating": float, "date": str,
        "stage": str, "stage_confidence": float, "touchpoints": str, "emotions": str,
        "sentiment": str, "sentiment_score": float, "pain": int, "pain_category": str,
        "origin": str, "lemmas": str, "actions": str,
    }, pk="id", foreign_keys=[("source_id", "sources", "id"), ("utterance_id", "utterances", "id"),
                              ("participant_id", "participants", "id")])
    for columns in (["source_id", "idx"], ["participant_id"], ["stage"], ["pain", "pain_category"], ["sentiment"]):
        db["statements"].create_index(columns)
    db["tags"].create({
        "id": int, "statement_id": int, "dimension": str, "value": str, "origin": str, "confidence": float,
        "cue": str, "coder": str, "created_at": str, "correction_id": int, "superseded_by": int,
    }, pk="id", foreign_keys=[("statement_id", "statements", "id")])
    db["tags"].create_index(["statement_id", "dimension", "origin"])
    db["tags"].create_index(["dimension", "value"])
    db["corrections"].create({
        "id": int, "statement_id": int, "dimension": str, "old_values": str, "new_values": str,
        "coder": str, "created_at": str, "undone_at": str,
    }, pk="id", foreign_keys=[("statement_id", "statements", "id")])
    db["statements"].enable_fts(["text"], create_triggers=True, tokenize="porter")


def apply_migrations(db: Database) -> list[str]:
    """Apply pending migrations; return their names (empty when up to date)."""
    pending = [m.name for m in migrations.pending(db)]
    if pending:
        migrations.apply(db)
    return pending


def pending_migrations(db: Database) -> list[str]:
    return [m.name for m in migrations.pending(db)]


@migrations(name="003_project_settings")
def project_settings(db: Database) -> None:
    """Per-project defaults (e.g. privacy: redact quotes, pseudonymise participants) travel with the data."""
    db["settings"].create({"key": str, "value": str, "updated_at": str}, pk="key")


@migrations(name="002_clusters")
def clusters(db: Database) -> None:
    """Recurring-issue clusters: each run with its parameters, stable cluster identities across runs
    (so a researcher's rename survives re-clustering), memberships per run, and human decisions.

    `cluster_members` has no foreign key to `statements`: re-importing a changed file replaces its
    statements, and the old memberships (matched by `statement_key`) are what carries identity over.
    """
    db["cluster_runs"].create({
        "id": int, "created_at": str, "origin": str, "based_on": int, "scope": str, "scope_key": str,
        "params": str, "algorithm": str, "statements": int, "clustered": int, "clusters": int, "seconds": float,
    }, pk="id")
    db["cluster_runs"].create_index(["scope_key", "id"])
    db["clusters"].create({
        "id": int, "auto_label": str, "human_label": str, "labelled_by": str, "labelled_at": str,
        "terms": str, "status": str, "merged_into": int, "split_from": int,
        "created_run_id": int, "last_run_id": int, "created_at": str,
    }, pk="id", foreign_keys=[("created_run_id", "cluster_runs", "id"), ("last_run_id", "cluster_runs", "id")])
    db["cluster_members"].create({
        "run_id": int, "cluster_id": int, "statement_id": int, "statement_key": str, "centrality": float,
    }, pk=("run_id", "statement_id"), foreign_keys=[("run_id", "cluster_runs", "id"), ("cluster_id", "clusters", "id")])
    db["cluster_members"].create_index(["run_id", "cluster_id"])
    db["cluster_members"].create_index(["statement_id"])
    db["cluster_decisions"].create({
        "id": int, "kind": str, "cluster_id": int, "other_ids": str, "payload": str, "run_id": int,
        "coder": str, "created_at": str,
    }, pk="id", foreign_keys=[("cluster_id", "clusters", "id")])


@migrations(name="004_performance_indexes")
def performance_indexes(db: Database) -> None:
    """Indexes measured on a 100k-statement study (docs/performance.md).

    `pain` alone keeps a pain-point page in id order, so the browser's first page stops
    after 50 rows instead of sorting every pain point; participants are looked up by
    label or pseudonym in any case; statements are reached from their utterance.
    """
    db.execute("create index if not exists idx_statements_pain on statements (pain)")
    db.execute("create index if not exists idx_statements_utterance_id on statements (utterance_id)")
    db.execute("create index if not exists idx_participants_label_nocase on participants (label collate nocase)")
    db.execute("create index if not exists idx_participants_pseudonym_nocase on participants (pseudonym collate nocase)")
    db.execute("analyze")


@migrations(name="007_fts_reindex_on_text_change")
def fts_reindex_on_text_change(db: Database) -> None:
    """Re-index a statement's full-text entry only when its text changes.

    sqlite-utils' update trigger re-indexed the text on every update of a row; setting
    a code or re-tagging never changes the text, yet paid for deleting and re-adding
    its words: 0.25 ms a statement, most of the time re-tagging spent writing.
    """
    if "statements_fts" not in db.table_names():
        return
    db.execute("drop trigger if exists statements_au")
    db.execute("""
        create trigger statements_au after update of text on statements begin
          insert into statements_fts (statements_fts, rowid, text) values ('delete', old.rowid, old.text);
          insert into statements_fts (rowid, text) values (new.rowid, new.text);
        end""")


@migrations(name="005_metadata_index")
def metadata_index(db: Database) -> None:
    """Metadata filters (`segment=family`, any survey column) through an index, not a JSON scan.

    `statement_metadata` holds each statement's metadata key/value pairs (see
    `store/metadata.py`); an existing study's statements are indexed here, new ones at import.
    Two small indexes make the assistant's study overview look-ups instead of scans, and one
    lets it rank the study's pain points by category without reading the statements.
    """
    from voicemap.store.metadata import TABLE, create_metadata_table, index_all_metadata

    create_metadata_table(db)
    index_all_metadata(db)
    # The study overview's date range and count of researcher-coded statements, as look-ups.
    db.execute("create index if not exists idx_statements_date on statements (date)")
    db.execute("create index if not exists idx_tags_human on tags (statement_id) where origin = 'human'")
    # "Top issues" counts pain points and their people per category and kind of source from this alone.
    db.execute("create index if not exists idx_statements_pain_people on statements "
               "(pain, pain_category, participant_id, source_id)")
    db.execute(f"analyze {TABLE}")
    db.execute("analyze idx_statements_pain_people")
