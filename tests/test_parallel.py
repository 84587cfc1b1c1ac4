"""Tagging on several cores: same tags as in one process, in order, cancellable, atomic per file; paged reads."""

from __future__ import annotations

import csv
import multiprocessing
import sqlite3

import pytest

import voicemap.nlp.parallel as parallel
from voicemap.importer import import_paths
from voicemap.ingest import ReadOptions, read_path
from voicemap.nlp.parallel import ParallelTagger, recipe_for
from voicemap.store import open_db

ROWS = 1_500
STATEMENT_COLUMNS = ("idx, text, stage, stage_confidence, touchpoints, emotions, sentiment, sentiment_score, pain, "
                     "pain_category, lemmas, actions")


@pytest.fixture(scope="module")
def sample_texts(sample_dir):
    """Real-looking feedback: every survey answer and review of the bundled study (contractions, typos...)."""
    texts = []
    for name in ("survey_2026_q1.csv", "app_reviews.jsonl"):
        texts += [u.text for u in read_path(sample_dir / name).utterances]
    return texts


@pytest.fixture(scope="module")
def workers(tagger):
    """One pool for the module: two spawned workers, used for any input size."""
    with ParallelTagger(tagger, workers=2, min_parallel=0, chunk_size=16) as pool:
        assert pool.wait_ready(120)  # else this process tags what comes before the workers have loaded
        yield pool


@pytest.fixture
def big_survey(tmp_path, sample_texts):
    """A survey export with thousands of rows, built from the sample answers."""
    path = tmp_path / "big_survey.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["respondent_id", "segment", "answer"])
        for number in range(ROWS):
            writer.writerow([f"R{number:05d}", ("family", "single", "couple")[number % 3],
                             sample_texts[number % len(sample_texts)]])
    return path


def _stored(db) -> tuple[list, list]:
    statements = [tuple(r) for r in db.execute(f"select {STATEMENT_COLUMNS} from statements order by id")]
    tags = [tuple(r) for r in db.execute(
        "select s.idx, t.dimension, t.value, t.confidence, t.cue from tags t join statements s on s.id = t.statement_id "
        "order by t.id")]
    return statements, tags


def _counts(db) -> dict[str, int]:
    return {t: db[t].count for t in ("sources", "utterances", "statements", "tags", "participants")}


def test_workers_give_the_same_tags_in_the_same_order(tagger, workers, sample_texts):
    in_process = list(tagger.tag_texts(sample_texts))
    # The same texts again in reverse: each statement's tags must not depend on its batch or its worker.
    spread = list(workers.tag_texts(sample_texts + sample_texts[::-1]))
    assert workers.disabled is None, workers.disabled
    assert workers.tagged_in_workers > len(sample_texts)  # the workers really ran
    assert spread == in_process + in_process[::-1]


def test_small_inputs_stay_in_process(tagger):
    with ParallelTagger(tagger, workers=2) as pool:
        tags = list(pool.tag_texts(["The courier never came and support ignored me."]))
        assert pool._pool is None  # no worker was started for one statement
    assert tags == list(tagger.tag_texts(["The courier never came and support ignored me."]))


def test_taggers_that_cannot_be_rebuilt_are_tagged_in_process(tagger):
    class Wrapped:  # anything but a plain Tagger built from a codebook file
        codebook = tagger.codebook

        def tag_texts(self, texts, batch_size=256):
            return tagger.tag_texts(texts, batch_size=batch_size)

    assert recipe_for(Wrapped()) is None
    pool = ParallelTagger(Wrapped(), workers=2, min_parallel=0)
    assert pool.disabled and list(pool.tag_texts(["Great app."])) == list(tagger.tag_texts(["Great app."]))


def _workers_running() -> set:
    return set(multiprocessing.active_children())


# The file-sized tests use the blank-pipeline tagger: the same parallel code path, but its
# workers start in about a second, which keeps these tests quick.
def test_parallel_import_stores_exactly_what_a_single_process_import_stores(tmp_path, blank_tagger, big_survey,
                                                                            monkeypatch):
    monkeypatch.setattr(parallel, "MIN_PARALLEL", 100)
    options = ReadOptions(kind="survey", text_columns=["answer"], id_column="respondent_id")
    single, spread = open_db(tmp_path / "single.db"), open_db(tmp_path / "spread.db")
    running = _workers_running()
    import_paths(single, [big_survey], options, tagger=blank_tagger, workers=1)
    report = import_paths(spread, [big_survey], options, tagger=blank_tagger, workers=2)
    assert report.files[0].status == "imported" and report.statements >= ROWS
    assert _stored(spread) == _stored(single)
    assert _counts(spread) == _counts(single)
    assert _workers_running() == running  # the import's pool is shut down when the import ends


def test_cancelling_a_parallel_import_stores_nothing_and_stops_the_workers(tmp_path, blank_tagger, big_survey,
                                                                          monkeypatch):
    monkeypatch.setattr(parallel, "MIN_PARALLEL", 100)
    db = open_db(tmp_path / "study.db")
    seen = {"done": 0}
    running = _workers_running()
    report = import_paths(db, [big_survey], ReadOptions(kind="survey", text_columns=["answer"]), tagger=blank_tagger,
                          workers=2, progress=lambda name, done, total: seen.update(done=done),
                          cancelled=lambda: seen["done"] >= 512)
    assert report.files[0].status == "cancelled"
    assert 512 <= seen["done"] < ROWS  # it stopped part-way, not after the whole file
    assert _counts(db) == dict.fromkeys(_counts(db), 0)
    assert not db.execute("select name from sqlite_temp_master where type = 'table'").fetchall()
    assert _workers_running() == running


def test_a_failure_mid_file_rolls_the_whole_file_back(tmp_path, blank_tagger, big_survey, sample_dir, monkeypatch):
    import voicemap.store.write as write

    monkeypatch.setattr(parallel, "MIN_PARALLEL", 100)
    db = open_db(tmp_path / "study.db")
    import_paths(db, [sample_dir / "app_reviews.jsonl"], tagger=blank_tagger, workers=1)
    running = _workers_running()
    before = _counts(db)
    original, calls = write.tag_rows, {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == ROWS // 2:
            raise sqlite3.OperationalError("disk I/O error (simulated)")
        return original(*args, **kwargs)

    monkeypatch.setattr(write, "tag_rows", failing)
    report = import_paths(db, [big_survey], ReadOptions(kind="survey", text_columns=["answer"]),
                          tagger=blank_tagger, workers=2)
    assert report.files[0].status == "failed" and "disk I/O error (simulated)" in report.files[0].error
    assert calls["n"] == ROWS // 2  # it failed part-way through the file
    assert _counts(db) == before  # the earlier source is intact, nothing of the failed file is left
    assert not db.execute("select name from sqlite_temp_master where type = 'table'").fetchall()
    assert _workers_running() == running


def test_attribute_rule_lookup_finds_what_spacys_matcher_finds(tagger, sample_texts):
    """The model's attribute_ruler runs by table look-up (attribute_rules.py); its matches must be spaCy's."""
    from spacy.pipeline import AttributeRuler

    from voicemap.nlp.attribute_rules import CompiledRuleMatch

    nlp = tagger.nlp
    if "attribute_ruler" not in nlp.pipe_names:
        pytest.skip("no trained pipeline")
    ruler = nlp.get_pipe("attribute_ruler")
    assert isinstance(ruler.match, CompiledRuleMatch)
    before = nlp.pipe_names[:nlp.pipe_names.index("attribute_ruler")]
    texts = sample_texts + ["She's   getting way too big!", "Y'all ain't seen nothin' yet.", "There's no one there\n"]
    with nlp.select_pipes(enable=before):
        docs = list(nlp.pipe(texts))
    assert [ruler.match(doc) for doc in docs] == [AttributeRuler.match(ruler, doc) for doc in docs]
    assert sum(len(ruler.match(doc)) for doc in docs) > len(docs)  # the rules really fire


# Paged reads: the browser's page and count queries take shortcuts on big studies (ids first, fewer joins).
@pytest.mark.parametrize("flt", [
    {}, {"pain": True}, {"stage": "support"}, {"touchpoint": "mobile_app"}, {"search": "delivery"},
    {"participant": "p01"}, {"source": "survey_2026_q1.csv"}, {"metadata": {"segment": "family"}},
])
def test_pages_and_counts_agree_with_the_full_list(sample_db, flt):
    from voicemap.store.query import StatementFilter, count_statements, select_statements

    everything = [row["id"] for row in select_statements(sample_db, StatementFilter(**flt))]
    assert count_statements(sample_db, StatementFilter(**flt)) == len(everything)
    pages = [[row["id"] for row in select_statements(sample_db, StatementFilter(**flt), limit=7, offset=start)]
             for start in range(0, len(everything) + 7, 7)]
    assert [i for page in pages for i in page] == everything
    if flt:
        assert 0 < len(everything) < count_statements(sample_db)  # the filter really selects
