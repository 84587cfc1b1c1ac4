"""Re-run the tagger over stored statements after a codebook edit, keeping human codes.

The study records what its automatic tags were made with (`retag_state`). A re-tag
compares that record with the current codebook and tagger and re-tags only the
statements the difference can affect: those a changed cue or pattern could match
(`retag_candidates`), those carrying a code whose stage hint or pain category changed
or that left the codebook, and those of sources imported since the record was made.
When a change can affect any statement (another model, the stage order, new emotion
codes) or there is no record, every statement is re-tagged; `everything=True` forces it.

Statements are tagged a window at a time (by worker processes when there are many) and
written with `replace_auto_tags`, which never touches origin "human" rows, in one
transaction per batch: memory stays flat, progress is reported per batch, and a cancel
between batches leaves every statement with a complete set of tags. The record is
updated only when the run finishes, so an interrupted run is simply planned again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from sqlite_utils import Database

from voicemap.retag_candidates import AnchorFinder, Anchors, matching_statements
from voicemap.retag_state import (Record, codebook_state, compare, describe, label_name, load_record, save_record,
                                  source_snapshot, tagging_state)
from voicemap.store.write import replace_auto_tags

BATCH = 512
POOL_WINDOW = 4096  # statements handed to the worker processes at once: keeps both busy between writes
Progress = Callable[[str, int, int], None]  # (what, statements done, statements to do)


@dataclass
class RetagPlan:
    statement_ids: list[int]  # in id order
    total: int  # statements in the study
    reason: str  # one line for the user: what changed, and how many statements that means
    state: dict[str, Any] | None  # what the tags will have been made with
    record: Record | None  # what the stored tags were made with
    sources: dict[str, str]  # the study's sources when planned (id -> imported_at)
    changed: bool = True  # False: nothing to record either


@dataclass
class RetagReport:
    total: int
    done: int
    human_coded: int  # statements whose human codes were kept as they were
    cancelled: bool = False
    planned: int = 0  # statements this run set out to re-tag
    reason: str = ""


def _ids(db: Database, sql: str, params: Iterable[Any] = ()) -> set[int]:
    return {row[0] for row in db.execute(sql, list(params)).fetchall()}


def _auto_tagged(db: Database, dimension: str, values: set[str]) -> set[int]:
    """Statements whose automatic tags carry one of these codes (human codes do not count)."""
    marks = ",".join("?" * len(values))
    return _ids(db, f"select statement_id from tags where dimension = ? and value in ({marks}) and origin != 'human'",
                [dimension, *sorted(values)])


def plan_retag(db: Database, tagger, everything: bool = False) -> RetagPlan:
    """Which statements to re-tag, and why, from the study's record and the tagger's state."""
    total = db.execute("select count(*) from statements").fetchone()[0]
    state, record, sources = tagging_state(tagger), load_record(db), source_snapshot(db)

    def all_of(why: str) -> RetagPlan:
        ids = [row[0] for row in db.execute("select id from statements order by id")]
        return RetagPlan(ids, total, f"{why}; re-tagging all {total:,} statements", state, record, sources)

    if everything:
        return all_of("asked to re-tag every statement")
    if state is None:
        return all_of("cannot tell which codebook this tagger uses")
    if record is None:
        return all_of("no record of the codebook the tags were made with")
    changes = [compare(old, state) for old in record.states]
    for change in changes:
        if change.everything:
            return all_of(change.everything)
    parts = [part for change in changes for part in change.parts]
    anchors, finder = Anchors(), None
    for change in changes:
        if change.phrases or change.patterns:
            finder = finder or AnchorFinder(tagger.nlp)
        for added, removed in change.phrases.values():
            for phrase in added | removed:
                anchors.add(finder.phrase(phrase))
        for label, (added, removed) in change.patterns.items():
            for pattern in added + removed:
                anchors.add(finder.pattern(pattern, label_name(label)))
    if anchors.everything:
        return all_of(f"codebook changed: {describe(parts)}; {anchors.everything}")
    ids = matching_statements(db, anchors)
    for change in changes:
        if change.touchpoints:
            ids |= _auto_tagged(db, "touchpoint", change.touchpoints)
        for dimension, codes in change.removed_codes.items():
            ids |= _auto_tagged(db, dimension, codes)
    new_sources = [int(source_id) for source_id, version in sources.items() if not record.covers(source_id, version)]
    for start in range(0, len(new_sources), 500):
        chunk = new_sources[start:start + 500]
        ids |= _ids(db, f"select id from statements where source_id in ({','.join('?' * len(chunk))})", chunk)
    why = []
    if parts:
        why.append(f"codebook changed: {describe(parts)}")
    if new_sources:
        why.append(f"{len(new_sources):,} source{'s' if len(new_sources) != 1 else ''} imported since the last re-tag")
    if not why:
        return RetagPlan([], total, "codebook and tagger unchanged since the last re-tag; nothing to re-tag",
                         state, record, sources, changed=False)
    return RetagPlan(sorted(ids), total, f"{'; '.join(why)}; re-tagging {len(ids):,} of {total:,} statements",
                     state, record, sources)


def retag_statements(db: Database, tagger, progress: Progress | None = None,
                     cancelled: Callable[[], bool] = lambda: False, batch_size: int = BATCH,
                     everything: bool = False, plan: RetagPlan | None = None) -> RetagReport:
    """Re-tag what the codebook change affects (every statement with `everything`); human codes stay."""
    plan = plan or plan_retag(db, tagger, everything)
    human = db.execute("select count(distinct statement_id) from tags where origin = 'human' "
                       "and superseded_by is null").fetchone()[0]
    report = RetagReport(total=plan.total, done=0, human_coded=human, planned=len(plan.statement_ids),
                         reason=plan.reason)
    if progress:
        progress("re-tag", 0, report.planned)
    pool = _worker_pool(tagger, report.planned)
    finished = False
    try:
        window = max(batch_size, POOL_WINDOW) if pool else batch_size
        for start in range(0, report.planned, window):
            if cancelled() or not _retag_window(db, pool or tagger, plan.statement_ids[start:start + window],
                                                batch_size, report, progress, cancelled):
                report.cancelled = True
                break
        finished = not report.cancelled
    finally:  # also on Ctrl+C or an error: the record must not vouch for statements left half-way
        if pool:
            pool.close()
        _remember(db, plan, finished)
    return report


def _texts(db: Database, ids: list[int]) -> list[tuple[int, str]]:
    """(id, text) of the statements still in the study, in the order asked."""
    texts: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        texts.update(db.execute(f"select id, text from statements where id in ({','.join('?' * len(chunk))})",
                                chunk).fetchall())
    return [(i, texts[i]) for i in ids if i in texts]


def _batches(items: Iterator, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _retag_window(db: Database, tagging, ids: list[int], batch_size: int, report: RetagReport,
                  progress: Progress | None, cancelled: Callable[[], bool]) -> bool:
    """Tag one window of statements and write them a batch at a time; False when cancelled part-way."""
    rows = _texts(db, ids)
    tags = tagging.tag_texts([text for _, text in rows], batch_size=min(batch_size, 256))
    try:
        for number, batch in enumerate(_batches(zip(rows, tags), batch_size)):
            if number and cancelled():
                return False
            with db.atomic():
                batch_ids = [statement_id for (statement_id, _), _ in batch]
                present = {i for i, _ in _texts(db, batch_ids)}  # a source removed meanwhile takes its statements
                replace_auto_tags(db, [(statement_id, tag) for (statement_id, _), tag in batch
                                       if statement_id in present])
            report.done += len(batch)
            if progress:
                progress("re-tag", report.done, report.planned)
    finally:
        if hasattr(tags, "close"):
            tags.close()  # stops the workers' remaining chunks when cancelled
    report.done += len(ids) - len(rows)  # statements deleted since planning: nothing left to re-tag
    return True


def _worker_pool(tagger, count: int):
    """Worker processes for a big re-tag, when they would build exactly this tagger; else None."""
    from voicemap.nlp.parallel import MIN_PARALLEL, ParallelTagger

    if count < MIN_PARALLEL or not _codebook_file_matches(tagger):
        return None
    pool = ParallelTagger(tagger, min_parallel=0)
    if not pool.uses_workers(count):
        pool.close()
        return None
    pool.prepare(count)
    return pool


def _codebook_file_matches(tagger) -> bool:
    """Workers load the codebook from its file: it must still say what this tagger was built from."""
    from voicemap.codebook import CodebookError, load_codebook

    path = getattr(getattr(tagger, "codebook", None), "path", "")
    if not path:
        return False
    try:
        return codebook_state(load_codebook(path)) == codebook_state(tagger.codebook)
    except (CodebookError, OSError):
        return False


def _remember(db: Database, plan: RetagPlan, finished: bool) -> None:
    """Record what the tags are now made with: this state, or (interrupted) any of the old ones or this."""
    if plan.state is None:
        save_record(db, [], {})  # tagged by something we cannot describe: no record is the honest one
    elif finished and plan.changed:
        save_record(db, [plan.state], plan.sources)
    elif not finished and plan.record is not None:
        save_record(db, [*plan.record.states, plan.state], plan.record.sources)


def note_tagged_sources(db: Database, tagger, source_ids: Iterable[int]) -> None:
    """After an import: these sources were just tagged by `tagger` (call inside the import's transaction).

    Without this, the first re-tag after an import re-tags the new sources' statements,
    since the record cannot vouch for them; with it, only what a later codebook edit affects.
    """
    state = tagging_state(tagger)
    if state is None:
        return  # the sources stay uncovered: a re-tag will redo them
    record = load_record(db)
    wanted = {str(source_id) for source_id in source_ids}
    added = {source_id: at for source_id, at in source_snapshot(db).items() if source_id in wanted}
    if record is None:
        save_record(db, [state], added)  # sources from before stay uncovered
    else:
        save_record(db, [*record.states, state], {**record.sources, **added})
