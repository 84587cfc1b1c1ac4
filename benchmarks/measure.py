"""Measurements for perf.py: the bare spaCy pipeline, voicemap's import, memory and the machine.

The bare runs use exactly the trained components voicemap loads (`load_language`, with
the same exclusions and the same attribute-ruler look-up) and nothing of voicemap's
own: no segmentation, cues, VADER, tags or SQLite. The "whole pipeline" runs add
voicemap's own spaCy components (cues, VADER, the tag components) but still no
reading, segmenting, `Tags`, or SQLite. voicemap's import runs in a child
process (`perf.py --child-import`) so its memory can be read on its own, workers
included, and so the benchmark's own corpus and models do not count against it.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from voicemap.nlp.parallel import CHUNK, WINDOW_PER_WORKER, _worker_environment

HERE = Path(__file__).resolve().parent


def machine_info() -> dict:
    """CPU model, usable cores, RAM and versions, for the header of docs/performance.md."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    except (ValueError, OSError, AttributeError):
        ram = float("nan")
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    import spacy
    import thinc

    return {"cpu": cpu, "cores": cores, "ram_gb": round(ram, 1), "python": platform.python_version(),
            "os": f"{platform.system()} {platform.release()}", "spacy": spacy.__version__, "thinc": thinc.__version__}


class OtherLoad:
    """How much of the machine other processes used while the benchmark ran (Linux /proc/stat)."""

    def __init__(self):
        self.share: float | None = None

    @staticmethod
    def _jiffies() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = values[3] + (values[4] if len(values) > 4 else 0)
        return sum(values[:8]) - idle, sum(values[:8])

    @staticmethod
    def _ours() -> float:
        return cpu_seconds()

    def __enter__(self) -> "OtherLoad":
        try:
            self._start = (*self._jiffies(), self._ours())
        except (OSError, ValueError, ImportError):
            self._start = None
        return self

    def __exit__(self, *exc) -> None:
        if self._start is None:
            return
        (busy, total), ours = self._jiffies(), self._ours()
        ticks = os.sysconf("SC_CLK_TCK")
        others = (busy - self._start[0]) / ticks - (ours - self._start[2])
        self.share = max(0.0, others / ((total - self._start[1]) / ticks))


def cpu_seconds() -> float:
    """CPU time of this process and every child it has waited for (workers, import processes)."""
    import resource

    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def clock(action) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds of all our processes, result) of one call.

    CPU time is what other programs on a shared machine cannot inflate much, so ratios
    of CPU time say what voicemap costs even when the wall clock is noisy."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    result = action()
    return time.perf_counter() - wall, cpu_seconds() - cpu, result


# --- memory -------------------------------------------------------------------------------
def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            parent = int(stat[stat.rindex(")") + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if parent == pid:
            found.append(int(entry.name))
    return found


class TreeMemory:
    """Samples the resident memory of a process and all its descendants (Linux /proc)."""

    def __init__(self, pid: int, interval: float = 0.1):
        self.pid, self.interval = pid, interval
        self.peak_total = self.peak_main = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            tree, frontier = [self.pid], [self.pid]
            while frontier:
                frontier = [c for p in frontier for c in _children(p)]
                tree += frontier
            main = _rss_mb(self.pid)
            self.peak_main = max(self.peak_main, main)
            self.peak_total = max(self.peak_total, main + sum(_rss_mb(p) for p in tree[1:]))
            self._stop.wait(self.interval)

    def __enter__(self) -> "TreeMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


# --- the bare pipeline --------------------------------------------------------------------
def bare_nlp():
    """The trained components voicemap's tagger runs, loaded the way voicemap loads them."""
    from voicemap.nlp.model import load_language

    nlp, info = load_language(quiet=True)
    return nlp, info


def bare_in_process(nlp, texts: list[str]) -> float:
    started = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=256):
        pass
    return time.perf_counter() - started


def bare_spacy_processes(nlp, texts: list[str], processes: int) -> float:
    """spaCy's own `n_process`, the obvious way to use more cores with nlp.pipe."""
    started = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=256, n_process=processes):
        pass
    return time.perf_counter() - started


def whole_nlp():
    """voicemap's whole spaCy pipeline: the trained components plus cues, VADER and the tag components."""
    from voicemap.nlp.tagger import Tagger

    return Tagger(quiet=True).nlp


_bare_worker: dict = {}


def _start_bare_worker(whole: bool) -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    _bare_worker["nlp"] = whole_nlp() if whole else bare_nlp()[0]
    import gc

    gc.freeze()  # as voicemap's own workers do


def _bare_chunk(texts: list[str]) -> int:
    return sum(1 for _ in _bare_worker["nlp"].pipe(texts, batch_size=256))


def bare_pool(texts: list[str], workers: int, whole: bool = False) -> float:
    """`nlp.pipe` in the same kind of pool voicemap uses (spawned workers with the same environment and
    garbage-collector setting, same chunks), start-up included."""
    started = time.perf_counter()
    with _worker_environment(), ProcessPoolExecutor(workers, mp_context=get_context("spawn"),
                                                    initializer=_start_bare_worker, initargs=(whole,)) as pool:
        chunks = [texts[i:i + CHUNK] for i in range(0, len(texts), CHUNK)]
        done = sum(pool.map(_bare_chunk, chunks, chunksize=1))
    assert done == len(texts)
    return time.perf_counter() - started


# --- voicemap's import, in a child process -------------------------------------------------
def child_import(csv_path: str, db_path: str, workers: int) -> dict:
    """Run inside the child: load the tagger (not timed), then time `import_paths` alone."""
    from voicemap.importer import import_paths
    from voicemap.ingest import ReadOptions
    from voicemap.nlp.tagger import Tagger
    from voicemap.store import open_db

    started = time.perf_counter()
    tagger = Tagger(quiet=True)
    loaded = time.perf_counter() - started
    db = open_db(db_path)
    options = ReadOptions(kind="survey", text_columns=["what_could_we_improve"], id_column="respondent_id")
    started, cpu = time.perf_counter(), cpu_seconds()
    report = import_paths(db, [csv_path], options, tagger=tagger, workers=workers)
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu  # workers are reaped before it returns
    failed = [f.error for f in report.files if f.status != "imported"]
    return {"seconds": seconds, "cpu": cpu, "statements": report.statements, "tagger_load": loaded, "failed": failed,
            "pipeline": tagger.model_info.pipeline, "components": list(tagger.model_info.components)}


def run_import(csv_path: Path, db_path: Path, workers: int) -> dict:
    """voicemap's end-to-end import of `csv_path` in a fresh process; time, statements, peak memory."""
    if db_path.exists():
        db_path.unlink()
    command = [sys.executable, str(HERE / "perf.py"), "--child-import", str(csv_path), str(db_path), str(workers)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with TreeMemory(process.pid) as memory:
        out, err = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"import child failed:\n{err[-3000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    if result["failed"]:
        raise RuntimeError(f"import failed: {result['failed']}")
    result.update(peak_total_mb=memory.peak_total, peak_main_mb=memory.peak_main)
    return result


def window_note() -> str:
    return f"{CHUNK} statements per task, {WINDOW_PER_WORKER} tasks in flight per worker"
