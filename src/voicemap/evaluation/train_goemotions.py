"""Rebuild `models/goemotions_linear/` from GoEmotions train (fit) and dev (thresholds).

    python -m voicemap.evaluation.train_goemotions --data ../shared/eval/data [--out models/goemotions_linear]

GoEmotions (Demszky et al., ACL 2020) is Apache-2.0, the only labelled set whose
licence lets a shipped model learn from it; its test split is never read here.
Two heads share one bag-of-features vocabulary:
- `emotion`: one class-balanced logistic regression per codebook emotion that has GoEmotions labels
  (the codebook's `goemotions` fields say which); its per-emotion threshold is chosen on dev
  for the F1 of what the tagger does with it: the codebook's explicit cues OR the model;
- `sentiment`: multinomial logistic regression over the same features plus VADER's
  four scores; targets from GoEmotions' `sentiment_dict.json` (positive / negative
  groups, `neutral`; confusion counts as negative, other "ambiguous" labels as neutral;
  comments with both positive and negative labels are left out).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

import numpy as np
import spacy
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from voicemap.codebook import load_codebook
from voicemap.evaluation.datasets import read_goemotions
from voicemap.evaluation.mappings import goemotions_to_codebook
from voicemap.nlp.text_model import Head, features, save_model, vectorise
from voicemap.settings import models_dir

MIN_DF = 3
EMOTION_C = 4.0
SENTIMENT_C = 2.0
SENTIMENTS = ["negative", "neutral", "positive"]
NEGATIVE_AMBIGUOUS = {"confusion"}


def tokenise(texts: list[str]) -> list[list[str]]:
    tokenizer = spacy.blank("en").tokenizer
    return [[t.text for t in doc] for doc in tokenizer.pipe(texts, batch_size=1000)]


def build_vocabulary(batch: list[list[str]]) -> list[str]:
    counts = Counter(f for words in batch for f in set(features(words)))
    return sorted(f for f, n in counts.items() if n >= MIN_DF)


def vader_scores(texts: list[str]) -> np.ndarray:
    from voicemap.nlp.components import vader_features

    return np.asarray([vader_features(text) for text in texts], dtype=np.float32)


def sentiment_target(labels: list[str], groups: dict[str, list[str]]) -> str | None:
    polarity = set()
    for label in labels:
        if label in groups["positive"]:
            polarity.add("positive")
        elif label in groups["negative"] or label in NEGATIVE_AMBIGUOUS:
            polarity.add("negative")
        else:
            polarity.add("neutral")
    polarity -= {"neutral"} if len(polarity) > 1 else set()
    return polarity.pop() if len(polarity) == 1 else None


def best_threshold(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    best = (0.5, 0.0)
    for threshold in np.arange(0.1, 0.9, 0.02):
        score = f1_score(y, p >= threshold, zero_division=0)
        if score > best[1]:
            best = (float(threshold), float(score))
    return best


def train_emotion_head(x_train: csr_matrix, x_dev: csr_matrix, train_labels, dev_labels, emotions) -> tuple[Head, dict]:
    weights, bias, thresholds, report = [], [], [], {}
    for emotion in emotions:
        y_train = np.array([emotion in labels for labels in train_labels])
        y_dev = np.array([emotion in labels for labels in dev_labels])
        model = LogisticRegression(C=EMOTION_C, solver="liblinear", class_weight="balanced", max_iter=1000).fit(x_train, y_train)
        threshold, f1 = best_threshold(y_dev, model.predict_proba(x_dev)[:, 1])
        weights.append(model.coef_[0])
        bias.append(model.intercept_[0])
        thresholds.append(threshold)
        report[emotion] = {"dev_f1": round(f1, 4), "threshold": round(threshold, 2), "dev_support": int(y_dev.sum())}
    head = Head("emotion", list(emotions), "sigmoid", np.stack(weights, axis=1), np.asarray(bias),
                thresholds=np.asarray(thresholds))
    return head, report


def cue_emotions(texts: list[str]) -> list[set[str]]:
    """The codebook's explicit emotion cues on each text (the tagger without any text model)."""
    from voicemap.nlp.tagger import Tagger

    tagger = Tagger(load_codebook(), quiet=True, text_model="none")
    return [set(tags.emotions) for tags in tagger.tag_texts(texts)]


def thresholds_with_cues(head: Head, x_dev: csr_matrix, dev_labels, dev_cues) -> tuple[np.ndarray, dict]:
    """Per-emotion thresholds for what the tagger does: cue OR model probability >= threshold."""
    probabilities = head.predict(x_dev)
    thresholds, report = [], {}
    for column, emotion in enumerate(head.labels):
        y = np.array([emotion in labels for labels in dev_labels])
        cue = np.array([emotion in found for found in dev_cues])
        best = (float(head.thresholds[column]), 0.0)
        for threshold in np.arange(0.3, 0.96, 0.02):
            score = f1_score(y, cue | (probabilities[:, column] >= threshold), zero_division=0)
            if score > best[1]:
                best = (float(threshold), float(score))
        thresholds.append(best[0])
        report[emotion] = {"dev_f1_with_cues": round(best[1], 4), "threshold_with_cues": round(best[0], 2)}
    return np.asarray(thresholds), report


def train_sentiment_head(x_train, dense_train, y_train, x_dev, dense_dev, y_dev) -> tuple[Head, dict]:
    from scipy.sparse import hstack

    model = LogisticRegression(C=SENTIMENT_C, max_iter=2000)
    model.fit(hstack([x_train, csr_matrix(dense_train)]).tocsr(), y_train)
    order = [list(model.classes_).index(label) for label in SENTIMENTS]
    coef = model.coef_[order].T  # (n_features + n_dense, 3)
    n_sparse = x_train.shape[1]
    head = Head("sentiment", SENTIMENTS, "softmax", coef[:n_sparse], model.intercept_[order], coef[n_sparse:])
    predicted = np.asarray(SENTIMENTS)[head.predict(x_dev, dense_dev).argmax(axis=1)]
    return head, {"dev_macro_f1": round(float(f1_score(y_dev, predicted, average="macro")), 4),
                  "dev_accuracy": round(float((predicted == np.asarray(y_dev)).mean()), 4)}


def train(data: Path, out: Path) -> dict:
    started = time.monotonic()
    codebook = load_codebook()
    mapping = goemotions_to_codebook(codebook)
    emotions = [e.id for e in codebook.emotions if e.goemotions]
    groups = json.loads((data / "goemotions" / "sentiment_dict.json").read_text(encoding="utf-8"))
    _, train_rows = read_goemotions(data, "train")
    _, dev_rows = read_goemotions(data, "dev")
    train_words = tokenise([text for text, _ in train_rows])
    dev_words = tokenise([text for text, _ in dev_rows])
    vocabulary = build_vocabulary(train_words)
    index = {word: i for i, word in enumerate(vocabulary)}
    x_train, x_dev = vectorise(train_words, index), vectorise(dev_words, index)

    to_codes = lambda rows: [{mapping[l] for l in labels if l in mapping} for _, labels in rows]  # noqa: E731
    emotion_head, emotion_report = train_emotion_head(x_train, x_dev, to_codes(train_rows), to_codes(dev_rows), emotions)
    emotion_head.thresholds, union_report = thresholds_with_cues(
        emotion_head, x_dev, to_codes(dev_rows), cue_emotions([text for text, _ in dev_rows]))
    for emotion, figures in union_report.items():
        emotion_report[emotion].update(figures)

    def sentiment_split(rows, matrix, words):
        keep = [i for i, (_, labels) in enumerate(rows) if sentiment_target(labels, groups)]
        targets = [sentiment_target(rows[i][1], groups) for i in keep]
        return matrix[keep], vader_scores([rows[i][0] for i in keep]), targets

    sentiment_head, sentiment_report = train_sentiment_head(*sentiment_split(train_rows, x_train, train_words),
                                                            *sentiment_split(dev_rows, x_dev, dev_words))
    meta = {
        "name": "goemotions_linear",
        "description": "Bag-of-words logistic regression: codebook emotions and sentiment, for voicemap's tagger.",
        "training_data": "GoEmotions train split (43,410 Reddit comments); thresholds chosen on the dev split. "
                         "Demszky et al., GoEmotions: A Dataset of Fine-Grained Emotions, ACL 2020.",
        "licence": "Model weights derived from GoEmotions (Apache-2.0, (c) Google LLC).",
        "features": "spaCy English tokenizer; lower-cased unigrams (negation-scope marked) and bigrams; "
                    f"min document frequency {MIN_DF}; binary, L2-normalised",
        "dense_inputs": {"sentiment": ["vader_neg", "vader_neu", "vader_pos", "vader_compound"]},
        "vocabulary_size": len(vocabulary),
        "dev": {"emotion": emotion_report, "sentiment": sentiment_report},
        "train_seconds": round(time.monotonic() - started, 1),
    }
    save_model(out, vocabulary, [emotion_head, sentiment_head], meta)
    return meta


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=Path, help="the shared eval data folder (holds goemotions/)")
    parser.add_argument("--out", type=Path, default=models_dir() / "goemotions_linear")
    args = parser.parse_args()
    meta = train(args.data, args.out)
    print(json.dumps(meta["dev"], indent=2))
    print(f"vocabulary {meta['vocabulary_size']:,}; wrote {args.out}")


if __name__ == "__main__":
    main()
