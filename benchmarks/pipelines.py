"""Choose the spaCy pipeline by data: tagging accuracy against speed for each configuration.

For every configuration in `voicemap.nlp.model.PIPELINES` the same tagger is built
(`VOICEMAP_PIPELINE`), timed bare and whole on the benchmark corpus, scored on the
hand-labelled development set (tests/data/labelled_statements.jsonl) and, when the
shared evaluation data is present, on five real labelled sets, and compared tag by
tag with the full pipeline on the corpus. `choose` applies the rule the default is
picked by: the fastest configuration that loses no meaningful accuracy. Also times thinc's matrix
products on blis against NumPy's BLAS, one thread, as voicemap runs them.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
LABELLED = ROOT / "tests" / "data" / "labelled_statements.jsonl"
EVAL_DATA = ROOT.parent / "shared" / "eval" / "data"
CONFIGS = ("full", "no-ner", "no-parser", "blank")
DIMENSIONS = ("stage", "touchpoint", "emotion", "sentiment", "pain", "pain_category")
TAG_FIELDS = ("stage", "touchpoints", "emotions", "sentiment", "pain", "pain_category", "actions")
# Real labelled sets (shared, read at run time) and how many test rows of each are scored.
REAL_SETS = (("complaints", None), ("airline", 3000), ("goemotions", 3000), ("absa", None), ("banking77", None))
# A drop larger than this in any score (F1 on one dimension of one set) counts as meaningful.
TOLERANCE = 0.005


@contextmanager
def environment(**values: str) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _speed(action, count: int) -> float:
    """Statements per CPU second: steadier than wall time on a shared machine."""
    started = time.process_time()
    action()
    return count / (time.process_time() - started)


def _scores(tagger, labelled) -> dict[str, float]:
    from voicemap.evaluation.runner import evaluate

    result = evaluate(labelled, tagger)
    return {score.dimension: score.value for score in result.scores}


def compare_pipelines(texts: list[str]) -> list[dict]:
    """One row per configuration: components, speeds, accuracy and agreement with `full`."""
    with environment(VOICEMAP_WORKERS="1"):
        return _compare(texts)


def _real_sets() -> list:
    """The shared labelled sets (test split), each capped so the comparison stays a few minutes."""
    from voicemap.evaluation.datasets import load_dataset

    sets = []
    if EVAL_DATA.is_dir():
        for name, limit in REAL_SETS:
            try:
                sets.append(load_dataset(name, EVAL_DATA, split="test", limit=limit))
            except Exception as exc:  # the shared data is optional; say why a set was skipped
                print(f"  ({name} not scored: {exc})")
    return sets


def _compare(texts: list[str]) -> list[dict]:
    from voicemap.evaluation.datasets import load_labelled_file
    from voicemap.nlp.tagger import Tagger

    labelled = load_labelled_file(LABELLED) if LABELLED.is_file() else None
    real_sets = _real_sets()
    rows, reference = [], None
    for config in CONFIGS:
        with environment(VOICEMAP_PIPELINE=config):
            tagger = Tagger(quiet=True)
        trained = [name for name in tagger.nlp.pipe_names if not name.startswith("voicemap")]
        with tagger.nlp.select_pipes(enable=trained):
            bare = _speed(lambda: [None for _ in tagger.nlp.pipe(texts, batch_size=256)], len(texts))
        tags: list = []
        whole = _speed(lambda: tags.extend(tagger.tag_texts(texts)), len(texts))
        values = [[getattr(t, name) for name in TAG_FIELDS] for t in tags]
        reference = reference or values
        agreement = {name: sum(a[i] == b[i] for a, b in zip(values, reference)) / len(values)
                     for i, name in enumerate(TAG_FIELDS)}
        scores = {}
        if labelled:
            scores.update({f"labelled/{dim}": value for dim, value in _scores(tagger, labelled).items()})
        for real in real_sets:
            scores.update({f"{real.name}/{dim}": value for dim, value in _scores(tagger, real).items()})
        rows.append({"config": config, "components": trained, "bare": bare, "tagger": whole,
                     "agreement": agreement, "scores": scores,
                     "rows": {real.name: len(real.items) for real in real_sets}})
        print(f"  {config}: bare {bare:,.0f}/s, tagger {whole:,.0f}/s, "
              f"pain F1 {scores.get('labelled/pain', 0):.3f}", flush=True)
    return rows


def choose(rows: list[dict], tolerance: float = TOLERANCE) -> tuple[str, dict[str, float]]:
    """The fastest configuration whose every score is within `tolerance` of the full pipeline's.

    Returns it with the largest drop of each configuration, so the report can show the rule at work.
    """
    full = next(row for row in rows if row["config"] == "full")
    drops = {row["config"]: max((full["scores"][key] - row["scores"].get(key, 0.0) for key in full["scores"]),
                                default=0.0) for row in rows}
    eligible = [row for row in rows if drops[row["config"]] <= tolerance]
    return max(eligible, key=lambda row: row["tagger"])["config"], drops


def compare_gemm(texts: list[str]) -> dict[str, float]:
    """Bare statements/s (CPU) of the default pipeline with thinc's gemm on blis vs NumPy's BLAS (one thread)."""
    from threadpoolctl import threadpool_limits
    from thinc.api import get_current_ops, set_current_ops

    from voicemap.nlp.model import load_language

    out = {}
    previous = get_current_ops()
    with threadpool_limits(1):
        for name in ("blis", "numpy"):
            with environment(VOICEMAP_GEMM=name):
                nlp, _ = load_language(quiet=True)
            out[name] = max(_speed(lambda: [None for _ in nlp.pipe(texts, batch_size=256)], len(texts))
                            for _ in range(2))
    set_current_ops(previous)
    return out
