"""The pitfalls report: planted problems found with true quotes, valid Markdown, hostile text inert."""

from __future__ import annotations

import re
import sqlite3

import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt

from study_builder import build_study
from voicemap.cli import main
from voicemap.cluster.edits import rename_cluster
from voicemap.cluster.run import cluster_pain_points
from voicemap.report.html import markdown_page
from voicemap.report.journey_map import render_journey_map
from voicemap.report.pitfalls import render_pitfalls_report
from voicemap.store import open_db
from voicemap.store.query import cite, select_statements

# The problems sample_feedback/README.md says were planted, as words a reader would recognise.
PLANTED = {
    "delivery": r"deliver|late\b|window|arriv|turned up|driver|warm|melt",
    "app reliability": r"\bapp\b|crash|log(?:s|ged|ging)? (?:me |us )?out|update|checkout|error",
    "cancellation": r"cancel|paus",
    "support": r"support|chat|hold|repl(?:y|ied)|email|agent|queue|script|bot\b",
    "unexpected charges": r"charg|price|promo|code|fee|£|bill",
    "missing ingredients": r"missing|miss item|damaged|crushed|squash|leak|burst|smashed",
    "onboarding": r"onboarding|set ?up|setup|sign(?:ing)? up|account|skip|preference|profile|password|confus",
}
MD = MarkdownIt("commonmark").enable("table")
UNESCAPE = re.compile(r"\\([\\`*\[\]<>|~_#>+\-=.!()])")


def unescape(text: str) -> str:
    return UNESCAPE.sub(r"\1", text).replace("&amp;", "&")


def issue_sections(report: str) -> list[str]:
    body = report.split("## Recurring issues, ranked", 1)[1].split("\n## ", 1)[0]
    return re.split(r"\n(?=### \d+\. )", body)[1:]


def quotes_in(markdown: str) -> list[tuple[str, str]]:
    return [(unescape(q), unescape(c)) for q, c in re.findall(r"^> “(.*)” — \*(.*)\*$", markdown, flags=re.M)]


def assert_quotes_are_verbatim_and_cited(db, report: str) -> int:
    texts_by_citation: dict[str, list[str]] = {}
    for row in select_statements(db):
        texts_by_citation.setdefault(cite(row), []).append(" ".join(row["text"].split()))
    quotes = quotes_in(report)
    for text, citation in quotes:
        assert citation in texts_by_citation, f"citation not in the data: {citation}"
        cut = text.endswith(" […]")
        core = text[:-4] if cut else text
        matches = [t for t in texts_by_citation[citation] if (t.startswith(core) if cut else t == core)]
        assert matches, f"quote not verbatim at {citation}: {text}"
    return len(quotes)


def assert_valid_structure(markdown: str, allowed_html: str = r'<a id="issue-\d+"></a>') -> None:
    tokens = MD.parse(markdown)
    levels = [int(t.tag[1]) for t in tokens if t.type == "heading_open"]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:])), levels  # no skipped heading level
    for token in tokens:
        if token.type == "html_block":
            assert re.fullmatch(allowed_html, token.content.strip()), token.content
        if token.type == "inline" and any(c.type == "html_inline" for c in token.children or []):
            assert re.fullmatch(allowed_html, token.content.strip()), token.content  # only our own anchors
    # every table row has as many cells as its header
    columns, current = None, 0
    for token in tokens:
        if token.type == "thead_open":
            columns = None
        if token.type == "tr_open":
            current = 0
        if token.type in ("th_open", "td_open"):
            current += 1
        if token.type == "tr_close":
            columns = columns or current
            assert current == columns
    # every blockquote is a quote with an attribution
    for index, token in enumerate(tokens):
        if token.type == "blockquote_open":
            inline = next(t for t in tokens[index:] if t.type == "inline")
            assert " — " in inline.content and any(c.type == "em_open" for c in inline.children)


@pytest.fixture
def sample_copy(sample_db, tmp_path):
    """A writable copy of the session's sample study (the fixture itself is read-only)."""
    path = tmp_path / "sample.db"
    target = sqlite3.connect(str(path))
    sample_db.conn.backup(target)
    target.close()
    return open_db(path)


@pytest.mark.slow
def test_sample_report_lists_the_planted_problems_with_true_quotes(sample_copy, codebook):
    cluster_pain_points(sample_copy)
    report = render_pitfalls_report(sample_copy, codebook, today="2026-04-01")
    sections = issue_sections(report)
    found = {}
    for problem, pattern in PLANTED.items():
        for section in sections:
            quotes = [q for q, _ in quotes_in(section)]
            on_topic = [q for q in quotes if re.search(pattern, q, re.IGNORECASE)]
            people = int(re.search(r"\*\*Who:\*\* (\d+) of", section).group(1))
            if people >= 2 and len(on_topic) >= 2:
                found[problem] = section.splitlines()[0]
                break
    assert set(found) == set(PLANTED), f"missing: {set(PLANTED) - set(found)}"
    assert assert_quotes_are_verbatim_and_cited(sample_copy, report) >= 2 * len(sections)
    for section in sections:
        assert 2 <= len(quotes_in(section)) <= 4
        assert "**Opportunity:**" in section
        citations = [c for _, c in quotes_in(section)]
        assert len(set(citations)) == len(citations)
    assert_valid_structure(report)
    assert "## Journey-management pitfalls in this data" in report
    assert "post-purchase stages" in report and "**Score impact (nps):**" in report


def _hostile_study(db) -> None:
    hostile = [
        "Checkout | broke # twice ``` <script>alert(1)</script> and then it crashed",
        "<img src=x onerror=alert(1)> checkout crashed again | again",
        "# checkout crashed\n> not a quote [link](javascript:alert(1)) crashed",
        "journey\n    section Hacked: 5: me checkout crashed; again",
        "=HYPERLINK(\"x\") checkout crashed *bold* _under_ ~~gone~~",
    ]
    items = [{"text": t, "speaker": f"Hostile {i}", "pain": True, "category": "reliability", "stage": "purchase",
              "touchpoints": ["checkout_payment"], "score": -0.6, "emotions": ["frustration"]}
             for i, t in enumerate(hostile)]
    items.append({"text": "The delivery never came and I gave up.", "speaker": "Lone", "pain": True,
                  "category": "delivery", "stage": "onboarding", "score": -0.5})
    build_study(db, items)


def test_hostile_text_cannot_break_the_report_or_the_map(fresh_db, codebook):
    _hostile_study(fresh_db)
    cluster_pain_points(fresh_db, min_size=2)
    cluster_id = fresh_db.execute("select id from clusters order by id").fetchone()[0]
    rename_cluster(fresh_db, cluster_id, "Bad | label # <b>x</b> `code` [a](b): 5;")
    report = render_pitfalls_report(fresh_db, codebook, today="2026-04-01")
    assert_valid_structure(report)
    assert_quotes_are_verbatim_and_cited(fresh_db, report)
    page = markdown_page(report, "t")
    assert "<script>" not in page and "<img" not in page and "<b>x</b>" not in page
    assert 'href="javascript' not in page
    journey = render_journey_map(fresh_db, codebook, today="2026-04-01")
    line = next(l for l in journey.splitlines() if l.startswith("**Recurring issues here:**"))
    assert f"(pitfalls.md#issue-{cluster_id})" in line and "<b>" not in line
    assert_valid_structure(journey, allowed_html=r"^$")


def test_one_participant_is_not_recurring_but_a_severe_one_off_is_listed(fresh_db, codebook):
    _hostile_study(fresh_db)
    cluster_pain_points(fresh_db, min_size=2)
    report = render_pitfalls_report(fresh_db, codebook)
    recurring = report.split("## Severe one-offs")[0]
    one_offs = report.split("## Severe one-offs")[1].split("\n## ")[0]
    assert "The delivery never came" not in recurring
    assert "“The delivery never came and I gave up.”" in one_offs and "Severity 4 (blocker)" in one_offs


def test_pitfall_section_reports_what_the_data_shows(fresh_db, codebook):
    _hostile_study(fresh_db)
    cluster_pain_points(fresh_db, min_size=2)
    report = render_pitfalls_report(fresh_db, codebook)
    pitfalls = report.split("## Journey-management pitfalls in this data")[1]
    assert "No evidence collected for Awareness" in pitfalls  # nothing was coded to awareness
    assert "17% of staged pain (1 of 6 statements) is in post-purchase stages" in pitfalls
    for name in ("Non-linear journeys", "Ignored emotions", "Neglected post-purchase stages",
                 "Thin data for a stage", "Silos between touchpoints"):
        assert name in pitfalls


def _scored_study(db) -> None:
    """Five people with a minor gripe and high scores; two with a blocker and low scores."""
    items = []
    for i in range(5):
        items.append({"text": f"The icons look a little dated {i}", "speaker": f"Happy {i}", "pain": True,
                      "category": "usability", "metadata": {"nps": "9"}, "score": 0.1})
    for i in range(2):
        items.append({"text": f"Refund refused and I cancelled my plan {i}", "speaker": f"Angry {i}", "pain": True,
                      "category": "price", "metadata": {"nps": "0"}, "score": -0.7})
    build_study(db, items)


def test_rank_by_priority_or_by_score_impact(fresh_db, codebook):
    _scored_study(fresh_db)
    cluster_pain_points(fresh_db, min_size=2)
    by_priority = render_pitfalls_report(fresh_db, codebook)
    by_impact = render_pitfalls_report(fresh_db, codebook, rank="impact")
    first = lambda report: issue_sections(report)[0].splitlines()[0]  # noqa: E731
    assert "icons" in first(by_priority)  # 5/7 people × severity 2 (minor) = 1.43 beats 2/7 × 4 (blocker) = 1.14
    assert "refund" in first(by_impact).lower() or "cancel" in first(by_impact).lower()
    assert "without the 2 who raised this it would be 9.00" in by_impact


def test_cli_report_clusters_when_needed_and_writes_html(tmp_path):
    db_path = tmp_path / "study.db"
    _scored_study(open_db(db_path))
    runner = CliRunner()
    result = runner.invoke(main, ["--db", str(db_path), "report", "-o", str(tmp_path / "pitfalls.md")])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "pitfalls.md").read_text(encoding="utf-8")
    assert text.startswith("# Recurring issues and journey pitfalls") and "### 1. " in text
    html = runner.invoke(main, ["--db", str(db_path), "report", "--format", "html", "--rank", "impact"]).output
    assert html.startswith("<!DOCTYPE html>") and "<h1>Recurring issues and journey pitfalls</h1>" in html


def _interviews(db) -> None:
    """Two interviewees who loop back twice each, the same loops in opposite order; tied negative emotions."""
    paths = {"Ana": ["retention", "usage", "advocacy", "onboarding"],
             "Ben": ["advocacy", "onboarding", "retention", "usage"]}
    feelings = iter([["confusion"], ["anxiety"], [], ["anxiety"], ["confusion"], [], [], []])
    build_study(db, [{"text": f"{who} at {stage} {turn}", "speaker": who, "source": "interviews.txt",
                      "kind": "transcript", "stage": stage, "pain": True, "category": "support",
                      "touchpoints": ["website", "mobile_app"][: 1 + turn % 2], "emotions": next(feelings)}
                     for who, path in paths.items() for turn, stage in enumerate(path)])


def test_pitfall_ties_go_to_what_the_conversations_show_first(fresh_db, codebook):
    _interviews(fresh_db)
    cluster_pain_points(fresh_db, min_size=2)
    pitfalls = render_pitfalls_report(fresh_db, codebook).split("## Journey-management pitfalls in this data")[1]
    label = lambda dimension, code: codebook.label(dimension, code)  # noqa: E731
    assert (f"most often {label('stage', 'retention')} → {label('stage', 'usage')} (2), "
            f"{label('stage', 'advocacy')} → {label('stage', 'onboarding')} (2))") in pitfalls
    assert f"{label('emotion', 'confusion')} (2), {label('emotion', 'anxiety')} (2)" in pitfalls


def test_issues_read_without_full_rows_have_the_same_figures(sample_copy, codebook):
    """The report loads only what its figures read, and whole rows for its quotes: same issues either way."""
    from voicemap.cluster.issues import load_issues, statement_rows

    cluster_pain_points(sample_copy)
    run, full = load_issues(sample_copy)
    _, summary = load_issues(sample_copy, full_rows=False)
    figures = lambda i: (i.cluster_id, i.label, [r["id"] for r in i.rows], i.participants, i.severity,  # noqa: E731
                         i.priority, i.mean_sentiment, i.counter("stage"), i.counter("touchpoints"),
                         [(s.score, s.delta) for s in i.impacts])
    assert [figures(i) for i in full] == [figures(i) for i in summary] and len(full) >= 5
    quoted = [r["id"] for i in summary for r in i.representatives(4)]
    rows = statement_rows(sample_copy, quoted)
    assert [cite(rows[i]) for i in quoted] == [cite(r) for i in full for r in i.representatives(4)]


def test_severity_ignores_letter_case_in_any_script():
    from voicemap.cluster.severity import statement_severity

    for text in ("I gave up and went to the shop", "I GAVE UP and went to the shop", "Ich gab auf. I Gave Up ☹",
                 "ſo I COULDN'T log in"):
        assert statement_severity({"text": text, "pain": True}) == 4, text
    for text in ("They CALLED me back twice", "Délai: the box was LATE"):
        assert statement_severity({"text": text, "pain": True}) == 3, text
    assert statement_severity({"text": "The icons look DATED", "pain": True}) == 2
