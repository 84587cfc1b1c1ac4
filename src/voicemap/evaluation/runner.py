"""Run a labelled set through the real import path and score the tags that come back.

The texts are written to a temporary survey CSV, imported with `import_paths` into a
temporary database (so splitting, tagging and storage are exactly what a researcher
gets), and read back from the statements table. One input row can become several
statements, so tags are aggregated per row:

- pain: yes when any statement is a pain point (its category from the first such statement);
- sentiment: the statements' labels combined: all agree -> that label; positive and
  negative (or a mixed statement) -> mixed; sets labelled only negative/neutral/positive
  score mixed as negative, since in feedback the complaint is what needs acting on;
- stage: the stage of the statement with the highest stage confidence;
- touchpoints and emotions: the union over the row's statements.
"""

from __future__ import annotations

import csv
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from voicemap.codebook import Codebook
from voicemap.evaluation.datasets import NONE, LabelledItem, LabelledSet
from voicemap.evaluation.mappings import absa_scored_touchpoints, scored_emotions
from voicemap.evaluation.metrics import DimensionScore, score_binary, score_multi, score_single
from voicemap.store.query import select_statements

SENTIMENTS = ["negative", "neutral", "positive"]
ID_COLUMN, TEXT_COLUMN = "item_id", "text"


@dataclass
class RowTags:
    stage: str | None = None
    touchpoints: frozenset[str] = frozenset()
    emotions: frozenset[str] = frozenset()
    sentiment: str = "neutral"
    pain: bool = False
    pain_category: str | None = None
    statements: int = 0


@dataclass
class EvaluationResult:
    dataset: str
    split: str
    rows: int
    statements: int
    seconds: float
    scores: list[DimensionScore] = field(default_factory=list)
    note: str = ""
    pairs: dict[str, tuple[list, list]] = field(default_factory=dict)  # dimension -> (gold, predicted)
    baselines: list[DimensionScore] = field(default_factory=list)  # VADER alone on the same rows

    def to_dict(self) -> dict:
        return {"dataset": self.dataset, "split": self.split, "rows": self.rows, "statements": self.statements,
                "seconds": round(self.seconds, 1), "note": self.note, "scores": [s.to_dict() for s in self.scores]}


def aggregate(statements: list[dict]) -> RowTags:
    """One row's tags from its statements (see the module docstring for the rules)."""
    if not statements:
        return RowTags()
    labels = {s["sentiment"] for s in statements} - {"neutral", None}
    if not labels:
        sentiment = "neutral"
    elif len(labels) == 1:
        sentiment = labels.pop()
    else:
        sentiment = "mixed"
    staged = [s for s in statements if s["stage"]]
    best = max(staged, key=lambda s: s["stage_confidence"] or 0.0) if staged else None
    pained = [s for s in statements if s["pain"]]
    return RowTags(
        stage=best["stage"] if best else None,
        touchpoints=frozenset(t for s in statements for t in s["touchpoints"]),
        emotions=frozenset(e for s in statements for e in s["emotions"]),
        sentiment=sentiment,
        pain=bool(pained),
        pain_category=pained[0]["pain_category"] if pained else None,
        statements=len(statements),
    )


def tag_through_import(items: list[LabelledItem], tagger, workdir: Path | None = None,
                       progress: Callable[[str, int, int], None] | None = None) -> dict[str, RowTags]:
    """Import the items' texts as a survey into a temporary database; tags per item id."""
    from voicemap.importer import import_paths
    from voicemap.ingest import ReadOptions
    from voicemap.store import open_db

    with tempfile.TemporaryDirectory(prefix="voicemap-eval-", dir=workdir) as folder:
        path = Path(folder) / "labelled.csv"
        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([ID_COLUMN, TEXT_COLUMN])
            writer.writerows([item.id, item.text] for item in items)
        db = open_db(Path(folder) / "eval.db")
        options = ReadOptions(kind="survey", text_columns=[TEXT_COLUMN], id_column=ID_COLUMN)
        report = import_paths(db, [path], options, tagger=tagger, progress=progress)
        if report.failed:
            raise RuntimeError(report.failed[0].error)
        by_row: dict[str, list[dict]] = {}
        for row in select_statements(db):
            by_row.setdefault(row["row_id"], []).append(row)
        db.conn.close()
    return {item.id: aggregate(by_row.get(item.id, [])) for item in items}


def _predicted(dimension: str, tags: RowTags, three_way: bool) -> object:
    if dimension == "stage":
        return tags.stage or NONE
    if dimension == "sentiment":
        return "negative" if three_way and tags.sentiment == "mixed" else tags.sentiment
    if dimension == "pain_category":
        return tags.pain_category or NONE
    return {"touchpoint": tags.touchpoints, "emotion": tags.emotions, "pain": tags.pain}[dimension]


def score(labelled: LabelledSet, predictions: dict[str, RowTags], codebook: Codebook,
          pairs: dict[str, tuple[list, list]] | None = None) -> list[DimensionScore]:
    """Score every dimension the set labels, on the items that label it (pairs collects gold/predicted)."""
    dimensions = []
    for item in labelled.items:
        dimensions += [d for d in item.gold if d not in dimensions]
    gold_sentiments = {item.gold["sentiment"] for item in labelled.items if "sentiment" in item.gold}
    three_way = "mixed" not in gold_sentiments
    results = []
    for dimension in dimensions:
        items = [item for item in labelled.items if dimension in item.gold]
        gold = [item.gold[dimension] for item in items]
        predicted = [_predicted(dimension, predictions[item.id], three_way) for item in items]
        if pairs is not None:
            pairs[dimension] = (gold, predicted)
        if dimension == "pain":
            results.append(score_binary(dimension, gold, predicted))
        elif dimension == "touchpoint":
            labels = sorted(absa_scored_touchpoints()) if labelled.name == "absa" else codebook.ids("touchpoint")
            results.append(score_multi(dimension, gold, predicted, labels))
        elif dimension == "emotion":
            labels = scored_emotions(codebook) if labelled.name == "goemotions" else codebook.ids("emotion")
            results.append(score_multi(dimension, gold, predicted, labels))
        else:
            labels = {"stage": codebook.ids("stage"), "pain_category": codebook.ids("pain_category"),
                      "sentiment": SENTIMENTS + ([] if three_way else ["mixed"])}[dimension]
            results.append(score_single(dimension, gold, predicted, labels))
    return results


def score_stages(gold: list[str], predicted: list[str], codebook: Codebook) -> DimensionScore:
    """Stage scores over rows pooled from several sets (BANKING77 + airline)."""
    return score_single("stage", gold, predicted, codebook.ids("stage"))


def vader_baseline(labelled: LabelledSet) -> list[DimensionScore]:
    """The issue's naive baselines on the same rows: VADER compound <= -0.05 is a complaint; +-0.05 sentiment."""
    from voicemap.nlp.components import label_sentiment, vader

    results = []
    for dimension in ("pain", "sentiment"):
        items = [item for item in labelled.items if dimension in item.gold]
        if not items:
            continue
        compounds = [vader().polarity_scores(item.text)["compound"] for item in items]
        gold = [item.gold[dimension] for item in items]
        if dimension == "pain":
            results.append(score_binary("pain", gold, [c <= -0.05 for c in compounds]))
        elif "mixed" not in gold:
            results.append(score_single("sentiment", gold, [label_sentiment(c) for c in compounds], SENTIMENTS))
    return results


def evaluate(labelled: LabelledSet, tagger, progress: Callable[[str, int, int], None] | None = None) -> EvaluationResult:
    """Import, tag, aggregate and score one labelled set (and the VADER baseline on the same rows)."""
    started = time.monotonic()
    predictions = tag_through_import(labelled.items, tagger, progress=progress)
    seconds = time.monotonic() - started
    statements = sum(p.statements for p in predictions.values())
    pairs: dict[str, tuple[list, list]] = {}
    scores = score(labelled, predictions, tagger.codebook, pairs)
    return EvaluationResult(labelled.name, labelled.split, len(labelled.items), statements, seconds, scores,
                            labelled.note, pairs, vader_baseline(labelled))
