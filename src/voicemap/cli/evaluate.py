"""`voicemap eval`: measure the tagger on public labelled data and write docs/accuracy.md."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import date
from pathlib import Path

import click

from voicemap.cli.app import Context, main, pass_context, write_output
from voicemap.cli.progress import ProgressLine
from voicemap.settings import PROJECT_ROOT

PUBLIC_SETS = ("complaints", "airline", "goemotions", "absa", "banking77")
LABELLED_DEV_SET = PROJECT_ROOT / "tests" / "data" / "labelled_statements.jsonl"
DEFAULT_DATA = PROJECT_ROOT.parent / "shared" / "eval" / "data"


def current_commit() -> str:
    """`git rev-parse --short HEAD`, marked when the working tree differs from it."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                                text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (commit or "unknown") + (" + uncommitted changes" if dirty else "")


def _run_meta(data_version: str, tagger) -> dict:
    info = tagger.model_info
    return {"date": date.today().isoformat(), "commit": current_commit(), "data_version": data_version,
            "pipeline": f"{info.name} ({', '.join(info.components)})"}


def _echo_result(result) -> None:
    click.echo(f"{result.dataset} ({result.split}): {result.rows:,} rows, {result.statements:,} statements, "
               f"{result.seconds:.0f} s")
    for score in result.scores:
        name = "F1 (yes)" if score.headline == "F1" else "macro-F1"
        accuracy = f", accuracy {score.accuracy:.3f}" if score.accuracy is not None else ""
        click.echo(f"  {score.dimension}: {name} {score.value:.3f}{accuracy}")
    for score in result.baselines:
        click.echo(f"  VADER baseline, {score.dimension}: {score.value:.3f}")


def _load_store(path: Path) -> dict:
    if path.is_file():
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            raise click.ClickException(f"{path}: not valid JSON; delete it to start the figures afresh") from None
    return {"runs": {}}


@main.command("eval")
@click.argument("dataset")
@click.option("--data", "data_path", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The labelled data folder (default: $VOICEMAP_EVAL_DATA or ../shared/eval/data).")
@click.option("--split", type=click.Choice(["test", "dev"]), default="test", show_default=True,
              help="dev scores the slice used while improving the tagger; only test runs update the docs.")
@click.option("--limit", type=int, default=None, help="Only the first N rows of each set (a quick check).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("docs/accuracy.md"),
              show_default=True, help="The Markdown report; its figures are kept beside it as .json.")
@pass_context
def eval_command(context: Context, dataset: str, data_path: Path | None, split: str, limit: int | None,
                 output: Path) -> None:
    """Measure tagging against human labels: complaints, airline, goemotions, absa, banking77, learning, all.

    Each set is imported through the normal import path into a temporary database and
    its tags compared with the labels (per-label precision, recall, F1, macro-F1). A
    .jsonl file of your own labelled statements works too. Test runs update
    docs/accuracy.md; the data itself is only read, never copied.
    """
    from voicemap.evaluation.datasets import DatasetError, data_version, load_dataset
    from voicemap.evaluation.report import POOLED_STAGE, STAGE_PARTS, render_accuracy
    from voicemap.evaluation.runner import evaluate, score_stages
    from voicemap.nlp.tagger import Tagger

    data_path = data_path or Path(os.environ.get("VOICEMAP_EVAL_DATA") or DEFAULT_DATA)
    codebook = context.codebook()
    names = [*PUBLIC_SETS, "learning"] if dataset == "all" else [dataset]
    if dataset == "all" and LABELLED_DEV_SET.is_file():
        names.append(str(LABELLED_DEV_SET))
    store_path = output.with_suffix(".json")
    store = _load_store(store_path)
    tagger = Tagger(codebook, quiet=True)
    progress = ProgressLine()
    stage_pairs: dict[str, tuple[list, list]] = {}
    version = "unknown"
    for name in names:
        if name == "learning":
            _run_learning(store, data_path, codebook, split, limit, tagger)
            continue
        try:
            labelled = load_dataset(name, data_path, split, codebook, limit)
        except DatasetError as exc:
            raise click.ClickException(str(exc)) from None
        progress.reset()
        result = evaluate(labelled, tagger, progress=progress)
        _echo_result(result)
        version = data_version(data_path, labelled.files) if name in PUBLIC_SETS else data_version(
            Path(name).parent, labelled.files)
        store["runs"][result.dataset] = {**_run_meta(version, tagger), "result": {
            **result.to_dict(), "baselines": [s.to_dict() for s in result.baselines]}}
        if result.dataset in STAGE_PARTS and "stage" in result.pairs:
            stage_pairs[result.dataset] = result.pairs["stage"]
    if len(stage_pairs) == len(STAGE_PARTS):
        gold = [g for part in STAGE_PARTS for g in stage_pairs[part][0]]
        predicted = [p for part in STAGE_PARTS for p in stage_pairs[part][1]]
        pooled = score_stages(gold, predicted, codebook)
        click.echo(f"stage, pooled {' + '.join(STAGE_PARTS)}: macro-F1 {pooled.value:.3f}")
        store["runs"][POOLED_STAGE] = {**_run_meta(version, tagger), "score": pooled.to_dict(),
                                       "result": {"scores": [pooled.to_dict()]}}
    if split != "test":
        click.echo("(dev split: docs not updated)", err=True)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    store_path.write_text(json.dumps(store, indent=1) + "\n", encoding="utf-8")
    write_output(render_accuracy(store, codebook), str(output))


def _run_learning(store: dict, data_path: Path, codebook, split: str, limit: int | None, tagger) -> None:
    """How much N simulated human codes improve agreement on held-out statements."""
    from voicemap.evaluation.datasets import DatasetError, data_version
    from voicemap.evaluation.learning_curve import learning_curve

    try:
        curve = learning_curve(data_path, codebook, tagger, limit=limit)
    except DatasetError as exc:
        raise click.ClickException(str(exc)) from None
    for row in curve["rows"]:
        click.echo(f"  {row['label']}: " + ", ".join(f"N={n}: {v:.3f}" for n, v in zip(curve["sizes"], row["values"])))
    if split == "test":
        files = curve.pop("files", [])
        store["learning"] = {**curve, **_run_meta(data_version(data_path, files), tagger)}
