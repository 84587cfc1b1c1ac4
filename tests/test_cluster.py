"""Clustering recurring issues: quality on known groups, determinism, identity across runs, edits."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from study_builder import build_study
from voicemap.cli import main
from voicemap.cluster.edits import ClusterEditError, merge_clusters, rename_cluster, split_cluster
from voicemap.cluster.impact import participant_scores, score_impacts
from voicemap.cluster.issues import load_issues
from voicemap.cluster.persist import current_assignments, latest_run
from voicemap.cluster.pipeline import AdaptiveClusterer, ClusterPipeline
from voicemap.cluster.run import cluster_pain_points
from voicemap.cluster.severity import issue_severity, statement_severity
from voicemap.export import STATEMENT_FIELDS, export_to_string

# Four complaint themes; each statement mixes theme words with words every theme shares.
THEMES = {
    "delivery": ("delivery late window driver arrived evening box warm melted tracking", "delivery"),
    "app": ("app crash logout update login freeze screen error version", "reliability"),
    "billing": ("charged twice refund invoice price fee promo unexpected billing", "price"),
    "support": ("support agent queue hold chat reply email scripted waited", "support"),
}
SHARED = "really again week today still customer service".split()


def theme_items(per_theme: int, seed: int, people_offset: int = 0, source: str = "survey.csv") -> list[dict]:
    rng = random.Random(seed)
    items = []
    for t, (theme, (words, category)) in enumerate(THEMES.items()):
        vocabulary = words.split()
        for i in range(per_theme):
            chosen = rng.sample(vocabulary, 4) + rng.sample(SHARED, 2)
            rng.shuffle(chosen)
            text = " ".join(chosen) + f" ({theme} note {people_offset + i})"
            items.append({"text": text, "speaker": f"P{people_offset + t * per_theme + i:03d}", "pain": True,
                          "category": category, "source": source, "score": -0.4,
                          "metadata": {"nps": str(2 if theme == "app" else 8)}, "theme": theme})
    return items


def _rows(items: list[dict]) -> list[dict]:
    return [{"id": i, "lemmas": " ".join(w for w in item["text"].split() if w.isalpha()),
             "pain_category": item["category"], "touchpoints": []} for i, item in enumerate(items)]


def _study(db, per_theme: int = 8, seed: int = 1) -> list[dict]:
    items = theme_items(per_theme, seed)
    build_study(db, items)
    return items


def _theme_of_cluster(db, run_id=None) -> dict[int, str]:
    """cluster id -> the theme most of its statements were generated from."""
    _, issues = load_issues(db, run_id)
    result = {}
    for issue in issues:
        themes = [r["text"].rsplit("(", 1)[1].split()[0] for r in issue.rows]
        result[issue.cluster_id] = max(set(themes), key=themes.count)
    return result


# --- the clusterer step on blobs with known answers ---------------------------------------

def _blobs(n: int, centers: int = 5, seed: int = 0):
    vectors, truth = make_blobs(n_samples=n, centers=centers, n_features=12, cluster_std=0.6,
                                center_box=(-10, 10), random_state=seed)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True), truth


def test_clusterer_finds_known_blobs_without_being_told_k():
    vectors, truth = _blobs(300)
    labels = AdaptiveClusterer(distance_threshold=0.3).fit_predict(vectors)
    assert adjusted_rand_score(truth, labels) > 0.9


def test_large_inputs_switch_to_a_scalable_clusterer_that_picks_k_from_the_data():
    vectors, truth = _blobs(1200, centers=8)
    clusterer = AdaptiveClusterer(agglomerative_max=500, k_candidates=(4, 8, 12, 16))
    labels = clusterer.fit_predict(vectors)
    assert "MiniBatchKMeans" in clusterer.algorithm and "k=8" in clusterer.algorithm
    assert adjusted_rand_score(truth, labels) > 0.9


def test_explicit_k_gives_exactly_k_clusters():
    vectors, _ = _blobs(200, centers=5)
    assert len(set(AdaptiveClusterer(k=3).fit_predict(vectors))) == 3


# --- the whole pipeline on statements generated from themes --------------------------------

def test_pipeline_recovers_themes_and_names_them_by_their_words():
    items = theme_items(12, seed=3)
    result = ClusterPipeline().fit(_rows(items))
    truth = [item["theme"] for item in items]
    assert adjusted_rand_score(truth, result.labels) > 0.8
    for cluster in result.cluster_ids:
        members = result.members(cluster)
        theme = max({truth[i] for i in members}, key=[truth[i] for i in members].count)
        theme_words = set(THEMES[theme][0].split()) | {theme}
        assert set(result.names[cluster].replace(" · ", " ").split()) & theme_words, result.names[cluster]


def test_same_input_gives_the_same_clusters():
    rows = _rows(theme_items(10, seed=5))
    first, second = ClusterPipeline().fit(rows), ClusterPipeline().fit(rows)
    assert first.labels.tolist() == second.labels.tolist()
    assert first.names == second.names


def test_min_size_leaves_small_groups_unclustered():
    items = theme_items(10, seed=2)
    lonely = {"id": len(items), "lemmas": "parking garage elevator broken", "pain_category": None, "touchpoints": []}
    result = ClusterPipeline(min_size=3).fit(_rows(items) + [lonely])
    assert result.labels[-1] == -1
    assert all(len(result.members(c)) >= 3 for c in result.cluster_ids)


def test_most_representative_statements_come_first(fresh_db):
    _study(fresh_db)
    cluster_pain_points(fresh_db)
    _, issues = load_issues(fresh_db)
    centrality = {r["statement_id"]: r["centrality"] for r in fresh_db.query("select * from cluster_members")}
    for issue in issues:
        scores = [centrality[r["id"]] for r in issue.rows]
        assert scores == sorted(scores, reverse=True)


# --- persistence and identity --------------------------------------------------------------

def test_runs_are_stored_with_parameters_and_time(fresh_db):
    _study(fresh_db)
    run_id = cluster_pain_points(fresh_db, k=4, min_size=2)
    run = latest_run(fresh_db)
    assert run.id == run_id and run.created_at and run.params["k"] == 4 and run.params["min_size"] == 2
    assert run.scope == {"pain": True} and run.clusters == 4 and run.statements == 32


def test_reclustering_after_new_imports_keeps_ids_and_a_researchers_rename(fresh_db):
    _study(fresh_db, per_theme=8, seed=1)
    cluster_pain_points(fresh_db)
    themes = _theme_of_cluster(fresh_db)
    app_id = next(cid for cid, theme in themes.items() if theme == "app")
    rename_cluster(fresh_db, app_id, "App logs people out")
    build_study(fresh_db, theme_items(3, seed=9, people_offset=500, source="reviews.csv"))
    cluster_pain_points(fresh_db)
    after = _theme_of_cluster(fresh_db)
    assert after == themes  # same ids for the same themes
    _, issues = load_issues(fresh_db)
    app = next(i for i in issues if i.cluster_id == app_id)
    assert app.label == "App logs people out" and len(app.rows) == 8 + 3


def test_a_replaced_file_keeps_cluster_identity_and_never_shows_stale_clusters(fresh_db):
    from voicemap.store.write import delete_source

    _study(fresh_db)
    cluster_pain_points(fresh_db)
    before = _theme_of_cluster(fresh_db)
    with fresh_db.atomic():
        delete_source(fresh_db, fresh_db.execute("select id from sources").fetchone()[0])
    assert current_assignments(fresh_db) == {}
    _study(fresh_db)  # the same statements come back with new ids
    cluster_pain_points(fresh_db)
    assert _theme_of_cluster(fresh_db) == before


def test_merge_is_a_human_decision_that_survives_reclustering(fresh_db):
    _study(fresh_db)
    cluster_pain_points(fresh_db)
    themes = {theme: cid for cid, theme in _theme_of_cluster(fresh_db).items()}
    merge_clusters(fresh_db, themes["billing"], [themes["support"]])
    decision = fresh_db.execute("select kind, coder from cluster_decisions").fetchone()
    assert decision == ("merge", "tester")
    cluster_pain_points(fresh_db)
    _, issues = load_issues(fresh_db)
    ids = {i.cluster_id for i in issues}
    assert themes["billing"] in ids and themes["support"] not in ids
    merged = next(i for i in issues if i.cluster_id == themes["billing"])
    assert len(merged.rows) == 16


def test_split_is_a_human_decision_that_survives_reclustering(fresh_db):
    ids = build_study(fresh_db, theme_items(8, seed=1))
    cluster_pain_points(fresh_db)
    themes = {theme: cid for cid, theme in _theme_of_cluster(fresh_db).items()}
    app_rows = [r for r in load_issues(fresh_db)[1] if r.cluster_id == themes["app"]][0].rows
    moving = sorted(r["id"] for r in app_rows)[:3]
    new_id, _ = split_cluster(fresh_db, themes["app"], moving, label="Update broke login")
    assert set(ids) >= set(moving)
    cluster_pain_points(fresh_db)
    _, issues = load_issues(fresh_db)
    split_off = next(i for i in issues if i.cluster_id == new_id)
    assert sorted(r["id"] for r in split_off.rows) == moving and split_off.label == "Update broke login"
    rest = next(i for i in issues if i.cluster_id == themes["app"])
    assert len(rest.rows) == 5


def test_split_without_ids_halves_a_cluster_by_its_words(fresh_db):
    build_study(fresh_db, theme_items(8, seed=1))
    cluster_pain_points(fresh_db, k=2, min_size=2)  # two themes forced together in each cluster
    _, issues = load_issues(fresh_db)
    big = issues[0]
    new_id, _ = split_cluster(fresh_db, big.cluster_id)
    _, after = load_issues(fresh_db)
    sizes = {i.cluster_id: len(i.rows) for i in after}
    assert sizes[new_id] + sizes[big.cluster_id] == len(big.rows) and sizes[new_id] > 0


def test_edits_on_unknown_or_merged_clusters_fail_clearly(fresh_db):
    _study(fresh_db)
    cluster_pain_points(fresh_db)
    with pytest.raises(ClusterEditError, match="no cluster 999"):
        rename_cluster(fresh_db, 999, "x")
    a, b = sorted(_theme_of_cluster(fresh_db))[:2]
    merge_clusters(fresh_db, a, [b])
    with pytest.raises(ClusterEditError, match="no longer active"):
        rename_cluster(fresh_db, b, "x")


# --- scores, severity, exports, CLI --------------------------------------------------------

def test_score_impact_is_the_average_without_the_raisers(fresh_db):
    _study(fresh_db)
    scores = participant_scores(fresh_db)
    assert set(scores) == {"nps"}
    raisers = {r["participant_id"] for r in fresh_db.query("select participant_id from statements where text like '%(app%'")}
    impact = score_impacts(scores, raisers)[0]
    assert impact.raisers == 8 and impact.respondents == 32
    assert impact.mean_all == pytest.approx((8 * 2 + 24 * 8) / 32) and impact.mean_without == pytest.approx(8)


@pytest.mark.parametrize("text, level", [
    ("I gave up and went to the shop.", 4),
    ("Charged twice for one box.", 4),
    ("On hold for forty minutes.", 3),
    ("The font is a bit small.", 1),
])
def test_severity_follows_the_consequence(text, level):
    assert statement_severity({"text": text, "sentiment_score": 0.0, "emotions": [], "pain": level > 1}) == level


def test_issue_severity_is_not_set_by_one_participant_alone():
    rows = [{"id": 1, "participant_id": 1, "text": "I gave up and cancelled my plan."},
            {"id": 2, "participant_id": 2, "text": "Annoying menu.", "pain": True},
            {"id": 3, "participant_id": 3, "text": "Annoying colours.", "pain": True}]
    assert issue_severity(rows) == 2


def test_statement_export_gains_cluster_fields_after_the_existing_ones(fresh_db):
    _study(fresh_db)
    cluster_pain_points(fresh_db)
    assert STATEMENT_FIELDS[-2:] == ("cluster_id", "cluster_label")
    assert STATEMENT_FIELDS[:13] == ("id", "source", "source_row", "participant", "text", "stage", "touchpoints",
                                     "sentiment", "sentiment_score", "emotions", "pain", "pain_category", "origin")
    records = [json.loads(line) for line in export_to_string(fresh_db, "jsonl").splitlines()]
    assignments = current_assignments(fresh_db)
    assert all(r["cluster_id"] == assignments[r["id"]][0] and r["cluster_label"] for r in records)


def test_cli_cluster_rename_and_export(tmp_path):
    from voicemap.store import open_db

    db_path = tmp_path / "study.db"
    build_study(open_db(db_path), theme_items(6, seed=4))
    runner = CliRunner()
    result = runner.invoke(main, ["--db", str(db_path), "cluster", "--min-size", "2"])
    assert result.exit_code == 0, result.output
    assert "4 recurring" in result.output
    cluster_id = json.loads(runner.invoke(
        main, ["--db", str(db_path), "export", "clusters", "--format", "jsonl"]).output.splitlines()[0])["cluster_id"]
    result = runner.invoke(main, ["--db", str(db_path), "clusters", "rename", str(cluster_id), "Top | issue"])
    assert result.exit_code == 0 and "Top | issue" in result.output
    csv_out = runner.invoke(main, ["--db", str(db_path), "export", "clusters", "--format", "csv"]).output
    assert csv_out.splitlines()[0].startswith("cluster_id,label,auto_label,human_label")
    assert f"{cluster_id},Top | issue" in csv_out
    failed = runner.invoke(main, ["--db", str(db_path), "clusters", "merge", "1", "999"])
    assert failed.exit_code != 0 and "no cluster 999" in failed.output


def test_cli_cluster_by_stage_and_unknown_stage(tmp_path):
    from voicemap.store import open_db

    db_path = tmp_path / "study.db"
    items = theme_items(5, seed=4)
    for item in items:
        item["stage"] = "support" if item["theme"] == "support" else "usage"
    build_study(open_db(db_path), items)
    runner = CliRunner()
    result = runner.invoke(main, ["--db", str(db_path), "cluster", "--stage", "support", "--min-size", "2"])
    assert result.exit_code == 0 and "from 5 of 5 statements" in result.output
    bad = runner.invoke(main, ["--db", str(db_path), "cluster", "--stage", "nowhere"])
    assert bad.exit_code != 0 and "unknown stage 'nowhere'" in bad.output


def test_benchmark_script_runs_end_to_end_on_a_tiny_made_up_file(tmp_path, capsys):
    """Smoke test of benchmarks/cluster_eval.py (the real evaluation is run by hand, not in pytest)."""
    import csv
    import importlib.util

    from conftest import ROOT

    spec = importlib.util.spec_from_file_location("cluster_eval", ROOT / "benchmarks" / "cluster_eval.py")
    cluster_eval = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cluster_eval)
    path = tmp_path / "Tweets.csv"
    reasons = {"delivery": "Late Flight", "app": "Flight Booking Problems", "billing": "Customer Service Issue",
               "support": "Customer Service Issue"}
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["tweet_id", "airline_sentiment", "negativereason", "text"])
        writer.writeheader()
        for n, item in enumerate(theme_items(6, seed=8)):
            writer.writerow({"tweet_id": str(1000 + n), "airline_sentiment": "negative",
                             "negativereason": reasons[item["theme"]], "text": item["text"].split(" (")[0] + "."})
        writer.writerow({"tweet_id": "9", "airline_sentiment": "negative", "negativereason": "Can't Tell", "text": "x"})
    assert cluster_eval.main([str(path), "--skip-timing"]) == 0
    out = capsys.readouterr().out
    assert "Negative tweets with a known reason: 24; human classes: 3" in out
    assert out.count("| voicemap cluster") == 2 and "| reference: TF-IDF" in out


def test_a_cancelled_clustering_stores_nothing(fresh_db):
    from voicemap.cluster.run import ClusteringCancelled

    _study(fresh_db)
    calls = []

    def cancel_after_fit() -> bool:
        calls.append(1)
        return len(calls) > 1

    with pytest.raises(ClusteringCancelled):
        cluster_pain_points(fresh_db, cancelled=cancel_after_fit)
    assert latest_run(fresh_db) is None and fresh_db["clusters"].count == 0
