"""Choose the spaCy pipeline by data: tagging accuracy against speed for each configuration.

For every configuration in `voicemap.nlp.model.PIPELINES` the same tagger is built
(`VOICEMAP_PIPELINE`), timed bare and whole on the benchmark corpus, scored on the
hand-labelled development set (tests/data/labelled_statements.jsonl) and, when the
shared evaluation data is present, on a real labelled set, and compared tag by tag
with the full pipeline on the corpus. The default should be the fastest
configuration that loses no meaningful accuracy. Also times thinc's matrix
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


@contextmanager
def actions_without_parse() -> Iterator[None]:
    """Read actions without `Token.children` when there is no parse.

    spaCy 3.8 leaves tokenizer special cases such as "She's" with dangling tree edges when
    no parser runs, and `Token.children` on them crashes the process (a segfault in
    `tagger._actions` on real data). Until the tagger guards that, parse-less
    configurations are measured with this guard: verbs without their objects.
    """
    import voicemap.nlp.tagger as tagger_module

    original = tagger_module._actions

    def guarded(doc):
        if doc.has_annotation("DEP"):
            return original(doc)
        if not doc.has_annotation("POS"):
            return []
        return [t.lemma_.lower() for t in doc if t.pos_ == "VERB" and t.lemma_.lower() not in tagger_module.LIGHT_VERBS]

    tagger_module._actions = guarded
    try:
        yield
    finally:
        tagger_module._actions = original


def compare_pipelines(texts: list[str], external: str | None = "complaints") -> list[dict]:
    """One row per configuration: components, speeds, accuracy and agreement with `full`."""
    with environment(VOICEMAP_WORKERS="1"), actions_without_parse():
        return _compare(texts, external)


def _compare(texts: list[str], external: str | None) -> list[dict]:
    from voicemap.evaluation.datasets import load_dataset, load_labelled_file
    from voicemap.nlp.tagger import Tagger

    labelled = load_labelled_file(LABELLED) if LABELLED.is_file() else None
    real = None
    if external and EVAL_DATA.is_dir():
        try:
            real = load_dataset(external, EVAL_DATA, split="test")
        except Exception as exc:  # the shared data is optional; say why it was skipped
            print(f"  ({external} not scored: {exc})")
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
        row = {"config": config, "components": trained, "bare": bare, "tagger": whole, "agreement": agreement,
               "labelled": _scores(tagger, labelled) if labelled else {},
               "real": _scores(tagger, real) if real else {}, "real_name": getattr(real, "name", None),
               "real_rows": len(real.items) if real else 0}
        rows.append(row)
        print(f"  {config}: bare {bare:,.0f}/s, tagger {whole:,.0f}/s, pain F1 {row['labelled'].get('pain', 0):.3f}")
    return rows


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
