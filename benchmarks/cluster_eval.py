"""How well do voicemap's clusters match human complaint labels? (Not part of pytest.)

Imports the negative tweets of the Twitter US Airline Sentiment set whose human
`negativereason` is known (not "Can't Tell") through the normal import path
(`import_paths`, kind survey, text column `text`) into a temporary database, clusters
them, and scores each tweet's cluster against its reason with NMI and ARI. A tweet
becomes several statements; its cluster is the most common cluster among its clustered
statements (ties: the earliest statement), and a tweet with none is "unclustered".

    python benchmarks/cluster_eval.py [path/to/Tweets.csv] [--limit N]

Honesty notes printed with the table: the defaults were chosen on synthetic data and the
bundled (fictional) sample, not on these labels; the "k = 9" row uses the number of
human classes, which an analyst would not know, and is shown only as a reference. The
tweets' text never leaves the temporary folder.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CSV = ROOT.parent / "shared" / "eval" / "data" / "twitter_us_airline_sentiment" / "Tweets.csv"
UNKNOWN_REASONS = ("", "Can't Tell")
TIMING_N = 20_000


def write_negative_tweets(source: Path, target: Path, limit: int | None = None) -> int:
    """Copy the rows to evaluate into a temporary CSV for the importer; returns how many."""
    csv.field_size_limit(10_000_000)
    with source.open(newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle)
                if r["airline_sentiment"] == "negative" and r["negativereason"] not in UNKNOWN_REASONS]
    rows = rows[:limit] if limit else rows
    if not rows:
        raise SystemExit(f"{source}: no negative tweets with a known reason")
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def import_tweets(db, csv_path: Path, tagger=None):
    from voicemap.importer import import_paths
    from voicemap.ingest import ReadOptions

    options = ReadOptions(kind="survey", text_columns=["text"], id_column="tweet_id")
    report = import_paths(db, [csv_path], options, tagger=tagger)
    if report.failed:
        raise SystemExit(f"import failed: {report.failed[0].error}")
    return report


def gold_labels(db) -> dict[int, str]:
    """utterance id (one per tweet) -> the human reason."""
    return {r["id"]: json.loads(r["metadata"])["negativereason"] for r in db.query("select id, metadata from utterances")}


def tweet_scores(rows: list[dict], labels, gold: dict[int, str]) -> tuple[float, float, float]:
    """NMI, ARI and coverage at tweet level from statement-level cluster labels."""
    by_tweet: dict[int, list[int]] = defaultdict(list)
    for row, label in zip(rows, labels):
        if label >= 0:
            by_tweet[row["utterance_id"]].append(int(label))
    tweets = sorted(gold)
    predicted = []
    for tweet in tweets:
        votes = by_tweet.get(tweet)
        if votes:
            counts = Counter(votes)
            top = max(counts.values())
            predicted.append(next(v for v in votes if counts[v] == top))
        else:
            predicted.append(-1)
    truth = [gold[t] for t in tweets]
    coverage = sum(p >= 0 for p in predicted) / len(predicted)
    return normalized_mutual_info_score(truth, predicted), adjusted_rand_score(truth, predicted), coverage


def baseline_kmeans(db, gold: dict[int, str], k: int = 10) -> tuple[float, float, float]:
    """The reference: plain TF-IDF of each tweet's text + KMeans(10), no voicemap at all."""
    tweets = sorted(gold)
    texts = dict(db.execute("select id, text from utterances").fetchall())
    matrix = TfidfVectorizer().fit_transform([texts[t] for t in tweets])
    labels = KMeans(n_clusters=k, n_init=4, random_state=42).fit_predict(matrix)
    truth = [gold[t] for t in tweets]
    return normalized_mutual_info_score(truth, labels), adjusted_rand_score(truth, labels), 1.0


def supervised_ceiling(db, gold: dict[int, str]) -> tuple[float, float, float]:
    """Not clustering: 5-fold logistic regression on the same lemma TF-IDF, per tweet.

    Shows how much of the human labelling these features can express at all, so the
    clustering figures can be read against a ceiling rather than against 1.0.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_predict

    lemmas: dict[int, list[str]] = defaultdict(list)
    for row in db.query("select utterance_id, lemmas from statements"):
        lemmas[row["utterance_id"]].append(row["lemmas"] or "")
    tweets = sorted(gold)
    truth = [gold[t] for t in tweets]
    folds = min(5, min(Counter(truth).values()))
    if folds < 2:
        return float("nan"), float("nan"), 1.0
    matrix = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit_transform([" ".join(lemmas[t]) for t in tweets])
    predicted = cross_val_predict(LogisticRegression(max_iter=2000), matrix, truth, cv=folds)
    return normalized_mutual_info_score(truth, predicted), adjusted_rand_score(truth, predicted), 1.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("csv", nargs="?", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--limit", type=int, default=None, help="Only the first N tweets (a quick smoke run).")
    parser.add_argument("--skip-timing", action="store_true", help="Skip the 20,000-statement timing.")
    args = parser.parse_args(argv)
    if not args.csv.is_file():
        print(f"{args.csv}: not found (the evaluation data lives in ../shared/eval/data)", file=sys.stderr)
        return 2

    from voicemap.cluster.pipeline import ClusterPipeline
    from voicemap.cluster.run import cluster_pain_points, make_scope, scope_filter
    from voicemap.cluster.persist import current_assignments
    from voicemap.store import open_db
    from voicemap.store.query import select_statements

    with tempfile.TemporaryDirectory(prefix="voicemap-eval-") as folder:
        tweets_csv = Path(folder) / "negative_tweets.csv"
        n_tweets = write_negative_tweets(args.csv, tweets_csv, args.limit)
        db = open_db(Path(folder) / "eval.db")
        started = time.monotonic()
        import_tweets(db, tweets_csv)
        print(f"Imported {n_tweets:,} tweets in {time.monotonic() - started:.1f}s", file=sys.stderr)
        gold = gold_labels(db)
        table = [("reference: TF-IDF of tweet text + KMeans(10)", "tweets", len(gold), 10,
                  *baseline_kmeans(db, gold), 0.0),
                 ("ceiling, not clustering: supervised 5-fold logistic regression on lemmas", "tweets", len(gold),
                  len(set(gold.values())), *supervised_ceiling(db, gold), 0.0)]

        for label, scope in (("voicemap cluster (default)", make_scope()),
                             ("voicemap cluster --all-statements", make_scope(all_statements=True))):
            started = time.monotonic()
            run_id = cluster_pain_points(db, scope)
            seconds = time.monotonic() - started
            rows = list(select_statements(db, scope_filter(scope)))
            assigned = current_assignments(db, run_id)
            labels = [assigned.get(r["id"], (-1, ""))[0] for r in rows]
            clusters = len({lab for lab in labels if lab >= 0})
            table.append((label, "pain statements" if scope.get("pain") else "all statements", len(rows), clusters,
                          *tweet_scores(rows, labels, gold), seconds))

        all_rows = list(select_statements(db, scope_filter(make_scope(all_statements=True))))
        variants = [("all statements, codes weight 0 (words only)", dict(code_weight=0.0)),
                    ("all statements, codes weight 1", dict(code_weight=1.0)),
                    ("all statements, distance threshold 0.9", dict(distance_threshold=0.9)),
                    ("all statements, KMeans k=16 (not tuned)", dict(k=16)),
                    ("all statements, k=9 = number of human classes (reference only)", dict(k=9))]
        for label, params in variants:
            started = time.monotonic()
            result = ClusterPipeline(**params).fit(all_rows)
            table.append((label, "all statements", len(all_rows), len(result.cluster_ids),
                          *tweet_scores(all_rows, result.labels, gold), time.monotonic() - started))

        print(f"\nNegative tweets with a known reason: {len(gold):,}; human classes: {len(set(gold.values()))}\n")
        print(f"| configuration | clustered | statements | clusters | NMI | ARI | tweets covered | seconds |")
        print("|---|---|---|---|---|---|---|---|")
        for name, scope, n, k, nmi, ari, coverage, seconds in table:
            print(f"| {name} | {scope} | {n:,} | {k} | {nmi:.3f} | {ari:.3f} | {coverage:.0%} | {seconds:.1f} |")

        if not args.skip_timing:
            rng = np.random.default_rng(0)
            picks = rng.choice(len(all_rows), size=TIMING_N, replace=len(all_rows) < TIMING_N)
            rows = [dict(all_rows[i], id=n) for n, i in enumerate(picks)]
            started = time.monotonic()
            pipeline = ClusterPipeline()
            result = pipeline.fit(rows)
            print(f"\nTiming: {TIMING_N:,} statements (resampled from the tweets) clustered in "
                  f"{time.monotonic() - started:.1f}s with {pipeline.params()['clusterer']} "
                  f"-> {len(result.cluster_ids)} clusters (limit: 30 s)")
        db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
