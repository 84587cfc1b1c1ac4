"""The journey map's figures, counted in SQL, are the figures a reader would count in the statements."""

from __future__ import annotations

import json
import random
import re
from collections import Counter

import pytest

from study_builder import build_study
from voicemap.report.evidence import representative
from voicemap.report.journey_map import render_journey_map
from voicemap.report.markdown import escape_inline, share
from voicemap.store.query import StatementFilter, cite, select_statements

ACTIONS = ["cancel", "call support", "compare prices", "log in", "wait", "email them", "switch"]


def _random_study(db, codebook, seed: int, size: int = 120) -> None:
    """Many people, codes repeated within a statement, empty categories, statements without a person."""
    rng = random.Random(seed)
    stages = [s.id for s in codebook.stages][:5] + [None]
    emotions = [e.id for e in codebook.emotions][:5]
    touchpoints = [t.id for t in codebook.touchpoints][:4]
    categories = [c.id for c in codebook.pain_categories][:3] + [None, ""]
    people = [f"Person {i}" for i in range(9)] + [None]
    words = "box late delivery app crash refund charged support cancel login recipe missing portions".split()
    build_study(db, [{
        "text": " ".join(rng.sample(words, rng.randint(2, 6))) + f" ({i})", "speaker": rng.choice(people),
        "source": rng.choice(["a.csv", "b.csv"]), "stage": rng.choice(stages),
        "touchpoints": rng.sample(touchpoints, rng.randint(0, 2)),
        "emotions": [rng.choice(emotions) for _ in range(rng.randint(0, 3))],
        "sentiment": rng.choice(["positive", "negative", "mixed", "neutral"]), "score": round(rng.uniform(-1, 1), 2),
        "pain": rng.random() < 0.5, "category": rng.choice(categories)} for i in range(size)])
    for (statement_id,) in db.execute("select id from statements").fetchall():  # actions, some repeated
        actions = [rng.choice(ACTIONS) for _ in range(rng.randint(0, 3))]
        db.execute("update statements set actions = ? where id = ?", [json.dumps(actions), statement_id])
    db.conn.commit()


def _section(journey: str, label: str) -> str:
    return journey.split(f"\n## {label}\n", 1)[1].split("\n## ", 1)[0]


def _line(section: str, start: str) -> str | None:
    return next((line for line in section.splitlines() if line.startswith(start)), None)


def _coded(counter: Counter, label, limit=None) -> str:
    return ", ".join(f"{escape_inline(label(code))} ({n})" for code, n in counter.most_common(limit))


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("flt", [None, StatementFilter(source="a.csv"), StatementFilter(pain=True, stage="usage")])
def test_each_stage_shows_what_its_statements_say(fresh_db, codebook, seed, flt):
    """Counts, participants, sentiment, top codes (ties: the first mentioned) and quotes, per stage."""
    _random_study(fresh_db, codebook, seed)
    journey = render_journey_map(fresh_db, codebook, flt=flt, today="2026-01-01")
    people_in_study = fresh_db.execute("select count(distinct participant_id) from statements").fetchone()[0]
    base = {**(flt or StatementFilter()).__dict__}
    for stage in codebook.stages:
        rows = list(select_statements(fresh_db, StatementFilter(**{**base, "stage": stage.id})))  # in id order
        section = _section(journey, stage.label)
        if not rows:
            assert "No evidence collected for this stage." in section
            continue
        people = {r["participant_id"] for r in rows}
        mean = sum(r["sentiment_score"] or 0 for r in rows) / len(rows)
        assert (f"**Evidence:** {len(rows)} statements from {share(len(people), people_in_study)} participants. "
                f"Average sentiment {mean:+.2f}.") in section
        summary = next(line for line in journey.splitlines() if line.startswith(f"| {stage.label} |"))
        positive = sum(r["sentiment"] == "positive" for r in rows)
        negative = sum(r["sentiment"] in ("negative", "mixed") for r in rows)
        assert f"| {positive} / {negative} | {mean:+.2f} |" in summary

        emotions = Counter(e for r in rows for e in r["emotions"])  # every mention; ties by first mention
        touchpoints = Counter(t for r in rows for t in r["touchpoints"])
        actions = Counter(a for r in rows for a in dict.fromkeys(r["actions"]))  # once per statement
        if emotions:
            assert _line(section, "**Emotions:** ") == "**Emotions:** " + _coded(
                emotions, lambda e: codebook.label("emotion", e))
        if touchpoints:
            assert _line(section, "**Touchpoints:** ") == "**Touchpoints:** " + _coded(
                touchpoints, lambda t: codebook.label("touchpoint", t), 8)
        if actions:
            assert _line(section, "**What customers do:** ") == "**What customers do:** " + _coded(
                actions, str, 6)

        groups: dict[str, list] = {}
        for row in rows:
            if row["pain"]:
                groups.setdefault(row["pain_category"] or "uncategorised", []).append(row)
        ranked = sorted(groups.items(), key=lambda kv: (-len({r["participant_id"] for r in kv[1]}), -len(kv[1]), kv[0]))
        quoted = re.findall(r"— \*(.*)\*$", section.split("### What works")[0], flags=re.M)
        expected = [cite(r) for _, group in ranked[:3] for r in representative(group, 3)]
        assert quoted == [escape_inline(c) for c in expected]


def test_tied_actions_are_listed_in_the_order_customers_first_mention_them(fresh_db, codebook):
    """Ties used to follow Python's set order, which changes from run to run."""
    stage = codebook.stages[0]
    build_study(fresh_db, [{"text": f"Statement {i}", "speaker": f"P{i}", "stage": stage.id} for i in range(2)])
    first, second = (r[0] for r in fresh_db.execute("select id from statements order by id"))
    fresh_db.execute("update statements set actions = ? where id = ?", [json.dumps(ACTIONS[:4]), first])
    fresh_db.execute("update statements set actions = ? where id = ?", [json.dumps(ACTIONS[4:] + ACTIONS[:4]), second])
    fresh_db.conn.commit()
    line = _line(_section(render_journey_map(fresh_db, codebook), stage.label), "**What customers do:** ")
    assert line == "**What customers do:** " + ", ".join(f"{a} ({2 if a in ACTIONS[:4] else 1})" for a in ACTIONS[:6])


def test_mean_sentiment_is_added_up_in_statement_order(fresh_db, codebook):
    """0.1 + 0.3 - 0.4 is a hair above zero in floating point, -0.4 + 0.1 + 0.3 a hair below: the map
    adds a stage's scores in statement order, as it always has, whatever order SQLite reads them in
    (here an index that covers the stage figures hands the rows over sorted by their emotions)."""
    fresh_db.execute("create index test_stage_figures on statements "
                     "(stage, emotions, sentiment, pain, participant_id, sentiment_score)")
    stage = codebook.stages[0]
    early, late = sorted(e.id for e in codebook.emotions)[:2]
    scores = [(0.1, [late]), (0.3, []), (-0.4, [early])]
    build_study(fresh_db, [{"text": f"Said {i}", "speaker": f"P{i}", "stage": stage.id, "score": score,
                            "emotions": emotions} for i, (score, emotions) in enumerate(scores)])
    in_order = sum(score for score, _ in scores) / 3
    assert f"{in_order:+.2f}" == "+0.00" and f"{(-0.4 + 0.1 + 0.3) / 3:+.2f}" == "-0.00"
    assert "Average sentiment +0.00." in _section(render_journey_map(fresh_db, codebook), stage.label)


def test_a_stock_answer_many_people_gave_is_quoted_once():
    same = [{"id": i, "participant_id": i, "lemmas": "great service", "text": "Great service!"} for i in range(1, 6)]
    other = [{"id": 9, "participant_id": 9, "lemmas": "great service driver", "text": "Great service, kind driver."}]
    quoted = representative(same + other, 3)
    assert sorted(row["id"] for row in quoted) == [1, 9]  # one "Great service!", then the next wording
