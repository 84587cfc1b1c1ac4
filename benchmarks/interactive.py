"""Interactive speed on a big study: questions, browser pages, reports, clustering, TUI start.

Each measurement uses the public entry point a user's action goes through (the
assistant, `select_statements`/`count_statements`, the report renderers, the cluster
run, the Textual app). Parts built by other modules are measured when present and
reported as "not available" otherwise.
"""

from __future__ import annotations

import importlib.util
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

RUNS = 5  # repeated runs per query; the median is reported, and the slowest


def available(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def timed(action: Callable[[], object], runs: int = RUNS) -> tuple[float, float, float]:
    """(first, median, slowest) wall time in ms; the first run is the cold one."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return times[0], statistics.median(times), max(times)


def query_latency(db, codebook) -> list[tuple[str, tuple[float, float, float]]]:
    """Browser pages and counts through the store, then every example question through the assistant."""
    from voicemap.store.query import StatementFilter, count_statements, select_statements

    total = count_statements(db)
    touchpoint = codebook.touchpoints[0].id
    emotion = codebook.emotions[0].id
    deep = max(0, total - 100)
    cases: list[tuple[str, Callable[[], object]]] = [
        ("browser: count all", lambda: count_statements(db)),
        ("browser: page 1 (50 rows)", lambda: list(select_statements(db, limit=50, offset=0))),
        (f"browser: page at offset {deep:,}", lambda: list(select_statements(db, limit=50, offset=deep))),
        ("browser: pain points, page 1 + count", lambda: (count_statements(db, StatementFilter(pain=True)),
                                                        list(select_statements(db, StatementFilter(pain=True), limit=50)))),
        (f"browser: touchpoint={touchpoint}, page 1 + count",
         lambda: (count_statements(db, StatementFilter(touchpoint=touchpoint)),
                  list(select_statements(db, StatementFilter(touchpoint=touchpoint), limit=50)))),
        (f"browser: emotion={emotion}, page 1 + count",
         lambda: (count_statements(db, StatementFilter(emotion=emotion)),
                  list(select_statements(db, StatementFilter(emotion=emotion), limit=50)))),
        ("browser: search 'refund', page 1 + count",
         lambda: (count_statements(db, StatementFilter(search="refund")),
                  list(select_statements(db, StatementFilter(search="refund"), limit=50)))),
    ]
    results = [(label, timed(action)) for label, action in cases]
    if available("voicemap.assistant"):
        from voicemap.assistant import Assistant, Catalog, example_questions

        assistant = Assistant(db, codebook)
        for question in example_questions(codebook, Catalog(db)):
            results.append((f"assistant: {question}", timed(lambda q=question: assistant.ask(q))))
    return results


def journey_map_seconds(db, codebook) -> float:
    from voicemap.report.journey_map import render_journey_map

    started = time.perf_counter()
    render_journey_map(db, codebook)
    return time.perf_counter() - started


def pain_only_copy(source_db: Path, target: Path, pain_statements: int) -> int:
    """A copy of the study keeping its first `pain_statements` pain points (and every other statement)."""
    if target.exists():
        target.unlink()
    source, connection = sqlite3.connect(source_db), sqlite3.connect(target)
    source.backup(connection)  # the WAL's pages too, which a file copy could miss
    source.close()
    with connection:
        keep = "select id from statements where pain = 1 order by id limit ?"
        doomed = f"select id from statements where pain = 1 and id not in ({keep})"
        # every table that points at a statement (tags, metadata, ...), so no orphan rows are left
        tables = [name for (name,) in connection.execute("select name from sqlite_master where type = 'table'")
                  if name != "statements" and "statement_id" in
                  {column[1] for column in connection.execute(f"pragma table_info([{name}])")}]
        for table in tables:
            connection.execute(f"delete from [{table}] where statement_id in ({doomed})", [pain_statements])
        connection.execute(f"delete from statements where id in ({doomed})", [pain_statements])
    count = connection.execute("select count(*) from statements where pain = 1").fetchone()[0]
    connection.close()
    return count


def clustering_and_pitfalls(db_path: Path, codebook) -> dict:
    """Cluster every pain point of the study at `db_path`, then write the pitfalls report."""
    from voicemap.store import open_db

    out: dict = {}
    if not available("voicemap.cluster.run"):
        return out
    from voicemap.cluster.run import cluster_pain_points

    db = open_db(db_path)
    out["pain_statements"] = db.execute("select count(*) from statements where pain = 1").fetchone()[0]
    out["statements"] = db.execute("select count(*) from statements").fetchone()[0]
    started = time.perf_counter()
    cluster_pain_points(db)
    out["cluster_seconds"] = time.perf_counter() - started
    if available("voicemap.report.pitfalls"):
        from voicemap.report.pitfalls import render_pitfalls_report

        started = time.perf_counter()
        render_pitfalls_report(db, codebook)
        out["pitfalls_seconds"] = time.perf_counter() - started
    db.close()
    return out


TUI_SCRIPT = """
import asyncio, sys, time
started = time.perf_counter()
from voicemap.tui.app import VoicemapApp

async def main():
    app = VoicemapApp(sys.argv[1])
    async with app.run_test(size=(120, 40)) as pilot:  # entered once the first screen is mounted
        painted = time.perf_counter() - started
        heavy = [m for m in ("spacy", "sklearn") if m in sys.modules]
        print(f"{painted:.3f} {','.join(heavy) or '-'}")
        app.exit()

asyncio.run(main())
"""


def tui_paint_seconds(db_path: Path) -> tuple[float, str] | None:
    """Fresh process: import the app, open the study, mount the first screen (the tagger loads after)."""
    if not available("voicemap.tui.app"):
        return None
    result = subprocess.run([sys.executable, "-c", TUI_SCRIPT, str(db_path)], capture_output=True, text=True,
                            timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"TUI start failed:\n{result.stderr[-2000:]}")
    seconds, heavy = result.stdout.strip().splitlines()[-1].split()
    return float(seconds), heavy
