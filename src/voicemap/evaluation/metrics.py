"""Per-label precision, recall and F1, and the macro-F1 the targets are stated in.

Single-label dimensions (stage, sentiment) compare one value per row; multi-label
ones (touchpoint, emotion) compare sets; pain is binary and scored on the "yes"
class. A label with fewer than `MIN_SUPPORT` gold rows is listed but left out of the
macro average, because one or two examples make its F1 a coin toss.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sklearn.metrics import accuracy_score, precision_recall_fscore_support
from sklearn.preprocessing import MultiLabelBinarizer

MIN_SUPPORT = 5


@dataclass
class LabelScore:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class DimensionScore:
    dimension: str
    rows: int
    per_label: list[LabelScore] = field(default_factory=list)
    macro_f1: float = 0.0
    accuracy: float | None = None
    headline: str = "macro-F1"  # what `value` is: macro-F1, or F1 of the positive class for pain

    @property
    def value(self) -> float:
        if self.headline == "F1":
            return next((s.f1 for s in self.per_label if s.label == "yes"), 0.0)
        return self.macro_f1

    def to_dict(self) -> dict:
        return {"dimension": self.dimension, "rows": self.rows, "headline": self.headline,
                "value": round(self.value, 4), "macro_f1": round(self.macro_f1, 4),
                "accuracy": None if self.accuracy is None else round(self.accuracy, 4),
                "per_label": [{"label": s.label, "precision": round(s.precision, 4), "recall": round(s.recall, 4),
                               "f1": round(s.f1, 4), "support": s.support} for s in self.per_label]}


def _macro(scores: list[LabelScore]) -> float:
    counted = [s.f1 for s in scores if s.support >= MIN_SUPPORT]
    return sum(counted) / len(counted) if counted else 0.0


def score_single(dimension: str, gold: list[str], predicted: list[str], labels: list[str]) -> DimensionScore:
    """One value per row; values outside `labels` (e.g. "no stage") only count as misses."""
    labels = [label for label in labels if label in set(gold) | set(predicted)]
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, predicted, labels=labels, zero_division=0)
    scores = [LabelScore(*row) for row in zip(labels, precision, recall, f1, map(int, support))]
    return DimensionScore(dimension, len(gold), scores, _macro(scores), accuracy_score(gold, predicted))


def score_multi(dimension: str, gold: list[frozenset[str]], predicted: list[frozenset[str]],
                labels: list[str]) -> DimensionScore:
    """A set per row; predictions outside `labels` cannot be judged by this data and are ignored."""
    binarizer = MultiLabelBinarizer(classes=labels)
    y_true = binarizer.fit_transform([set(g) & set(labels) for g in gold])
    y_pred = binarizer.transform([set(p) & set(labels) for p in predicted])
    scores = []
    for column, label in enumerate(labels):  # one label at a time: a single column would read as binary
        precision, recall, f1, support = precision_recall_fscore_support(
            y_true[:, column], y_pred[:, column], labels=[1], zero_division=0)
        scores.append(LabelScore(label, precision[0], recall[0], f1[0], int(support[0])))
    exact = sum(set(g) & set(labels) == set(p) & set(labels) for g, p in zip(gold, predicted)) / max(1, len(gold))
    return DimensionScore(dimension, len(gold), scores, _macro(scores), exact)


def score_binary(dimension: str, gold: list[bool], predicted: list[bool]) -> DimensionScore:
    """Yes/no: the headline is F1 of "yes"; both classes are listed."""
    as_text = lambda values: ["yes" if v else "no" for v in values]  # noqa: E731
    result = score_single(dimension, as_text(gold), as_text(predicted), ["yes", "no"])
    result.headline = "F1"
    return result
