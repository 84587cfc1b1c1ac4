"""Metadata filters (`segment=family`, any survey column) answer through an index, with the same statements.

Every count is checked against the definition filters always had: the utterance's JSON
metadata read with `json_extract`, compared case-insensitively. The index must give
the same statements after an import, after a re-import that replaces a source, and in
a study made by the first voicemap and migrated.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from study_builder import build_study
from voicemap.assistant import Assistant
from voicemap.assistant.stats import COMPARED, summary_sql
from voicemap.importer import import_paths
from voicemap.store import open_db
from voicemap.store.integrity import database_problems
from voicemap.store.metadata import MAX_INDEXED_CHARS
from voicemap.store.query import StatementFilter, count_statements

FIRST_VERSION = Path(__file__).parent / "data" / "voicemap_schema_001.db"
LONG = "a free-text answer that nobody types as a filter " * 4


def json_count(db, key: str, value) -> int:
    """Statements whose utterance's metadata holds key = value (any case): the definition, read from the JSON."""
    return db.execute("select count(*) from statements s join utterances u on u.id = s.utterance_id "
                      "where json_extract(u.metadata, ?) = ? collate nocase", [f'$."{key}"', value]).fetchone()[0]


def full_scans(db, sql: str, params: list) -> list[str]:
    plan = [row[3] for row in db.execute("explain query plan " + sql, params).fetchall()]
    return [step for step in plan if re.match(r"SCAN (s|statements)\b", step)]


def test_metadata_filters_find_the_statements_json_extract_finds(fresh_db):
    build_study(fresh_db, [
        {"text": "Box arrived late again.", "metadata": {"segment": "Family", "nps": 9, "note": LONG}},
        {"text": "Recipes are lovely.", "metadata": {"segment": "family", "nps": "9", "plan": {"weeks": 2}}},
        {"text": "Too pricey for one.", "metadata": {"segment": "single", "nps": None, "channel": "app"}},
        {"text": "The app logged me out.", "metadata": {}},
        {"text": "Courier was rude.", "source": "reviews.jsonl", "kind": "reviews",
         "metadata": {"segment": "FAMILY", "channel": "web"}},
    ])
    assert len(LONG) > MAX_INDEXED_CHARS
    cases = [("segment", "family"), ("segment", "FAMILY"), ("segment", "single"), ("segment", "couple"),
             ("nps", "9"), ("nps", 9), ("channel", "APP"), ("note", LONG), ("note", LONG.upper()),
             ("plan", '{"weeks":2}'), ("missing", "x"), ("Segment", "family")]
    for key, value in cases:
        assert count_statements(fresh_db, StatementFilter(metadata={key: value})) == json_count(fresh_db, key, value), \
            (key, value)
    assert count_statements(fresh_db, StatementFilter(metadata={"segment": "family"})) == 3
    assert count_statements(fresh_db, StatementFilter(metadata={"segment": "family", "channel": "web"})) == 1


def test_a_segment_comparison_reads_the_index_not_every_statement(fresh_db, codebook):
    build_study(fresh_db, [{"text": f"Statement number {n} about the box.",
                            "metadata": {"segment": ("family", "single", "couple")[n % 3], "respondent": f"R{n}"}}
                           for n in range(60)])
    intent = Assistant(fresh_db, codebook).read("compare segment=family with segment=single")
    for side in intent.sides:
        flt = side.statement_filter()
        sql, params = summary_sql(flt, COMPARED, sample=True)
        assert "statement_metadata" in sql
        assert full_scans(fresh_db, sql, params + [10]) == []
        where, where_params = flt.where()
        assert full_scans(fresh_db, "select count(*) from statements s" + where, where_params) == []


def test_segments_compare_rightly_in_a_migrated_first_version_study_and_after_imports(
        tmp_path, codebook, blank_tagger):
    path = tmp_path / "study.db"
    shutil.copyfile(FIRST_VERSION, path)
    db = open_db(path)  # migrates, indexing the metadata of the statements already there
    assistant = Assistant(db, codebook)

    def sides(question: str) -> list[int]:
        return [side["count"] for side in assistant.ask(question).sides]

    assert sides("compare segment=family with segment=single") == [json_count(db, "segment", "family"),
                                                                   json_count(db, "segment", "single")] == [1, 1]

    survey = tmp_path / "more.csv"
    survey.write_text("respondent_id,segment,what_could_we_improve\n"
                      "R201,family,The delivery window was missed twice.\n"
                      "R202,Family,Recipes take too long on weeknights.\n"
                      "R203,single,Portions are too big for one person.\n", encoding="utf-8")
    assert not import_paths(db, [survey], tagger=blank_tagger).failed
    assert sides("compare segment=family with segment=single") == [json_count(db, "segment", "family"),
                                                                   json_count(db, "segment", "single")] == [3, 2]

    # A changed file replaces its statements: the old ones' metadata goes with them.
    survey.write_text("respondent_id,segment,what_could_we_improve\n"
                      "R201,single,The delivery window was missed twice.\n", encoding="utf-8")
    assert not import_paths(db, [survey], tagger=blank_tagger).failed
    assert sides("compare segment=family with segment=single") == [json_count(db, "segment", "family"),
                                                                   json_count(db, "segment", "single")] == [1, 2]
    orphans = db.execute("select count(*) from statement_metadata where statement_id not in "
                         "(select id from statements)").fetchone()[0]
    assert orphans == 0
    assert database_problems(db) == []


def test_emotion_and_touchpoint_filters_match_whole_codes_only(fresh_db, codebook):
    build_study(fresh_db, [
        {"text": "I trust them.", "emotions": ["trust"], "touchpoints": ["app"]},
        {"text": "I distrust them.", "emotions": ["distrust"], "touchpoints": ["mobile_app"]},
        {"text": "Trust issues.", "emotions": ["trust_issues", "anger"]},
        {"text": "Très déçu.", "emotions": ["déçu"], "touchpoints": ["app"]},
        {"text": "Nothing to say.", "emotions": []},
    ])

    def json_each_count(column: str, values: list[str]) -> int:
        marks = ",".join("?" * len(values))
        return fresh_db.execute(f"select count(*) from statements s where exists (select 1 from json_each(s.{column}) "
                                f"where value in ({marks}))", values).fetchone()[0]

    for code in ("trust", "distrust", "anger", "déçu", "trus", "issues"):
        assert count_statements(fresh_db, StatementFilter(emotion=code)) == json_each_count("emotions", [code]), code
    assert count_statements(fresh_db, StatementFilter(emotion="trust")) == 1
    assert count_statements(fresh_db, StatementFilter(touchpoint="app")) == json_each_count("touchpoints", ["app"]) == 2
    # Several values of one dimension (as the assistant builds them) mean any of them.
    scope = Assistant(fresh_db, codebook).read("x").scope
    scope.codes = {"emotion": ["trust", "déçu"]}
    assert count_statements(fresh_db, scope.statement_filter()) == json_each_count("emotions", ["trust", "déçu"]) == 2


def test_answer_figures_equal_direct_counts_filtered_or_not(fresh_db):
    """The one-pass figures (and their tie order) are those a GROUP BY per dimension gives."""
    from voicemap.assistant.stats import summarize

    build_study(fresh_db, [
        {"text": "Late box again.", "sentiment": "negative", "pain": True, "category": "delivery", "stage": "usage",
         "emotions": ["frustration", "anger"], "touchpoints": ["delivery"], "metadata": {"segment": "family"}},
        {"text": "Lovely recipes.", "sentiment": "positive", "stage": "usage", "emotions": ["delight"],
         "touchpoints": ["recipes", "app"], "metadata": {"segment": "family"}},
        {"text": "Refund took weeks.", "sentiment": "unsure", "pain": True, "category": "billing",
         "emotions": ["frustration"], "source": "reviews.jsonl", "kind": "reviews", "metadata": {"segment": "family"}},
        {"text": "It is fine.", "sentiment": "neutral", "stage": "purchase", "metadata": {"segment": "single"}},
    ])

    def grouped(expression: str, where: str, join: str = "") -> dict:
        return dict(fresh_db.execute(
            f"select {expression}, count(*) from statements s join sources src on src.id = s.source_id "
            f"join utterances u on u.id = s.utterance_id{join} where {where} group by 1").fetchall())

    family = "json_extract(u.metadata, '$.segment') = 'family'"
    for flt, where in ((StatementFilter(), "1"), (StatementFilter(metadata={"segment": "family"}), family),
                       (StatementFilter(pain=True), "s.pain = 1")):
        summary = summarize(fresh_db, flt, sample=10)
        assert summary.statements == sum(grouped("1", where).values())
        for figure, expression, join, extra in (
                ("sentiment", "s.sentiment", "", ""), ("stages", "s.stage", "", " and s.stage is not null"),
                ("pain_categories", "s.pain_category", "", " and s.pain = 1 and s.pain_category is not null"),
                ("source_kinds", "src.kind", "", ""), ("emotions", "e.value", ", json_each(s.emotions) e", ""),
                ("touchpoints", "t.value", ", json_each(s.touchpoints) t", "")):
            expected = grouped(expression, where + extra, join)
            assert list(getattr(summary, figure).items()) == list(expected.items()), (where, figure)
        assert sorted(summary.sample_ids) == sorted(grouped("s.id", where))


def test_sides_summarised_on_their_own_connections_equal_one_by_one(tmp_path):
    from voicemap.assistant.stats import summarize, summarize_all

    db = open_db(tmp_path / "study.db")
    build_study(db, [{"text": f"Statement {n} about the box.", "sentiment": ("negative", "positive")[n % 2],
                      "pain": n % 3 == 0, "category": "delivery" if n % 3 == 0 else None,
                      "emotions": ["trust"] * (n % 2), "metadata": {"segment": ("family", "single", "couple")[n % 3]}}
                     for n in range(30)])
    filters = [StatementFilter(metadata={"segment": segment}) for segment in ("family", "single", "couple")]
    assert summarize_all(db, filters, sample=5) == [summarize(db, flt, sample=5) for flt in filters]
    assert [s.statements for s in summarize_all(db, filters)] == [10, 10, 10]
