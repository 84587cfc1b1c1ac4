"""The research assistant: each kind of question, answered from the database.

Every figure in an answer is checked against a direct SQL count on the same data,
every quote against the statement it cites, so an answer cannot drift from the study.
"""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt

from study_builder import build_study
from voicemap.assistant import Assistant, example_questions, parse_action
from voicemap.assistant.lexicon import stem_words
from voicemap.codebook import load_codebook
from voicemap.report.evidence import display_text
from voicemap.report.markdown import escape_inline
from voicemap.store import open_db
from voicemap.store.query import StatementFilter, count_statements, select_statements

from conftest import ROOT


@pytest.fixture(scope="module")
def assistant(sample_db, codebook):
    return Assistant(sample_db, codebook)


def sql_count(db, where: str, params=()) -> int:
    return db.execute(f"select count(*) from statements s where {where}", list(params)).fetchone()[0]


def assert_quotes_belong(db, answer):
    """Every quoted statement is in the answer's set and appears verbatim (escaped) with its citation."""
    assert answer.statement_ids, "an answer about statements quotes some"
    inside = {r["id"] for r in select_statements(db, StatementFilter(**{
        **answer.filter.__dict__, "statement_ids": answer.statement_ids}))}
    assert inside == set(answer.statement_ids)
    for row in select_statements(db, StatementFilter(statement_ids=answer.statement_ids)):
        assert escape_inline(display_text(row["text"])) in answer.markdown
        assert escape_inline(row["source"]) in answer.markdown


def test_question_words_meet_codebook_words_through_stems_and_cues(assistant, codebook):
    reader = assistant.reader
    for word in ("frustrated", "frustrating", "frustrates", "Frustration"):
        assert reader.scope(f"who is {word}?").codes == {"emotion": ["frustration"]}, word
    assert reader.scope("problems with deliveries").codes == {"pain_category": ["delivery"]}
    assert reader.scope("quotes about deliveries").codes == {"touchpoint": ["delivery"]}
    # A single-word cue used by exactly one code (and no label) works as a synonym of that code.
    owners: dict[str, set] = {}
    spelling: dict[str, str] = {}
    for dimension in ("touchpoint", "stage"):
        for code in codebook.codes(dimension):
            for cue in code.cues:
                if re.fullmatch(r"[a-z]{5,}", cue):
                    stem = stem_words([cue])[0]
                    owners.setdefault(stem, set()).add((dimension, code.id))
                    spelling[stem] = cue
    label_words = {stem_words([w])[0] for d in ("touchpoint", "stage", "emotion", "pain_category")
                   for c in codebook.codes(d) for w in re.findall(r"[a-z]+", (c.label + " " + c.id).lower())}
    question_words = reader.frame | reader.pain_stems | set(reader.sentiment_stems)  # "compare", "issue", ...
    synonyms = [(spelling[s], next(iter(o))) for s, o in sorted(owners.items())
                if len(o) == 1 and s not in label_words | question_words]
    assert len(synonyms) > 20
    for cue, (dimension, code_id) in synonyms:
        scope = reader.scope(f"show quotes about {cue}")
        # a cue that also names a kind of problem reads as that problem; otherwise it is the code
        assert scope.codes.get(dimension) == [code_id] or "pain_category" in scope.codes, (cue, scope.codes)


def test_what_frustrates_people_at_checkout(assistant, sample_db):
    answer = assistant.ask("what frustrates people at checkout?")
    assert answer.kind == "quotes"
    assert answer.filter.touchpoint == "checkout_payment"
    expected = count_statements(sample_db, answer.filter)
    assert answer.count == expected > 0
    assert f"**{expected} statements**" in answer.markdown
    frustrated_at_checkout = sql_count(sample_db, "exists (select 1 from json_each(s.touchpoints) where value = "
                                       "'checkout_payment') and exists (select 1 from json_each(s.emotions) "
                                       "where value = 'frustration')")
    if frustrated_at_checkout == 0:  # then the answer says so and shows the pain points there
        assert "expresses Frustration explicitly" in answer.markdown
        assert answer.filter.pain is True
        assert expected == sql_count(sample_db, "s.pain = 1 and exists (select 1 from json_each(s.touchpoints) "
                                                "where value = 'checkout_payment')")
    assert_quotes_belong(sample_db, answer)


def test_pain_points_in_onboarding(assistant, sample_db):
    answer = assistant.ask("pain points in onboarding")
    expected = sql_count(sample_db, "s.pain = 1 and s.stage = 'onboarding'")
    assert answer.count == expected > 0
    assert f"**{expected} statements**" in answer.markdown
    people = sample_db.execute("select count(distinct participant_id) from statements where pain = 1 and "
                               "stage = 'onboarding'").fetchone()[0]
    assert f"from {people} of" in answer.markdown
    assert_quotes_belong(sample_db, answer)


def test_show_quotes_about_delivery(assistant, sample_db):
    answer = assistant.ask("show quotes about delivery")
    expected = sql_count(sample_db, "exists (select 1 from json_each(s.touchpoints) where value = 'delivery')")
    assert answer.count == expected > 0
    assert len(answer.statement_ids) == min(5, expected)
    assert_quotes_belong(sample_db, answer)


def test_how_do_people_feel_shows_both_sides_with_counts(assistant, sample_db):
    answer = assistant.ask("how do people feel about support?")
    assert answer.filter.stage == "support"
    for sentiment in ("negative", "positive"):
        n = sql_count(sample_db, "s.stage = 'support' and s.sentiment = ?", [sentiment])
        assert f"{n} {sentiment}" in answer.markdown
    assert "What works" in answer.markdown and "What hurts" in answer.markdown
    rows = {r["id"]: r for r in select_statements(sample_db, StatementFilter(statement_ids=answer.statement_ids))}
    works = answer.markdown.split("What works", 1)[1].split("What hurts", 1)[0]
    for row in rows.values():
        if escape_inline(display_text(row["text"])) in works:
            assert row["sentiment"] == "positive" and not row["pain"]


def test_how_many_negative_statements_about_pricing(assistant, sample_db):
    answer = assistant.ask("how many negative statements about pricing?")
    assert answer.kind == "count"
    expected = sql_count(sample_db, "s.sentiment = 'negative' and exists (select 1 from json_each(s.touchpoints) "
                                    "where value = 'pricing_billing')")
    assert answer.count == expected > 0
    assert f"**{expected}** statements match" in answer.markdown
    assert f"of {sql_count(sample_db, '1')} statements in the study" in answer.markdown


def test_compare_two_participants_side_by_side(assistant, sample_db):
    answer = assistant.ask("compare P1 and P3")
    assert answer.kind == "compare" and len(answer.sides) == 2
    for side, pseudonym in zip(answer.sides, ("P01", "P03")):
        expected = sql_count(sample_db, "s.participant_id = (select id from participants where pseudonym = ?)",
                             [pseudonym])
        assert side["count"] == expected > 0
        assert pseudonym in side["label"]
    header = answer.markdown.splitlines()[0]
    assert all(side["label"] in header for side in answer.sides)
    assert f"| Statements | {answer.sides[0]['count']} | {answer.sides[1]['count']} |" in answer.markdown


def test_compare_metadata_groups(assistant, sample_db):
    answer = assistant.ask("compare segment=family with segment=single")
    counts = [side["count"] for side in answer.sides]
    expected = [sql_count(sample_db, "s.utterance_id in (select id from utterances where "
                                     "json_extract(metadata, '$.segment') = ?)", [v]) for v in ("family", "single")]
    assert counts == expected and all(expected)
    assert "segment=family" in answer.markdown and "segment=single" in answer.markdown


def test_top_issues_ranked_by_people_with_evidence(assistant, sample_db):
    answer = assistant.ask("top issues")
    assert answer.kind == "issues" and answer.sides
    people = [side["participants"] for side in answer.sides]
    assert people == sorted(people, reverse=True)
    for side in answer.sides:
        assert count_statements(sample_db, side["filter"]) == side["count"]
        ids = {r["id"] for r in select_statements(sample_db, side["filter"])}
        assert all(r["pain"] for r in select_statements(sample_db, side["filter"]))
        assert ids & set(answer.statement_ids), "each issue is shown with quotes"
    assert_quotes_belong(sample_db, answer)
    three = assistant.ask("top 3 issues")
    assert [s["label"] for s in three.sides] == [s["label"] for s in answer.sides[:3]]


def test_why_do_customers_leave(assistant, sample_db):
    answer = assistant.ask("why do customers leave?")
    assert answer.kind == "churn"
    leavers = sample_db.execute("select count(distinct participant_id) from statements where stage = 'retention' "
                                "and (pain = 1 or sentiment in ('negative', 'mixed'))").fetchone()[0]
    assert answer.participants == leavers > 0
    assert f"**{leavers} of" in answer.markdown
    leaver_ids = {r[0] for r in sample_db.execute(
        "select distinct participant_id from statements where stage = 'retention' and "
        "(pain = 1 or sentiment in ('negative', 'mixed'))")}
    for side in answer.sides:  # the other issues are those same people's
        assert {r["participant_id"] for r in select_statements(sample_db, side["filter"])} <= leaver_ids


def test_full_text_search_for_words_outside_the_codebook(assistant, sample_db):
    answer = assistant.ask("show quotes about swapping")
    expected = sample_db.execute("select count(*) from statements_fts where statements_fts match 'swapping'").fetchone()[0]
    assert answer.count == expected > 0
    assert "mentions “swapping”" in answer.markdown


def test_metadata_values_are_words_too(assistant, sample_db):
    answer = assistant.ask("what do families say about the app?")
    assert answer.filter.metadata == {"segment": "family"}
    assert answer.filter.touchpoint == "mobile_app"
    assert answer.count == count_statements(sample_db, answer.filter)


def test_overview_counts_the_study(assistant, sample_db):
    answer = assistant.ask("overview")
    assert answer.kind == "overview"
    assert f"**Statements:** {sql_count(sample_db, '1')}" in answer.markdown


def test_unknown_question_gets_help_from_the_users_codebook(sample_db):
    patient = load_codebook(ROOT / "tests" / "data" / "patient_codebook.toml")
    answer = Assistant(sample_db, patient).ask("blorptastic zwingle?")
    assert answer.kind == "help"
    assert "I could not read" in answer.markdown
    assert any(stage.label.lower() in answer.markdown.lower() for stage in patient.stages)
    assert "checkout" not in answer.markdown.lower()  # nothing from the default journey
    for command in ("import PATH", "retag", "cluster", "map [FILE]", "export"):
        assert command in answer.markdown


def test_every_help_example_is_understood(assistant, sample_db, codebook):
    for example in example_questions(codebook, assistant.catalog):
        intent = assistant.read(example)
        assert intent.kind != "help" and not intent.not_understood, example
        answer = assistant.ask(example)
        assert answer.kind not in ("help", "problem"), (example, answer.markdown[:200])


def test_command_words_parse_to_actions():
    assert parse_action("import ~/study/interviews").path.endswith("study/interviews")
    assert parse_action("retag").name == "retag" and parse_action("re-tag").name == "retag"
    assert parse_action("cluster").name == "cluster"
    assert parse_action("map journey.md").path == "journey.md"
    assert parse_action("report").name == "report" and parse_action("report").path is None
    export = parse_action("export jsonl out.jsonl")
    assert (export.name, export.format, export.path) == ("export", "jsonl", "out.jsonl")
    assert parse_action("export").format == "csv"
    assert parse_action("import").problem
    assert parse_action("report on delivery problems") is None  # a question, not a command
    assert parse_action("what about import fees?") is None


def test_customer_text_cannot_inject_markdown_or_escapes(fresh_db, codebook):
    hostile = "# Heading <script>alert(1)</script> [click](http://evil.example) **bold** | pipe \x1b[31mred\x1b[0m"
    build_study(fresh_db, [
        {"text": hostile, "speaker": "R1", "touchpoints": ["delivery"], "pain": True, "category": "delivery",
         "sentiment": "negative", "score": -0.6},
        {"text": "The delivery came late again and again.", "speaker": "R2", "touchpoints": ["delivery"],
         "pain": True, "category": "delivery", "sentiment": "negative", "score": -0.4},
    ])
    assistant = Assistant(fresh_db, codebook)
    parser = MarkdownIt("gfm-like")  # what the app's Markdown widget uses
    for question in ("show quotes about delivery", "top issues", "compare R1 and R2"):
        markdown = assistant.ask(question).markdown
        assert "\x1b" not in markdown
        tokens = [t for block in parser.parse(markdown) for t in [block, *(block.children or [])]]
        assert not [t for t in tokens if t.type in ("html_inline", "html_block")]
        # no disguised links; a bare URL the customer typed may be autolinked, showing itself
        assert all(t.markup == "linkify" for t in tokens if t.type == "link_open")
        assert "Heading" not in " ".join(t.content for t in tokens if t.type == "inline" and t.level == 1
                                         and t.map and markdown.splitlines()[t.map[0]].startswith("#"))
        strong = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "strong_open"]
        assert "bold" not in strong
        assert "<script>alert(1)</script>" in " ".join(t.content for t in tokens if t.type == "text")


def test_empty_study_says_how_to_start(tmp_path, codebook):
    answer = Assistant(open_db(tmp_path / "empty.db"), codebook).ask("top issues")
    assert "import" in answer.markdown and answer.kind == "empty"


def test_top_issues_use_persisted_clusters_when_there_are_some(sample_db, codebook, tmp_path):
    import sqlite3

    from voicemap.assistant.clusters import run_clustering
    from voicemap.cluster.issues import load_issues

    copy = tmp_path / "clustered.db"
    target = sqlite3.connect(copy)
    sample_db.conn.backup(target)
    target.close()
    db = open_db(copy)
    summary = run_clustering(db, progress=lambda message: None, cancelled=lambda: False)
    _, issues = load_issues(db, with_impacts=False)
    recurring = {i.label: i for i in issues if i.recurring}
    assert f"**{len(recurring)}** recurring issues" in summary
    answer = Assistant(db, codebook).ask("top issues")
    assert "clusters of similar pain statements" in answer.markdown
    for side in answer.sides:  # each issue is a stored cluster, with its own members
        issue = recurring[side["label"]]
        assert set(side["filter"].statement_ids) == {r["id"] for r in issue.rows}
        assert side["participants"] == len(issue.participants)
    assert_quotes_belong(db, answer)
    cluster_id = issues[0].cluster_id
    scoped = Assistant(db, codebook).ask(f"cluster:{cluster_id}")
    assert scoped.count == len(issues[0].rows)


def test_cli_ask_prints_the_same_answer(sample_db, codebook):
    from click.testing import CliRunner

    from voicemap.cli import main

    path = sample_db.execute("pragma database_list").fetchone()[2]
    result = CliRunner().invoke(main, ["--db", path, "ask", "pain", "points", "in", "onboarding"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == Assistant(sample_db, codebook).ask("pain points in onboarding").markdown.strip()
    command = CliRunner().invoke(main, ["--db", path, "ask", "retag"])
    assert command.exit_code != 0 and "is a command" in command.output
