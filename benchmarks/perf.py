"""voicemap at survey-batch scale: one command, one run, every figure of issue 7.

    /tmp/venv/bin/python benchmarks/perf.py --sizes 1000,10000,100000

For each size N it generates N statements (corpus.py; or reads --corpus FILE, one
statement a line), writes them as a survey CSV and measures, in this one run: the
bare spaCy pipeline voicemap uses (one process, spaCy's n_process, and the same
worker pool voicemap uses), voicemap's end-to-end import of the CSV (read, segment,
tag, VADER, store) in one process and with its default workers, the ratio, and
peak memory. On the largest database it then times questions, browser pages, the
journey map, clustering and the pitfalls report, and the TUI's first paint; and it
compares the pipeline configurations for accuracy and speed. The results are printed
and written to docs/performance.md. Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402
import measure  # noqa: E402
import report  # noqa: E402

PIPELINE_SAMPLE = 3000  # statements timed per pipeline configuration


def _best(runs: int, action) -> float:
    """Shortest of `runs` timings: on a shared machine, noise only ever adds time."""
    return min(action() for _ in range(max(1, runs)))


def measure_size(n: int, texts: list[str], nlp, whole, workers: int, workdir: Path, repeat: int) -> dict:
    from voicemap.nlp.parallel import MIN_PARALLEL

    csv_path = corpus.write_survey_csv(workdir / f"survey_{n}.csv", texts)
    row: dict = {"n": n}
    print(f"[{n:,}] bare pipeline, one process …", flush=True)
    row["bare_1"] = n / _best(repeat, lambda: measure.bare_in_process(nlp, texts))
    print(f"[{n:,}] bare pipeline, spaCy n_process={workers} …", flush=True)
    row["bare_spacy"] = n / _best(repeat, lambda: measure.bare_spacy_processes(nlp, texts, workers))
    print(f"[{n:,}] bare pipeline, pool of {workers} workers …", flush=True)
    row["bare_pool"] = n / _best(repeat, lambda: measure.bare_pool(texts, workers))
    print(f"[{n:,}] whole voicemap pipeline (cues, VADER, tag components), one process …", flush=True)
    row["whole_1"] = n / _best(repeat, lambda: measure.bare_in_process(whole, texts))
    print(f"[{n:,}] whole voicemap pipeline, pool of {workers} workers …", flush=True)
    row["whole_pool"] = n / _best(repeat, lambda: measure.bare_pool(texts, workers, whole=True))
    print(f"[{n:,}] voicemap import, one process …", flush=True)
    single = min((measure.run_import(csv_path, workdir / f"single_{n}.db", 1) for _ in range(repeat)),
                 key=lambda r: r["seconds"])
    if n >= MIN_PARALLEL and workers > 1:
        print(f"[{n:,}] voicemap import, default ({workers} workers) …", flush=True)
        auto = min((measure.run_import(csv_path, workdir / f"auto_{n}.db", workers) for _ in range(repeat)),
                   key=lambda r: r["seconds"])
        row["db"] = workdir / f"auto_{n}.db"
    else:
        auto, row["db"] = single, workdir / f"single_{n}.db"  # below the threshold the default is one process
    row["statements"] = auto["statements"]
    row["import_1"] = single["statements"] / single["seconds"]
    row["import_auto"] = auto["statements"] / auto["seconds"]
    row["auto_uses_workers"] = auto is not single
    row["peak_total_mb"], row["peak_main_mb"] = auto["peak_total_mb"], auto["peak_main_mb"]
    row["peak_single_mb"] = single["peak_total_mb"]
    row["tagger_load"] = auto["tagger_load"]
    row["components"] = auto["components"]
    row["best_bare"] = max(row["bare_1"], row["bare_spacy"], row["bare_pool"])
    row["ratio"] = row["import_auto"] / row["best_bare"]
    row["ratio_1"] = row["import_1"] / row["bare_1"]
    row["best_whole"] = max(row["whole_1"], row["whole_pool"])
    row["ratio_whole"] = row["import_auto"] / row["best_whole"]
    print(f"[{n:,}] import {row['import_auto']:,.0f}/s vs best bare {row['best_bare']:,.0f}/s "
          f"-> ratio {row['ratio']:.2f} (whole pipeline: {row['ratio_whole']:.2f}); "
          f"peak {row['peak_total_mb']:,.0f} MB", flush=True)
    return row


def measure_interactive(db_path: Path, workdir: Path) -> dict:
    import interactive
    from voicemap.codebook import load_codebook
    from voicemap.store import open_db

    codebook = load_codebook()
    db = open_db(db_path)
    out: dict = {"statements": db.execute("select count(*) from statements").fetchone()[0]}
    print("interactive: queries …", flush=True)
    out["queries"] = interactive.query_latency(db, codebook)
    print("interactive: journey map …", flush=True)
    out["journey_map"] = interactive.journey_map_seconds(db, codebook)
    db.close()
    copy = workdir / "pain20k.db"
    out["pain_kept"] = interactive.pain_only_copy(db_path, copy, 20_000)
    print(f"interactive: clustering {out['pain_kept']:,} pain statements, pitfalls report …", flush=True)
    out["cluster"] = interactive.clustering_and_pitfalls(copy, codebook)
    print("interactive: TUI first paint …", flush=True)
    out["tui"] = interactive.tui_paint_seconds(db_path)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated statement counts")
    parser.add_argument("--corpus", type=Path, help="read statements from this file (one a line) instead")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: voicemap's)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per timing; the fastest is kept")
    parser.add_argument("--skip-pipelines", action="store_true", help="skip the pipeline accuracy/speed comparison")
    parser.add_argument("--skip-interactive", action="store_true", help="skip queries, reports, clustering, TUI")
    parser.add_argument("--output", type=Path, default=HERE.parent / "docs" / "performance.md")
    parser.add_argument("--child-import", nargs=3, metavar=("CSV", "DB", "WORKERS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_import:
        csv_path, db_path, workers = args.child_import
        print(json.dumps(measure.child_import(csv_path, db_path, int(workers))))
        return

    from voicemap.nlp.parallel import default_workers

    started = time.perf_counter()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    workers = args.workers or default_workers()
    machine = measure.machine_info()
    print(f"{machine['cpu']}, {machine['cores']} cores, {machine['ram_gb']} GB; workers {workers}", flush=True)
    nlp, info = measure.bare_nlp()
    whole = measure.whole_nlp()
    source = (lambda n: corpus.read_statements(args.corpus, n)) if args.corpus else corpus.statements
    with tempfile.TemporaryDirectory(prefix="voicemap-perf-") as tmp, measure.OtherLoad() as other_load:
        workdir = Path(tmp)
        rows = [measure_size(n, source(n), nlp, whole, workers, workdir, args.repeat) for n in sizes]
        largest = max(rows, key=lambda r: r["n"])
        interactive = None if args.skip_interactive else measure_interactive(largest["db"], workdir)
        pipelines = gemm = costs = None
        sample = source(PIPELINE_SAMPLE)
        if not args.skip_pipelines:
            from pipelines import compare_gemm, compare_pipelines

            print("pipelines: accuracy and speed per configuration …", flush=True)
            pipelines = compare_pipelines(sample)
            print("pipelines: blis vs NumPy gemm …", flush=True)
            gemm = compare_gemm(sample)
        import breakdown

        print("where the time goes …", flush=True)
        sample_csv = corpus.write_survey_csv(workdir / "sample.csv", sample)
        costs = (breakdown.component_costs(sample), breakdown.import_step_costs(sample_csv, workdir / "steps.db"))
    text = report.render(machine=machine, info=info, workers=workers, rows=rows, interactive=interactive,
                         pipelines=pipelines, gemm=gemm, costs=costs,
                         corpus_note=str(args.corpus or "generated (corpus.py)"), repeat=args.repeat,
                         today=date.today().isoformat(), other_load=other_load.share,
                         minutes=(time.perf_counter() - started) / 60)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(text)
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()
