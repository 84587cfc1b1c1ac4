"""Long work off the UI thread: loading the tagger, import, re-tag, cluster, writing files.

Each job is a Textual thread worker in the "heavy" group that opens its own database
connection (SQLite connections stay in their thread), reports through small messages
that coalesce (`can_replace`) so a burst of progress never floods the UI, and polls
`worker.is_cancelled` between batches, so escape stops it cleanly. Errors end the job
and become notifications through the app's Worker.StateChanged handler.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable

from textual import work
from textual.message import Message
from textual.worker import get_current_worker

HEAVY = "heavy"


class WorkProgress(Message):
    """A job moved on: what it is doing and how far (total None: not known yet)."""

    def __init__(self, job: str, text: str, done: int = 0, total: int | None = None) -> None:
        super().__init__()
        self.job, self.text, self.done, self.total = job, text, done, total

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, WorkProgress) and message.job == self.job


class WorkFinished(Message):
    """A job ended; `markdown` goes into the conversation, `changed` says whether data changed."""

    def __init__(self, job: str, markdown: str, changed: bool = False, path: str | None = None) -> None:
        super().__init__()
        self.job, self.markdown, self.changed, self.path = job, markdown, changed, path


class TaggerReady(Message):
    def __init__(self, description: str | None, error: str | None = None) -> None:
        super().__init__()
        self.description, self.error = description, error


class TaggerHolder:
    """The tagger, loaded once in the background; jobs that need it wait here."""

    def __init__(self, factory: Callable[[Any], Any]):
        self.factory = factory
        self.tagger = None
        self.error: str | None = None
        self.ready = threading.Event()

    def load(self, codebook) -> None:
        try:
            self.tagger = self.factory(codebook)
        except Exception as exc:  # a missing model must not crash the app: it is reported instead
            self.error = str(exc) or exc.__class__.__name__
        finally:
            self.ready.set()

    def wait(self, cancelled: Callable[[], bool]):
        while not self.ready.wait(0.1):
            if cancelled():
                return None
        if self.error:
            raise RuntimeError(f"the tagger could not be loaded: {self.error}")
        return self.tagger


def default_tagger_factory(codebook):
    # Deferred: spaCy takes seconds to import, and the app must paint first.
    from voicemap.nlp.tagger import Tagger

    return Tagger(codebook, quiet=True)


def describe_tagger(tagger) -> str:
    info = getattr(tagger, "model_info", None)
    name = getattr(info, "name", None) or getattr(info, "model", None)
    return f"tagger ready ({name})" if name else "tagger ready"


class JobsMixin:
    """Thread workers of the app; the host provides db_path, codebook, tagger_holder and post_message."""

    db_path: Path
    codebook: Any
    tagger_holder: TaggerHolder

    def _progress(self, job: str) -> Callable[[str, int, int], None]:
        def report(name: str, done: int, total: int) -> None:
            what = f"{job}:" if name == job else f"{job}: {name}"
            self.post_message(WorkProgress(job, f"{what} {done:,}/{total:,} statements", done, total))
        return report

    @work(thread=True, exclusive=True, exit_on_error=False, group="tagger", description="Loading the tagger")
    def load_tagger(self) -> None:
        self.tagger_holder.load(self.codebook)
        holder = self.tagger_holder
        self.post_message(TaggerReady(None if holder.error else describe_tagger(holder.tagger), holder.error))

    def _tagger(self, job: str):
        worker = get_current_worker()
        if not self.tagger_holder.ready.is_set():
            self.post_message(WorkProgress(job, f"{job}: waiting for the tagger to load…"))
        return self.tagger_holder.wait(lambda: worker.is_cancelled)

    @work(thread=True, exclusive=True, exit_on_error=False, group=HEAVY, description="Import")
    def import_job(self, paths: list[str], options: dict[str, list[str]] | None = None) -> None:
        from voicemap.importer import import_paths
        from voicemap.ingest import ReadOptions
        from voicemap.store import open_db
        from voicemap.tui.summaries import import_summary

        worker = get_current_worker()
        missing = [p for p in paths if not Path(p).exists()]
        if missing:
            raise FileNotFoundError(f"{missing[0]}: no such file or folder")
        tagger = self._tagger("import")
        if tagger is None:
            return
        given = options or {}
        read_options = ReadOptions(kind=(given.get("kind") or [None])[0], text_columns=given.get("text_column", []),
                                   id_column=(given.get("id_column") or [None])[0])
        if self.codebook.interviewer_names:
            read_options.interviewer_names = tuple(self.codebook.interviewer_names)
        db = open_db(self.db_path)
        try:
            self.post_message(WorkProgress("import", f"import: reading {', '.join(Path(p).name for p in paths)}"))
            report = import_paths(db, paths, read_options, tagger=tagger, progress=self._progress("import"),
                                  cancelled=lambda: worker.is_cancelled)
        finally:
            db.conn.close()
        self.post_message(WorkFinished("import", import_summary(report), changed=report.statements > 0))

    @work(thread=True, exclusive=True, exit_on_error=False, group=HEAVY, description="Re-tag")
    def retag_job(self) -> None:
        from voicemap.retag import retag_statements
        from voicemap.store import open_db

        worker = get_current_worker()
        tagger = self._tagger("re-tag")
        if tagger is None:
            return
        db = open_db(self.db_path)
        try:
            report = retag_statements(db, tagger, progress=self._progress("re-tag"),
                                      cancelled=lambda: worker.is_cancelled)
        finally:
            db.conn.close()
        verb = "Stopped after re-tagging" if report.cancelled else "Re-tagged"
        why = f"{report.reason}. " if report.reason else ""
        self.post_message(WorkFinished("re-tag", f"{why}{verb} **{report.done:,}** of {report.total:,} statements; "
                                       f"the human codes of {report.human_coded:,} statements were kept as they were.",
                                       changed=report.done > 0))

    @work(thread=True, exclusive=True, exit_on_error=False, group=HEAVY, description="Cluster")
    def cluster_job(self) -> None:
        from voicemap.assistant.clusters import available, run_clustering
        from voicemap.store import open_db

        if not available():
            raise RuntimeError("clustering is not available in this build")
        from voicemap.cluster.run import ClusteringCancelled

        worker = get_current_worker()
        db = open_db(self.db_path)
        try:
            text = run_clustering(db, lambda message: self.post_message(WorkProgress("cluster", f"cluster: {message}")),
                                  lambda: worker.is_cancelled)
        except ClusteringCancelled as exc:
            text = f"{exc}."
        finally:
            db.conn.close()
        self.post_message(WorkFinished("cluster", text, changed=True))

    @work(thread=True, exclusive=True, exit_on_error=False, group=HEAVY, description="Export")
    def export_job(self, path: str, fmt: str) -> None:
        from voicemap.export import export_statements
        from voicemap.store import open_db

        target = Path(path).expanduser()
        self.post_message(WorkProgress("export", f"export: writing {target.name}"))
        db = open_db(self.db_path)
        try:
            partial = target.with_name(target.name + ".part")
            with open(partial, "w", encoding="utf-8", newline="") as out:
                count = export_statements(db, fmt, out)
            partial.replace(target)  # never leave a half-written export under the real name
        finally:
            db.conn.close()
        self.post_message(WorkFinished("export", f"Exported **{count:,}** statements to `{target.resolve()}` ({fmt}).",
                                       path=str(target)))

    @work(thread=True, exclusive=True, exit_on_error=False, group="write", description="Write file")
    def save_document_job(self, name: str, path: str) -> None:
        from voicemap.store import open_db
        from voicemap.tui.summaries import render_map, render_report

        target = Path(path).expanduser()
        db = open_db(self.db_path)
        try:
            text = (render_map if name == "map" else render_report)(db, self.codebook)
        finally:
            db.conn.close()
        partial = target.with_name(target.name + ".part")
        partial.write_text(text, encoding="utf-8")
        partial.replace(target)  # a reader never sees half a report
        what = "journey map" if name == "map" else "pitfalls report"
        self.post_message(WorkFinished("write", f"Wrote the {what} to `{target.resolve()}` "
                                       f"({text.count(chr(10)) + 1} lines).", path=str(target)))
