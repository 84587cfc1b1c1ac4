"""Naming clusters by the words that set them apart: class-based TF-IDF (as in BERTopic).

Each cluster's statements are joined into one "class document"; a term scores high when
it is frequent in that class and rare across the other classes, so "late window" names
the delivery cluster rather than "box", which every cluster mentions.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer

TOP_TERMS = 8
LABEL_TERMS = 3


class ClassTfidfLabeller:
    """c-TF-IDF over lemmas: `fit(docs, labels)` -> {cluster: [(term, weight), ...]}."""

    def __init__(self, vectorizer_model: CountVectorizer | None = None, top_n: int = TOP_TERMS,
                 label_terms: int = LABEL_TERMS):
        self.vectorizer_model = vectorizer_model or CountVectorizer(stop_words="english", ngram_range=(1, 2),
                                                                    token_pattern=r"(?u)\b[^\W\d_][\w'-]+\b")
        self.top_n = top_n
        self.label_terms = label_terms

    def fit(self, docs: Sequence[str], labels: Sequence[int]) -> dict[int, list[tuple[str, float]]]:
        classes = sorted({int(label) for label in labels if label >= 0})
        if not classes:
            return {}
        class_docs = [" ".join(d for d, label in zip(docs, labels) if label == c) for c in classes]
        try:
            counts = self.vectorizer_model.fit_transform(class_docs).toarray().astype(float)
        except ValueError:  # no usable words at all (e.g. only stop words)
            return {c: [] for c in classes}
        terms = self.vectorizer_model.get_feature_names_out()
        tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
        average_words = counts.sum() / len(classes)
        idf = np.log(1.0 + average_words / np.maximum(counts.sum(axis=0), 1.0))
        scores = tf * idf
        result = {}
        for row, cluster in enumerate(classes):
            order = np.lexsort((terms, -scores[row]))  # ties broken alphabetically: deterministic
            result[cluster] = [(str(terms[i]), float(scores[row, i])) for i in order[: self.top_n] if scores[row, i] > 0]
        return result

    def name(self, terms: list[tuple[str, float]]) -> str:
        """A short readable label: the top terms, skipping words a longer term already says."""
        chosen: list[str] = []
        for term, _ in terms:
            words = set(term.split())
            if any(words <= set(c.split()) for c in chosen):
                continue
            chosen = [c for c in chosen if not set(c.split()) <= words]  # a bigram replaces its unigram
            chosen.append(term)
            if len(chosen) == self.label_terms:
                break
        return " · ".join(chosen) if chosen else "(no distinctive words)"
