"""How much do N human codes improve agreement? Simulated with labels from dev slices.

A researcher's corrections are simulated with human labels from the *dev* slices
(never the reported test slices): BANKING77 intents mapped to stages, airline
sentiment, complaint yes/no. The rows are imported through the normal path; rows that
became exactly one statement are shuffled (fixed seed), 40% are held out, and the
project model (`voicemap.learning`) learns from the first N of the rest, exactly as
`voicemap learn` would from N human codes. Agreement on the held-out statements is
reported for the rules alone (N = 0) and for rules + the learned model.
"""

from __future__ import annotations

import csv
import random
import tempfile
from pathlib import Path

from voicemap.codebook import Codebook
from voicemap.evaluation.datasets import load_dataset
from voicemap.evaluation.metrics import score_binary, score_single
from voicemap.learning import MIN_CONFIDENCE, NONE, fit_dimension, statement_features

SIZES = (0, 25, 50, 100, 200, 400)
HELD_OUT = 0.4
SEED = 13
TASKS = (  # (data set, dimension, what a researcher codes)
    ("banking77", "stage", "stage of BANKING77 queries (mapped intents)"),
    ("airline", "sentiment", "sentiment of airline tweets"),
    ("complaints", "pain", "pain point yes/no of tweets to brands"),
)


def _single_statement_rows(labelled, tagger) -> list[tuple[str, dict, object]]:
    """(text, rule tags, gold) for rows the import turned into exactly one statement."""
    from voicemap.importer import import_paths
    from voicemap.ingest import ReadOptions
    from voicemap.store import open_db
    from voicemap.store.query import select_statements

    with tempfile.TemporaryDirectory(prefix="voicemap-learning-") as folder:
        path = Path(folder) / "rows.csv"
        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["item_id", "text"])
            writer.writerows([item.id, item.text] for item in labelled.items)
        db = open_db(Path(folder) / "learning.db")
        import_paths(db, [path], ReadOptions(kind="survey", text_columns=["text"], id_column="item_id"),
                     tagger=tagger, workers=1)
        by_row: dict[str, list[dict]] = {}
        for row in select_statements(db):
            by_row.setdefault(row["row_id"], []).append(row)
        db.conn.close()
    gold = {item.id: item.gold for item in labelled.items}
    return [(rows[0]["text"], rows[0], gold[row_id]) for row_id, rows in by_row.items() if len(rows) == 1]


def _rule_value(dimension: str, row: dict) -> str:
    if dimension == "pain":
        return "yes" if row["pain"] else "no"
    return row[dimension] or NONE


def _score(dimension: str, gold: list[str], predicted: list[str], labels: list[str]) -> float:
    if dimension == "pain":
        return score_binary("pain", [g == "yes" for g in gold], [p == "yes" for p in predicted]).value
    return score_single(dimension, gold, predicted, labels).value


def curve_for(rows: list[tuple[str, dict, object]], dimension: str, labels: list[str],
              sizes: tuple[int, ...] = SIZES) -> list[float]:
    """Held-out agreement after learning from the first N coded rows, for each N."""
    import spacy

    tokenizer = spacy.blank("en").tokenizer
    rows = list(rows)
    random.Random(SEED).shuffle(rows)
    cut = int(len(rows) * HELD_OUT)
    held, pool = rows[:cut], rows[cut:]
    as_label = (lambda g: "yes" if g else "no") if dimension == "pain" else (lambda g: g or NONE)
    features = [statement_features(text, tags, tokenizer) for text, tags, _ in rows]
    held_features, pool_features = features[:cut], features[cut:]
    gold = [as_label(g[dimension]) for _, _, g in held]
    rules = [_rule_value(dimension, tags) for _, tags, _ in held]
    values = []
    for size in sizes:
        model = fit_dimension(dimension, pool_features[:size], [as_label(g[dimension]) for _, _, g in pool[:size]])
        if model is None:
            values.append(_score(dimension, gold, rules, labels))
            continue
        predicted = [value if probability >= MIN_CONFIDENCE else rule
                     for (value, probability), rule in zip(model.predict(held_features), rules)]
        values.append(_score(dimension, gold, predicted, labels))
    return values


def learning_curve(data: Path, codebook: Codebook, tagger, limit: int | None = None,
                   sizes: tuple[int, ...] = SIZES) -> dict:
    """The figures for docs/accuracy.md: one row per simulated coding task."""
    result_rows, files = [], []
    for dataset, dimension, label in TASKS:
        labelled = load_dataset(dataset, data, "dev", codebook, limit)
        files += labelled.files
        rows = _single_statement_rows(labelled, tagger)
        labels = codebook.ids("stage") if dimension == "stage" else ["negative", "neutral", "positive"]
        values = curve_for(rows, dimension, labels, sizes)
        metric = "F1 (yes)" if dimension == "pain" else "macro-F1"
        result_rows.append({"label": f"{label}: {metric} on {int(len(rows) * HELD_OUT):,} held-out statements",
                            "values": values})
    return {"sizes": list(sizes), "rows": result_rows, "files": files,
            "description": "Agreement with human labels on held-out statements after the project model learned from "
                           "N simulated human codes (dev slices only; N = 0 is the rules alone). The model re-codes "
                           f"a statement only when at least {MIN_CONFIDENCE:.0%} sure."}
