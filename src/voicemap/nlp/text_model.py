"""A small linear text classifier shipped as plain data: a JSON vocabulary and NumPy weights.

Trained once on GoEmotions train (see `voicemap.evaluation.train_goemotions`), it
gives every statement emotion probabilities and sentiment probabilities that the
rule components combine with the codebook cues. No pickles: the vocabulary is
JSON, the weights an `.npz` loaded with `allow_pickle=False`, and inference is a
sparse matrix product over a whole batch. Featurising reads only the statement's
own tokens, so a statement's prediction never depends on its batch.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np
from scipy.sparse import csr_matrix

NEGATORS = frozenset({"not", "no", "never", "n't", "nothing", "nobody", "none", "neither", "nor", "without",
                      "cannot", "dont", "didnt", "doesnt", "cant", "wont", "isnt", "wasnt", "hardly"})
SCOPE_BREAKS = frozenset({".", ",", ";", ":", "!", "?", "but", "however", "and", "because", "so"})
NEGATION_SCOPE = 3
KEPT_PUNCTUATION = frozenset({"!", "?", ":(", ":)", ":-(", ":-)", ":/", ":d", ";)", "..."})
_DIGITS = re.compile(r"\d")
_WORDISH = re.compile(r"\w")


@lru_cache(maxsize=65536)
def normalise(token: str) -> str | None:
    """The form a token is counted under; None for tokens that carry no signal (cached: words repeat)."""
    text = token.lower()
    if text.startswith("@") and len(text) > 1:
        return "@user"
    if text.startswith(("http", "www.")):
        return "<url>"
    if text in ("n't", "n’t"):
        return "not"
    if text in KEPT_PUNCTUATION:
        return text
    if not _WORDISH.search(text):
        return None
    return _DIGITS.sub("0", text.replace("’", "'"))


def features(words: Sequence[str]) -> list[str]:
    """Unigrams (marked `neg_` inside a negation's scope) and plain bigrams."""
    tokens, unigrams, scope = [], [], 0
    for word in words:
        token = normalise(word)
        if word.lower() in SCOPE_BREAKS:
            scope = 0
        if not token:
            continue
        tokens.append(token)
        unigrams.append(f"neg_{token}" if scope else token)
        if token in NEGATORS:
            scope = NEGATION_SCOPE
        elif scope:
            scope -= 1
    bigrams = [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]
    return unigrams + bigrams


def vectorise(batch: Sequence[Sequence[str]], vocabulary: dict[str, int]) -> csr_matrix:
    """Binary bag of features per row, L2-normalised (the same transform as in training)."""
    indptr, indices, values = [0], [], []
    for words in batch:
        ids = sorted({index for index in map(vocabulary.get, features(words)) if index is not None})
        indices += ids
        values += [1.0 / math.sqrt(len(ids))] * len(ids) if ids else []
        indptr.append(len(indices))
    return csr_matrix((np.asarray(values, dtype=np.float32), np.asarray(indices, dtype=np.int64), indptr),
                      shape=(len(batch), len(vocabulary)))


@dataclass
class Head:
    """One classifier over the shared features: sigmoid (multi-label) or softmax (one of)."""

    name: str
    labels: list[str]
    kind: str  # "sigmoid" | "softmax"
    weights: np.ndarray  # (n_features, n_labels)
    bias: np.ndarray  # (n_labels,)
    dense_weights: np.ndarray | None = None  # (n_dense, n_labels) for extra numeric inputs (VADER)
    thresholds: np.ndarray | None = None

    def predict(self, matrix: csr_matrix, dense: np.ndarray | None = None) -> np.ndarray:
        scores = np.asarray(matrix @ self.weights) + self.bias
        if self.dense_weights is not None and dense is not None:
            scores = scores + dense @ self.dense_weights
        if self.kind == "softmax":
            scores = np.exp(scores - scores.max(axis=1, keepdims=True))
            return scores / scores.sum(axis=1, keepdims=True)
        return 1.0 / (1.0 + np.exp(-scores))


class LinearTextModel:
    """Vocabulary + heads loaded from a folder (`vocabulary.json`, `weights.npz`, `meta.json`)."""

    def __init__(self, folder: str | Path):
        folder = Path(folder)
        self.folder = folder
        self.meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        words = json.loads((folder / "vocabulary.json").read_text(encoding="utf-8"))
        self.vocabulary = {word: index for index, word in enumerate(words)}
        self.name = self.meta.get("name", folder.name)
        arrays = np.load(folder / "weights.npz", allow_pickle=False)
        self.heads: dict[str, Head] = {}
        for name, spec in self.meta["heads"].items():
            self.heads[name] = Head(
                name, list(spec["labels"]), spec["kind"], arrays[f"{name}_weights"].astype(np.float32),
                arrays[f"{name}_bias"].astype(np.float32),
                arrays[f"{name}_dense"].astype(np.float32) if f"{name}_dense" in arrays else None,
                np.asarray(spec["thresholds"], dtype=np.float32) if spec.get("thresholds") else None)

    def predict(self, batch: Sequence[Sequence[str]], dense: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Probabilities per head for a batch of tokenised statements."""
        matrix = vectorise(batch, self.vocabulary)
        return {name: head.predict(matrix, dense) for name, head in self.heads.items()}


def save_model(folder: str | Path, vocabulary: list[str], heads: list[Head], meta: dict) -> None:
    """Write a model as plain data (used by the training script)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {}
    meta = dict(meta, heads={})
    for head in heads:
        arrays[f"{head.name}_weights"] = head.weights.astype(np.float16)
        arrays[f"{head.name}_bias"] = head.bias.astype(np.float32)
        if head.dense_weights is not None:
            arrays[f"{head.name}_dense"] = head.dense_weights.astype(np.float32)
        meta["heads"][head.name] = {"labels": head.labels, "kind": head.kind,
                                    "thresholds": None if head.thresholds is None else
                                    [round(float(t), 4) for t in head.thresholds]}
    np.savez_compressed(folder / "weights.npz", **arrays)
    (folder / "vocabulary.json").write_text(json.dumps(vocabulary, ensure_ascii=False), encoding="utf-8")
    (folder / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
