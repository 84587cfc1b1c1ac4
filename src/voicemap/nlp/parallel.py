"""Tag on every core: worker processes each run their own Tagger and send back only `Tags`.

spaCy's own `nlp.pipe(n_process=2)` scaled badly on 2 cores (PERF.md: slower than one
process for the lean pipeline), because it ships whole Docs back to the parent. A pool
whose workers run the complete tagger (spaCy, cues, VADER) and return the small `Tags`
rows scaled 1.9–2.0×. Workers are *spawned*, not forked: the TUI imports from a
thread, and forking a process that has threads is unsafe. A worker costs a few
seconds to start (import spaCy, load the model), so small inputs are tagged in the
calling process, where the tagger is already loaded.

Every statement is its own Doc, so a statement's tags never depend on its batch or on
which process tagged it; results come back in input order. Texts may come from an
iterator (an import streaming a file): they are read only as fast as they are tagged,
a few chunks ahead, and while the workers load the calling process tags the first
chunks itself, so their start-up is not time lost. A worker checks that it
built the same pipeline as the caller (a fingerprint of the pipe names, voicemap's
component settings and the codebook file), and if it did not — or the pool breaks —
the rest is tagged in-process, never silently differently.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import multiprocessing
import os
import sys
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from voicemap.domain import Tags

log = logging.getLogger(__name__)

MIN_PARALLEL = 4_000  # statements; below this the workers' start-up costs more than it saves
CHUNK = 256  # statements per task: small enough to balance the workers and to cancel quickly
WINDOW_PER_WORKER = 3  # tasks in flight per worker: keeps workers busy without piling up results
MAX_WORKERS = 2  # each worker holds its own model (~290 MB): two plus the caller stay under 1 GB at 100k
# glibc hands big blocks (thinc's per-batch arrays) back to the OS on free and faults them in
# again on the next batch: in a worker that cost ~150 µs of system time a statement (64 page
# faults). Fixed thresholds keep them in the worker's heap: ~30 µs and 6 faults. Both are
# needed; either alone did not help. Set only in the workers' environment (glibc reads it at
# start), never over a user's own setting; other C libraries ignore it.
WORKER_ENVIRONMENT = {"MALLOC_MMAP_THRESHOLD_": str(32 * 1024 * 1024), "MALLOC_TRIM_THRESHOLD_": str(256 * 1024 * 1024)}


def default_workers() -> int:
    """`VOICEMAP_WORKERS` if set, else the usable cores (at most MAX_WORKERS); 1 means in-process."""
    configured = os.environ.get("VOICEMAP_WORKERS", "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


@dataclass(frozen=True)
class TaggerRecipe:
    """What a worker needs to build the caller's tagger again, and how to recognise it."""

    codebook_path: str
    model: str
    fingerprint: str


def pipeline_fingerprint(tagger) -> str:
    """Pipe names, voicemap's component settings, the model and the codebook's bytes, hashed."""
    nlp = tagger.nlp
    settings = {name: dict(nlp.config["components"].get(name, {})) for name in nlp.pipe_names
                if name.startswith("voicemap")}
    codebook_path = getattr(tagger.codebook, "path", "") or ""
    codebook_bytes = Path(codebook_path).read_bytes() if codebook_path and Path(codebook_path).is_file() else b""
    payload = json.dumps({"pipes": nlp.pipe_names, "settings": settings, "model": repr(tagger.model_info),
                          "codebook": hashlib.sha256(codebook_bytes).hexdigest()}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def recipe_for(tagger) -> TaggerRecipe | None:
    """A recipe when the tagger is a plain `Tagger` built from a codebook file, else None."""
    from voicemap.nlp.tagger import Tagger

    if type(tagger) is not Tagger:
        return None
    codebook_path = getattr(tagger.codebook, "path", "") or ""
    if not codebook_path or not Path(codebook_path).is_file():
        return None  # a codebook built in memory cannot be rebuilt in another process
    return TaggerRecipe(codebook_path, tagger.model_info.name, pipeline_fingerprint(tagger))


# --- inside a worker process --------------------------------------------------------------
_worker: dict[str, Any] = {}


def _start_worker(recipe: TaggerRecipe) -> None:
    """Build the worker's tagger once; an error is kept and reported with the first task."""
    try:
        try:
            from threadpoolctl import threadpool_limits

            threadpool_limits(1)  # the workers already use every core; BLAS threads would fight them
        except ImportError:
            pass
        from voicemap.codebook import load_codebook
        from voicemap.nlp.tagger import Tagger

        tagger = Tagger(load_codebook(recipe.codebook_path), model=recipe.model, quiet=True)
        _worker["tagger"], _worker["fingerprint"] = tagger, pipeline_fingerprint(tagger)
        # The model lives as long as this process: keep the garbage collector from rescanning
        # its objects on every full collection (14-16 µs a statement). Only in a worker: a
        # frozen tagger in the calling process could never be freed (the TUI rebuilds it).
        gc.freeze()
    except Exception as exc:  # reported to the caller, which then tags in-process
        _worker["error"] = f"{type(exc).__name__}: {exc}"


def _ready() -> bool:
    """A no-op task: submitting one per worker makes the pool start (and load) them all now."""
    return "error" not in _worker


def _tag_chunk(texts: list[str], batch_size: int) -> tuple[str | None, str | None, list[Tags]]:
    if "error" in _worker:
        return None, _worker["error"], []
    return _worker["fingerprint"], None, list(_worker["tagger"].tag_texts(texts, batch_size=batch_size))


# --- in the calling process ---------------------------------------------------------------
@contextmanager
def _worker_environment() -> Iterator[None]:
    """`WORKER_ENVIRONMENT` for the processes spawned meanwhile (they copy `os.environ`)."""
    added = {name: value for name, value in WORKER_ENVIRONMENT.items() if name not in os.environ}
    os.environ.update(added)
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


@contextmanager
def _main_module_hidden() -> Iterator[None]:
    """Spawn workers without re-running the caller's `__main__` (a script, the TUI, a notebook).

    A spawned child normally imports the parent's main module first; everything a
    worker runs lives in this module, so skipping it makes start-up faster and stops
    a script without an `if __name__ == "__main__"` guard from running again.
    """
    main = sys.modules.get("__main__")
    saved = {name: main.__dict__[name] for name in ("__file__", "__spec__") if main and name in main.__dict__}
    try:
        for name in saved:
            setattr(main, name, None)
        yield
    finally:
        for name, value in saved.items():
            setattr(main, name, value)


class ParallelTagger:
    """`tag_texts` like a Tagger's, spread over worker processes when the input is big enough.

    Create one per import and `close()` it (or use it as a context manager): the pool
    starts on the first big input and is reused for every later one.
    """

    def __init__(self, tagger, workers: int | None = None, min_parallel: int | None = None,
                 chunk_size: int | None = None):
        self.tagger = tagger
        self.workers = workers or default_workers()
        self.min_parallel = MIN_PARALLEL if min_parallel is None else min_parallel
        self.chunk_size = chunk_size or CHUNK
        self.recipe = recipe_for(tagger) if self.workers > 1 else None
        self.disabled: str | None = None if self.recipe else "single worker or a tagger that cannot be rebuilt"
        self._pool: ProcessPoolExecutor | None = None
        self._ready: list[Future] = []  # one no-op task per worker: done once that worker has loaded
        self.tagged_in_workers = 0  # statements whose tags came from a worker process

    def __getattr__(self, name: str):
        if name == "tagger":  # not set yet: never recurse
            raise AttributeError(name)
        return getattr(self.tagger, name)  # codebook, model_info, nlp... of the wrapped tagger

    def __enter__(self) -> "ParallelTagger":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def uses_workers(self, count: int) -> bool:
        """Whether `count` statements would go to the worker processes."""
        return self.disabled is None and count >= self.min_parallel

    def prepare(self, expected: int) -> None:
        """Start the workers now if about `expected` statements are coming: they load while the caller reads."""
        if self.uses_workers(expected):
            self._start_workers()

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Start the workers and wait until one has loaded (for measuring the workers, not their start-up)."""
        self._start_workers()
        done, _ = wait(self._ready, timeout=timeout, return_when=FIRST_COMPLETED)
        return bool(done) and self.disabled is None

    def _start_workers(self) -> None:
        if self._pool is None and self._ensure_pool() is not None:
            try:
                with _main_module_hidden(), _worker_environment():
                    self._ready = [self._pool.submit(_ready) for _ in range(self.workers)]
            except (OSError, RuntimeError) as exc:
                self._disable(f"could not start worker processes ({exc})")

    def tag_texts(self, texts: Iterable[str], batch_size: int = 256) -> Iterator[Tags]:
        """Tags for `texts`, in order; an iterator is read as it is tagged, never all at once."""
        if self.disabled is not None:
            big = False
        elif isinstance(texts, Sequence):
            big = self.uses_workers(len(texts))
        else:  # read up to the threshold to learn whether the input is big
            texts = iter(texts)
            first = list(islice(texts, max(1, self.min_parallel)))
            big = self.uses_workers(len(first))
            texts = chain(first, texts)
        if big:
            self._start_workers()
        if not big or self._pool is None:
            yield from self.tagger.tag_texts(texts, batch_size=batch_size)
            return
        yield from self._tag_in_pool(iter(texts), batch_size)

    def tag(self, text: str) -> Tags:
        return self.tagger.tag(text)

    def _ensure_pool(self) -> ProcessPoolExecutor | None:
        if self._pool is None and self.disabled is None:
            try:
                self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=_start_worker, initargs=(self.recipe,))
            except (OSError, ValueError, RuntimeError) as exc:
                self._disable(f"could not start worker processes ({exc})")
        return self._pool

    def _disable(self, reason: str) -> None:
        log.warning("voicemap: tagging in one process: %s", reason)
        self.disabled = reason
        self.close()

    def _workers_up(self) -> bool:
        """Whether a worker has finished loading (until then the caller tags, rather than wait)."""
        return not self._ready or any(future.done() for future in self._ready)

    def _tag_in_pool(self, texts: Iterator[str], batch_size: int) -> Iterator[Tags]:
        pending: deque[tuple[list[str], Future]] = deque()  # chunks sent, oldest first
        window = self.workers * WINDOW_PER_WORKER
        try:
            while True:
                if not pending and not self._workers_up():
                    chunk = list(islice(texts, self.chunk_size))
                    if not chunk:
                        return
                    yield from self.tagger.tag_texts(chunk, batch_size=batch_size)
                    continue
                while len(pending) < window:
                    chunk = list(islice(texts, self.chunk_size))  # a reader's error is raised from here, as is
                    if not chunk:
                        break
                    pending.append((chunk, self._submit(chunk, batch_size)))
                if not pending:
                    return
                try:
                    fingerprint, error, tags = pending[0][1].result()
                except (BrokenProcessPool, OSError, RuntimeError) as exc:
                    fingerprint, error, tags = None, f"the worker processes failed ({exc})", []
                if error or fingerprint != self.recipe.fingerprint:
                    rest = chain.from_iterable(chunk for chunk, _ in pending)
                    untagged = chain(list(rest), texts)
                    pending.clear()
                    self._disable(error or "a worker built a different pipeline than this process")
                    yield from self.tagger.tag_texts(untagged, batch_size=batch_size)
                    return
                pending.popleft()
                self.tagged_in_workers += len(tags)
                yield from tags
        finally:
            for _, future in pending:  # the caller stopped early (cancelled, or an error)
                future.cancel()

    def _submit(self, chunk: list[str], batch_size: int) -> Future:
        try:
            with _main_module_hidden(), _worker_environment():  # submit() is where the pool spawns its workers
                return self._pool.submit(_tag_chunk, chunk, batch_size)
        except (BrokenProcessPool, OSError, RuntimeError) as exc:
            failed: Future = Future()
            failed.set_exception(exc)  # reported like a task that failed: the rest is tagged in-process
            return failed

    def close(self) -> None:
        """Stop the worker processes (waiting for any task still running)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
