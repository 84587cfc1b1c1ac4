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
import dataclasses
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


def _best(runs: int, action) -> tuple[float, float, object]:
    """Fastest of `runs` calls as (wall s, CPU s, result): on a shared machine, noise only ever adds time."""
    return min((measure.clock(action) for _ in range(max(1, runs))), key=lambda timing: timing[0])


def measure_size(n: int, texts: list[str], nlp, whole, workers: int, workdir: Path, repeat: int) -> dict:
    from voicemap.nlp.parallel import MIN_PARALLEL

    csv_path = corpus.write_survey_csv(workdir / f"survey_{n}.csv", texts)
    row: dict = {"n": n}
    runs = {
        "bare_1": ("bare pipeline, one process", lambda: measure.bare_in_process(nlp, texts)),
        "bare_spacy": (f"bare pipeline, spaCy n_process={workers}",
                       lambda: measure.bare_spacy_processes(nlp, texts, workers)),
        "bare_pool": (f"bare pipeline, pool of {workers} workers", lambda: measure.bare_pool(texts, workers)),
        "whole_1": ("whole voicemap pipeline (cues, VADER, tag components), one process",
                    lambda: measure.bare_in_process(whole, texts)),
        "whole_pool": (f"whole voicemap pipeline, pool of {workers} workers",
                       lambda: measure.bare_pool(texts, workers, whole=True)),
        "import_1": ("voicemap import, one process",
                     lambda: measure.run_import(csv_path, workdir / f"single_{n}.db", 1)),
    }
    parallel = n >= MIN_PARALLEL and workers > 1
    if parallel:
        runs["import_auto"] = (f"voicemap import, default ({workers} workers)",
                               lambda: measure.run_import(csv_path, workdir / f"auto_{n}.db", workers))
    results = {}
    for key, (label, action) in runs.items():
        print(f"[{n:,}] {label} …", flush=True)
        wall, cpu, result = _best(repeat, action)
        if key.startswith("import"):  # the import alone, not the child's start-up and tagger load
            wall, cpu = result["seconds"], result["cpu"]
        results[key] = result
        row[key], row[f"{key}_cpu"] = n / wall, cpu
    if not parallel:  # below the threshold the default import is the one-process import
        results["import_auto"], row["import_auto"], row["import_auto_cpu"] = (results["import_1"], row["import_1"],
                                                                             row["import_1_cpu"])
    single, auto = results["import_1"], results["import_auto"]
    row["db"] = workdir / (f"auto_{n}.db" if parallel else f"single_{n}.db")
    row["statements"] = auto["statements"]
    row["auto_uses_workers"] = parallel
    row["peak_total_mb"], row["peak_main_mb"] = auto["peak_total_mb"], auto["peak_main_mb"]
    row["peak_single_mb"] = single["peak_total_mb"]
    row["tagger_load"] = auto["tagger_load"]
    row["best_bare"] = max(row["bare_1"], row["bare_spacy"], row["bare_pool"])
    row["ratio"] = row["import_auto"] / row["best_bare"]
    row["ratio_1"] = row["import_1"] / row["bare_1"]
    row["best_whole"] = max(row["whole_1"], row["whole_pool"])
    row["ratio_whole"] = row["import_auto"] / row["best_whole"]
    # CPU seconds of the same work in one process: what voicemap adds, whatever else ran on the machine.
    row["cpu_ratio"] = row["bare_1_cpu"] / row["import_1_cpu"]
    row["cpu_ratio_whole"] = row["whole_1_cpu"] / row["import_1_cpu"]
    print(f"[{n:,}] import {row['import_auto']:,.0f}/s vs best bare {row['best_bare']:,.0f}/s "
          f"-> ratio {row['ratio']:.2f} (whole pipeline: {row['ratio_whole']:.2f}; CPU: {row['cpu_ratio']:.2f}); "
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
    parser.add_argument("--raw", type=Path, help="also write the raw figures here as JSON")
    parser.add_argument("--from-raw", type=Path, help="write the report from figures saved with --raw; measure nothing")
    parser.add_argument("--child-import", nargs=3, metavar=("CSV", "DB", "WORKERS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_import:
        csv_path, db_path, workers = args.child_import
        print(json.dumps(measure.child_import(csv_path, db_path, int(workers))))
        return

    if args.from_raw:
        write_report(json.loads(args.from_raw.read_text(encoding="utf-8")), args.output)
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
    figures = {"machine": machine, "info": dataclasses.asdict(info), "workers": workers, "rows": rows,
               "interactive": interactive, "pipelines": pipelines, "gemm": gemm, "costs": costs,
               "corpus_note": str(args.corpus or "generated (corpus.py)"), "repeat": args.repeat,
               "today": date.today().isoformat(), "other_load": other_load.share,
               "minutes": (time.perf_counter() - started) / 60}
    if args.raw:
        args.raw.write_text(json.dumps(figures, default=str, indent=1), encoding="utf-8")
    write_report(figures, args.output)


def write_report(figures: dict, output: Path) -> None:
    from voicemap.nlp.model import ModelInfo

    info = figures["info"]
    figures = {**figures, "info": ModelInfo(**{**info, "components": tuple(info["components"])})}
    text = report.render(**figures)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    print(text)
    print(f"written to {output}")


if __name__ == "__main__":
    main()
