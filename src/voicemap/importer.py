"""Import files end to end: read, segment, tag, store — one transaction per file.

This is the one import path: the CLI, the TUI and the evaluation all call
`import_paths`. Progress goes to a callback (the CLI prints a line, the TUI moves a
bar) and a cancel callback is polled between batches, so no front end blocks.

A file streams through: the reader hands out utterances, they are segmented, tagged
and staged a batch at a time, and only the staged rows are copied into the study at
the end, in the file's one transaction. So memory does not grow with the file, and
an error anywhere in it, even on its last row, leaves nothing of the file stored.
"""

from __future__ import annotations

import json
import logging
import os
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from sqlite_utils import Database

from voicemap.domain import Statement, Utterance
from voicemap.ingest import InputFileError, ReadOptions, SourceStream, iter_input_files, stream_path
from voicemap.nlp.parallel import ParallelTagger
from voicemap.nlp.segment import split_statements
from voicemap.store.db import utc_now
from voicemap.store.write import StagedSource, TaggedStatement, delete_source, file_sha256, find_source_by_hash
from voicemap.retag import note_tagged_sources

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


def _segmented(stream: SourceStream, counts: dict[str, int]) -> Iterator[tuple[Utterance, list[Statement]]]:
    """Each utterance as the reader hands it out, with its statements (none for interviewer turns)."""
    read: deque[Utterance] = deque()  # handed to the segmenter, whose batches read a little ahead

    def texts() -> Iterator[str]:
        for utterance in stream.utterances:
            read.append(utterance)
            yield utterance.text if utterance.is_customer else ""

    for group in split_statements(texts()):
        counts["utterances"] += 1
        counts["statements"] += len(group)
        yield read.popleft(), group


class _Estimate:
    """Statements in the file, estimated from how much of it the reader has read; exact at the end."""

    def __init__(self, stream: SourceStream, counts: dict[str, int]):
        self.stream, self.counts = stream, counts

    def total(self, done: int) -> int:
        position = self.stream.position()
        segmented = self.counts["statements"]
        if position <= 0 or not self.counts["utterances"]:
            return done
        return max(done, segmented, round(segmented / position))


def _stage_tagged(staged: StagedSource, stream: SourceStream, tagger, progress: Progress | None,
                  cancelled: Callable[[], bool]) -> tuple[int, int]:
    """Read, segment, tag and stage a file a batch at a time; returns (utterances, statements).

    Nothing here holds the file: utterances wait only until their statements' tags
    come back (in input order, from `nlp.pipe` or the worker processes), then go to
    the staging tables.
    """
    name = Path(stream.source.path).name
    counts = {"utterances": 0, "statements": 0}
    waiting: deque[tuple[Utterance, list[Statement]]] = deque()

    def texts() -> Iterator[str]:
        for utterance, group in _segmented(stream, counts):
            waiting.append((utterance, group))
            yield from (statement.text for statement in group)

    estimate = _Estimate(stream, counts)
    if cancelled():
        raise ImportCancelled(name)
    tags = iter(tagger.tag_texts(texts(), batch_size=BATCH))
    batch: list[tuple[Utterance, list[TaggedStatement]]] = []
    tagged: list[TaggedStatement] | None = None  # the statements of the utterance being tagged
    group: list[Statement] = []
    in_batch = done = 0
    try:
        for tag in tags:
            if tagged is None:
                if progress and not done and not batch:
                    progress(name, 0, estimate.total(0))
                while not waiting[0][1]:  # utterances without statements are staged in order, untagged
                    batch.append((waiting.popleft()[0], []))
                utterance, group = waiting.popleft()
                tagged = []
                batch.append((utterance, tagged))
            tagged.append(TaggedStatement(group[len(tagged)], tag))
            in_batch += 1
            if len(tagged) < len(group):
                continue
            tagged = None
            if in_batch >= STAGE_BATCH or len(batch) >= STAGE_BATCH:
                staged.add(batch)
                done, batch, in_batch = done + in_batch, [], 0
                if progress:
                    progress(name, done, estimate.total(done))
                if cancelled():
                    raise ImportCancelled(name)
        batch.extend((utterance, []) for utterance, _ in waiting)  # trailing turns without statements
        staged.add(batch)
    finally:
        close = getattr(tags, "close", None)
        if close:
            close()  # stops worker tasks still queued when we leave early
    done += in_batch
    if progress and done:
        progress(name, done, done)
    return counts["utterances"], done


def _carry_human_codes(db: Database, old_source_id: int) -> list[dict]:
    """Human codes of a source about to be replaced, keyed by statement text."""
    return list(db.query(
        "select s.text as text, t.dimension, t.value, t.coder, t.created_at from tags t "
        "join statements s on s.id = t.statement_id where s.source_id = ? and t.origin = 'human' "
        "and t.superseded_by is null", [old_source_id]))


def _restore_human_codes(db: Database, source_id: int, codes: list[dict]) -> None:
    from voicemap.store.coding import refresh_effective

    wanted = {code["text"] for code in codes}  # only these texts' ids: the new source may have 100,000 statements
    by_text = {r["text"]: r["id"] for r in db.query("select id, text from statements where source_id = ?", [source_id])
               if r["text"] in wanted}
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
        stream = stream_path(path, options)
        source = stream.source
        result.kind, result.encoding = source.kind, source.encoding
        result.detected = source.metadata.get("detected")
        staged = StagedSource(db, source)
        try:
            utterances, statements = _stage_tagged(staged, stream, tagger, progress, cancelled)
            result.skipped, result.warnings = list(source.skipped), list(source.warnings)  # complete once read
            previous = list(db.query("select id from sources where path = ?", [str(path)]))
            with db.atomic():
                carried = []
                for row in previous:
                    carried += _carry_human_codes(db, row["id"])
                    delete_source(db, row["id"])
                result.source_id = staged.commit(sha256 or "", import_id)
                if carried:
                    _restore_human_codes(db, result.source_id, carried)
                # the re-tag record vouches for this file, so a later codebook edit re-tags only what it reaches
                note_tagged_sources(db, tagger, [result.source_id])
        finally:
            staged.drop()
        result.status = "replaced" if previous else "imported"
        result.utterances = utterances
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
