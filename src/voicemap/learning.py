"""Learning from the researcher: a per-project model retrained from human codes.

Every correction a researcher makes is a labelled example from their own study. For
each single-valued dimension with enough human codes (stage, sentiment, pain, pain
category) a small logistic regression learns from the coded statements' words and the
rules' own tags ("the rules said usage, the researcher said support"), and then
re-codes the statements nobody has coded where it is confident, with origin "model"
and a cue saying what it learned from. Human codes are never touched.

The model is plain data: a JSON file beside the project database (vocabulary,
weights, classes), never a pickle, so it can be read, diffed and deleted. `voicemap
retag --all` puts the rules' tags back everywhere (a plain `retag` only where the
codebook change reaches); run `voicemap learn` again afterwards.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np

LEARNABLE = ("stage", "sentiment", "pain", "pain_category")
MIN_CODES = 10  # fewer examples than this teach nothing reliable
MIN_PER_CLASS = 2
MIN_CONFIDENCE = 0.55  # the model replaces a rule tag only when at least this sure (chosen on dev slices)
NONE = "(none)"
FORMAT_VERSION = 1


def statement_features(text: str, rule_tags: dict[str, Any], tokenizer) -> list[str]:
    """Words and word pairs of the statement plus the rules' tags as features."""
    from voicemap.nlp.text_model import features

    found = features([t.text for t in tokenizer(text)])
    for dimension in ("stage", "sentiment", "pain", "pain_category"):
        found.append(f"rule:{dimension}={rule_tags.get(dimension)}")
    for dimension in ("touchpoints", "emotions"):
        found += [f"rule:{dimension}={value}" for value in rule_tags.get(dimension) or []]
    return found


def _matrix(rows: list[list[str]], vocabulary: dict[str, int]):
    from scipy.sparse import csr_matrix

    indptr, indices, values = [0], [], []
    for row in rows:
        ids = sorted({vocabulary[f] for f in row if f in vocabulary})
        indices += ids
        values += [1.0 / math.sqrt(len(ids))] * len(ids)
        indptr.append(len(indices))
    return csr_matrix((np.asarray(values, dtype=np.float64), np.asarray(indices, dtype=np.int64), indptr),
                      shape=(len(rows), len(vocabulary)))


@dataclass
class DimensionModel:
    """A multinomial (or binary) logistic regression stored as plain numbers."""

    dimension: str
    classes: list[str]
    vocabulary: list[str]
    weights: list[list[float]]  # (n_classes or 1) x n_features
    bias: list[float]
    examples: int

    def probabilities(self, rows: list[list[str]]) -> np.ndarray:
        index = {f: i for i, f in enumerate(self.vocabulary)}
        scores = _matrix(rows, index) @ np.asarray(self.weights).T + np.asarray(self.bias)
        if len(self.classes) == 2 and scores.shape[1] == 1:  # sklearn's binary form
            p = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            return np.stack([1 - p, p], axis=1)
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        return scores / scores.sum(axis=1, keepdims=True)

    def predict(self, rows: list[list[str]]) -> list[tuple[str, float]]:
        probabilities = self.probabilities(rows)
        best = probabilities.argmax(axis=1)
        return [(self.classes[b], float(probabilities[i, b])) for i, b in enumerate(best)]


def fit_dimension(dimension: str, rows: list[list[str]], labels: list[str]) -> DimensionModel | None:
    """Train one dimension's model, or None when the codes are too few or too uniform."""
    from sklearn.linear_model import LogisticRegression

    counts = {label: labels.count(label) for label in set(labels)}
    classes = sorted(label for label, n in counts.items() if n >= MIN_PER_CLASS)
    keep = [i for i, label in enumerate(labels) if label in classes]
    if len(keep) < MIN_CODES or len(classes) < 2:
        return None
    vocabulary = sorted({f for i in keep for f in rows[i]})
    index = {f: i for i, f in enumerate(vocabulary)}
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000)
    model.fit(_matrix([rows[i] for i in keep], index), [labels[i] for i in keep])
    return DimensionModel(dimension, [str(c) for c in model.classes_], vocabulary, model.coef_.tolist(),
                          model.intercept_.tolist(), len(keep))


@dataclass
class ProjectModel:
    models: dict[str, DimensionModel] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT_VERSION, "models": {
            d: {"classes": m.classes, "vocabulary": m.vocabulary, "weights": m.weights, "bias": m.bias,
                "examples": m.examples} for d, m in self.models.items()}})

    @classmethod
    def from_json(cls, text: str) -> "ProjectModel":
        data = json.loads(text)
        return cls({d: DimensionModel(d, m["classes"], m["vocabulary"], m["weights"], m["bias"], m["examples"])
                    for d, m in data.get("models", {}).items()})


def model_path(db_path: str | Path) -> Path:
    """Where a project's learned model lives: beside its database."""
    path = Path(db_path)
    return path.with_name(path.stem + ".learned.json")


def _label(dimension: str, value: Any) -> str:
    if dimension == "pain":
        return "yes" if value in (1, True, "yes") else "no"
    return str(value) if value else NONE


def _statements(db) -> list[dict[str, Any]]:
    rows = db.query("select id, text, stage, sentiment, pain, pain_category, touchpoints, emotions from statements")
    return [dict(r, touchpoints=json.loads(r["touchpoints"] or "[]"), emotions=json.loads(r["emotions"] or "[]"))
            for r in rows]


def _rule_tags(db, statement_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The automatic tags (not the human ones) per statement, for the features."""
    tags: dict[int, dict[str, Any]] = {}
    ids = list(statement_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for row in db.query(f"select statement_id, dimension, value from tags where origin != 'human' and "
                            f"statement_id in ({','.join('?' * len(chunk))})", chunk):
            entry = tags.setdefault(row["statement_id"], {})
            if row["dimension"] in ("touchpoint", "emotion"):
                entry.setdefault(row["dimension"] + "s", []).append(row["value"])
            else:
                entry[row["dimension"]] = row["value"]
    return tags


def _human_codes(db) -> dict[str, dict[int, str]]:
    codes: dict[str, dict[int, str]] = {}
    for row in db.query("select statement_id, dimension, value from tags where origin = 'human' "
                        "and superseded_by is null"):
        if row["dimension"] in LEARNABLE:
            codes.setdefault(row["dimension"], {})[row["statement_id"]] = _label(row["dimension"], row["value"])
    return codes


@dataclass
class LearnReport:
    trained: dict[str, int] = field(default_factory=dict)  # dimension -> human codes learned from
    skipped: dict[str, str] = field(default_factory=dict)  # dimension -> why not
    changed: dict[str, int] = field(default_factory=dict)  # dimension -> statements re-coded by the model


def learn(db, db_path: str | Path | None = None, min_confidence: float = MIN_CONFIDENCE) -> LearnReport:
    """Train from the study's human codes, save the model beside the DB, re-code uncoded statements."""
    import spacy

    from voicemap.store.coding import refresh_effective
    from voicemap.store.db import utc_now

    tokenizer = spacy.blank("en").tokenizer
    statements = _statements(db)
    rule_tags = _rule_tags(db, [s["id"] for s in statements])
    rows = {s["id"]: statement_features(s["text"], rule_tags.get(s["id"], {}), tokenizer) for s in statements}
    codes = _human_codes(db)
    report, project = LearnReport(), ProjectModel()
    for dimension in LEARNABLE:
        coded = codes.get(dimension, {})
        model = fit_dimension(dimension, [rows[i] for i in coded if i in rows], [coded[i] for i in coded if i in rows])
        if model is None:
            report.skipped[dimension] = f"{len(coded)} human codes (needs {MIN_CODES}, in at least two values)"
            continue
        project.models[dimension] = model
        report.trained[dimension] = model.examples
    if db_path and str(db_path) != ":memory:":
        model_path(db_path).write_text(project.to_json(), encoding="utf-8")
    now = utc_now()
    touched: set[int] = set()
    with db.atomic():
        for dimension, model in project.models.items():
            coded = codes.get(dimension, {})
            targets = [s for s in statements if s["id"] not in coded]
            predictions = model.predict([rows[s["id"]] for s in targets])
            report.changed[dimension] = 0
            for statement, (value, probability) in zip(targets, predictions):
                rule = _label(dimension, rule_tags.get(statement["id"], {}).get(dimension))
                if probability < min_confidence or value == rule:
                    continue
                db.execute("delete from tags where statement_id = ? and dimension = ? and origin != 'human'",
                           [statement["id"], dimension])
                # "(none)" is stored as NULL: "no stage here", with the cue saying why.
                db["tags"].insert({"statement_id": statement["id"], "dimension": dimension,
                                   "value": None if value == NONE else value, "origin": "model",
                                   "confidence": round(probability, 3),
                                   "cue": f"learned from {model.examples} human codes (p={probability:.2f})",
                                   "coder": None, "created_at": now, "correction_id": None, "superseded_by": None})
                touched.add(statement["id"])
                report.changed[dimension] += 1
        refresh_effective(db, touched)
    return report
