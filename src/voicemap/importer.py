"""Import files end to end: read, segment, tag, store — one transaction per file.

This is the one import path: the CLI, the TUI and the evaluation all call
`import_paths`. Progress goes to a callback (the CLI prints a line, the TUI moves a
bar) and a cancel callback is polled between batches, so no front end blocks.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from sqlite_utils import Database

from voicemap.domain import Source
from voicemap.ingest import InputFileError, ReadOptions, iter_input_files, read_path
from voicemap.nlp.parallel import ParallelTagger
from voicemap.nlp.segment import split_statements
from voicemap.store.db import utc_now
from voicemap.store.write import StagedSource, TaggedStatement, delete_source, file_sha256, find_source_by_hash

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]  # (file name, statements done, statements in file)
BATCH = 256
STAGE_BATCH = 512  # statements staged (and a cancel checked) at a time


class ImportCancelled(Exception):
    """Raised while a file is tagged (before its one transaction): nothing of the file is stored."""


@dataclass
class FileResult:
    path: str
    status: str  # imported | replaced | unchanged | failed | cancelled
    kind: str | None = None
    source_id: int | None = None
    utterances: int = 0
    statements: int = 0
    encoding: str | None = None
    detected: str | None = None  # what the reader recognised ("Qualtrics survey export ...")
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class ImportReport:
    files: list[FileResult] = field(default_factory=list)
    import_id: int | None = None

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "failed"]

    @property
    def statements(self) -> int:
        return sum(f.statements for f in self.files if f.status in ("imported", "replaced"))


def _stage_tagged(staged: StagedSource, source: Source, tagger, progress: Progress | None,
                  cancelled: Callable[[], bool]) -> int:
    """Segment, tag and stage a source a batch at a time; returns the number of statements.

    Tags stream from the tagger (in-process `nlp.pipe`, or worker processes for big
    files) straight into the staging tables, so memory does not grow with the file.
    """
    name = Path(source.path).name
    customer = [u.text if u.is_customer else "" for u in source.utterances]
    prepare = getattr(tagger, "prepare", None)
    if prepare:  # at least one statement per answer: big files start the workers while we segment
        prepare(sum(1 for text in customer if text))
    groups = list(split_statements(customer))
    texts = [s.text for group in groups for s in group]
    if progress:
        progress(name, 0, len(texts))
    if cancelled():
        raise ImportCancelled(name)
    tags = iter(tagger.tag_texts(texts, batch_size=BATCH))
    batch: list[tuple] = []
    in_batch = done = 0
    try:
        for utterance, group in zip(source.utterances, groups):
            batch.append((utterance, [TaggedStatement(statement, next(tags)) for statement in group]))
            in_batch += len(group)
            if in_batch >= STAGE_BATCH:
                staged.add(batch)
                done, batch, in_batch = done + in_batch, [], 0
                if progress:
                    progress(name, done, len(texts))
                if cancelled():
                    raise ImportCancelled(name)
        staged.add(batch)
    finally:
        close = getattr(tags, "close", None)
        if close:
            close()  # stops worker tasks still queued when we leave early
    if progress and texts:
        progress(name, len(texts), len(texts))
    return len(texts)


def _carry_human_codes(db: Database, old_source_id: int) -> list[dict]:
    """Human codes of a source about to be replaced, keyed by statement text."""
    return list(db.query(
        "select s.text as text, t.dimension, t.value, t.coder, t.created_at from tags t "
        "join statements s on s.id = t.statement_id where s.source_id = ? and t.origin = 'human' "
        "and t.superseded_by is null", [old_source_id]))


def _restore_human_codes(db: Database, source_id: int, codes: list[dict]) -> None:
    from voicemap.store.coding import refresh_effective

    by_text = {r["text"]: r["id"] for r in db.query("select id, text from statements where source_id = ?", [source_id])}
    restored = set()
    for code in codes:
        statement_id = by_text.get(code["text"])
        if statement_id is None:
            continue
        db["tags"].insert({"statement_id": statement_id, "dimension": code["dimension"], "value": code["value"],
                           "origin": "human", "confidence": 1.0, "cue": None, "coder": code["coder"],
                           "created_at": code["created_at"], "correction_id": None, "superseded_by": None})
        restored.add(statement_id)
    refresh_effective(db, restored)


def import_file(db: Database, path: Path, options: ReadOptions, tagger, import_id: int | None,
                progress: Progress | None = None, cancelled: Callable[[], bool] = lambda: False) -> FileResult:
    """Import one file in its own transaction; errors are returned, not raised."""
    result = FileResult(path=str(path), status="failed")
    try:
        sha256 = file_sha256(path) if path.is_file() else None
        existing = find_source_by_hash(db, sha256) if sha256 else None
        if existing:
            result.status, result.source_id, result.kind = "unchanged", existing["id"], existing["kind"]
            result.warnings.append(f"already imported as source {existing['id']}; skipped")
            return result
        source = read_path(path, options)
        result.kind, result.encoding = source.kind, source.encoding
        result.detected = source.metadata.get("detected")
        result.skipped, result.warnings = list(source.skipped), list(source.warnings)
        staged = StagedSource(db, source)
        try:
            statements = _stage_tagged(staged, source, tagger, progress, cancelled)
            previous = list(db.query("select id from sources where path = ?", [str(path)]))
            with db.atomic():
                carried = []
                for row in previous:
                    carried += _carry_human_codes(db, row["id"])
                    delete_source(db, row["id"])
                result.source_id = staged.commit(sha256 or "", import_id)
                if carried:
                    _restore_human_codes(db, result.source_id, carried)
        finally:
            staged.drop()
        result.status = "replaced" if previous else "imported"
        result.utterances = len(source.utterances)
        result.statements = statements
    except InputFileError as exc:
        result.error = str(exc)
    except ImportCancelled:
        result.status, result.error = "cancelled", f"{path}: import cancelled; nothing from this file was stored"
    except Exception as exc:  # noqa: BLE001 — one file's surprise must not cost the others, nor show a traceback
        if os.environ.get("VOICEMAP_DEBUG"):
            raise
        log.debug("import of %s failed", path, exc_info=True)
        detail = " ".join(str(exc).split())[:300]
        result.error = (f"{path}: could not be imported ({type(exc).__name__}: {detail}); nothing from this file "
                        "was stored (set VOICEMAP_DEBUG=1 for the traceback)")
    return result


def import_paths(
    db: Database,
    paths: list[str | Path],
    options: ReadOptions | None = None,
    tagger=None,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] = lambda: False,
    on_file: Callable[[FileResult], None] | None = None,
    workers: int | None = None,
) -> ImportReport:
    """Import every file under `paths`; each file commits on its own, so a crash loses one file at most.

    Big files are tagged by `workers` processes (default: the usable cores; 1 tags in
    this process); the pool starts on the first big file and serves every later one.
    """
    options = options or ReadOptions()
    if tagger is None:
        from voicemap.nlp.tagger import Tagger

        tagger = Tagger()
    with ParallelTagger(tagger, workers=workers) as parallel:
        return _import_all(db, paths, options, parallel, progress, cancelled, on_file)


def _import_all(db: Database, paths: list[str | Path], options: ReadOptions, tagger, progress: Progress | None,
                cancelled: Callable[[], bool], on_file: Callable[[FileResult], None] | None) -> ImportReport:
    report = ImportReport()
    with db.atomic():
        report.import_id = db["imports"].insert({
            "started_at": utc_now(), "status": "running", "command": "import",
            "options": json.dumps({"paths": [str(p) for p in paths], "kind": options.kind,
                                   "text_columns": options.text_columns, "id_column": options.id_column}),
        }).last_pk
    files = list(iter_input_files(paths))
    for path in files:
        if cancelled():
            report.files.append(FileResult(str(path), "cancelled", error="import cancelled before this file"))
            continue
        result = import_file(db, path, options, tagger, report.import_id, progress, cancelled)
        report.files.append(result)
        if on_file:
            on_file(result)
    with db.atomic():
        db["imports"].update(report.import_id, {
            "finished_at": utc_now(),
            "status": "failed" if report.failed and len(report.failed) == len(files) else "done",
            "files": len(files),
            "sources": sum(f.status in ("imported", "replaced") for f in report.files),
            "statements": report.statements,
            "skipped": sum(len(f.skipped) for f in report.files),
            "errors": json.dumps([f.error for f in report.failed]),
        })
    return report
