"""The journey map: one section per stage, every claim with counts and cited quotes.

`render_journey_map` is a pure function (database in, Markdown out). It reads well
on GitHub (a Mermaid emotion curve, tables) and in any plain viewer (the same
figures are in a table). A stage with no evidence says so rather than inventing.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from typing import Any

from sqlite_utils import Database

from voicemap.codebook import Codebook
from voicemap.report.evidence import display_text, representative
from voicemap.report.markdown import escape_inline, mermaid_label, quote, share, table
from voicemap.report.pitfalls import stage_issue_index, stage_issue_line
from voicemap.store.query import StatementFilter, cite, select_statements, study_overview

TOP_PAINS = 3
QUOTES_PER_PAIN = 3


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def net_sentiment(rows: list[dict[str, Any]]) -> float:
    """Share of positive minus share of negative statements (mixed counts half), in [-1, 1].

    Mean VADER compound hovers near 0 for every stage of real feedback (praise and
    complaints cancel out, and CX words like "cancel" score 0), so the curve uses the
    final sentiment labels, which also weigh cues and pain points.
    """
    if not rows:
        return 0.0
    positive = sum(r["sentiment"] == "positive" for r in rows)
    negative = sum(r["sentiment"] == "negative" for r in rows) + 0.5 * sum(r["sentiment"] == "mixed" for r in rows)
    return (positive - negative) / len(rows)


def emotion_score(net: float) -> int:
    """Mermaid journey score 1–5 (above 3 a smile, below a frown): clamp(round(3 + 2 × net))."""
    return max(1, min(5, round(3 + 2 * net)))


def _stage_rows(db: Database, stage: str, flt: StatementFilter | None) -> list[dict[str, Any]]:
    base = flt or StatementFilter()
    scoped = StatementFilter(**{**base.__dict__, "stage": stage})
    return list(select_statements(db, scoped))


def _overview_block(db: Database, overview: dict[str, Any], codebook: Codebook) -> list[str]:
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(overview["source_kinds"].items())) or "none"
    dates = (f"{overview['date_min']} to {overview['date_max']}" if overview["date_min"] else "not recorded")
    return [
        "## The study at a glance",
        "",
        f"- **Sources:** {overview['sources']} ({escape_inline(kinds)})",
        f"- **Participants:** {overview['participants']}",
        f"- **Statements:** {overview['statements']} customer statements, "
        f"{overview['pain_statements']} of them pain points",
        f"- **Dates:** {escape_inline(dates)}",
        f"- **Codebook:** {escape_inline(codebook.name)} (version {escape_inline(codebook.version)})",
        "",
    ]


def _curve(stats: list[tuple[str, str, list[dict]]]) -> list[str]:
    lines = ["## Emotion curve", "",
             "Score per stage from 1 to 5: 3 + 2 × (share of positive − share of negative statements); "
             "above 3 customers are mostly pleased, below 3 mostly unhappy.", "",
             "```mermaid", "journey", "    title Customer sentiment by stage"]
    for stage_id, label, rows in stats:
        if rows:
            score = emotion_score(net_sentiment(rows))
            lines.append(f"    section {mermaid_label(label)}")
            lines.append(f"      {mermaid_label(label)} ({len(rows)} statements): {score}: Customers")
    lines += ["```", ""]
    return lines


def _summary_table(stats: list[tuple[str, str, list[dict]]], participants: int) -> list[str]:
    rows = []
    for stage_id, label, stage_rows in stats:
        if not stage_rows:
            rows.append([label, 0, f"0 of {participants}", "—", "—", "—", "no evidence"])
            continue
        people = {r["participant_id"] for r in stage_rows}
        mean = sum(r["sentiment_score"] or 0 for r in stage_rows) / len(stage_rows)
        emotions = Counter(e for r in stage_rows for e in r["emotions"])
        pains = sum(r["pain"] for r in stage_rows)
        positive = sum(r["sentiment"] == "positive" for r in stage_rows)
        negative = sum(r["sentiment"] in ("negative", "mixed") for r in stage_rows)
        rows.append([label, len(stage_rows), share(len(people), participants), f"{positive} / {negative}",
                     f"{mean:+.2f}", emotions.most_common(1)[0][0] if emotions else "—",
                     share(pains, len(stage_rows))])
    headers = ["Stage", "Statements", "Participants", "Positive / negative", "Mean VADER", "Top emotion",
               "Pain points"]
    return ["## Stages at a glance", "", table(headers, rows), ""]


def _stage_section(codebook: Codebook, stage_id: str, label: str, rows: list[dict], participants: int,
                   redact: bool = False, pseudonymise: bool = False) -> list[str]:
    definition = next(c.definition for c in codebook.stages if c.id == stage_id)
    lines = [f"## {escape_inline(label)}", "", f"*{escape_inline(definition)}*", ""]
    if not rows:
        return lines + ["**No evidence collected for this stage.** No statement in the data was coded to it, "
                        "so nothing is claimed here.", ""]
    people = {r["participant_id"] for r in rows}
    mean = sum(r["sentiment_score"] or 0 for r in rows) / len(rows)
    lines += [f"**Evidence:** {len(rows)} statements from {share(len(people), participants)} participants. "
              f"Average sentiment {mean:+.2f}.", ""]

    actions = Counter(a for r in rows for a in set(r["actions"]))
    if actions:
        # actions hold the customer's own words ("email support@..."), so they are redacted like quotes
        top = ", ".join(f"{escape_inline(display_text(a, redact))} ({n})" for a, n in actions.most_common(6))
        lines += [f"**What customers do:** {top}", ""]
    touchpoints = Counter(t for r in rows for t in r["touchpoints"])
    if touchpoints:
        lines += ["**Touchpoints:** " + ", ".join(
            f"{escape_inline(codebook.label('touchpoint', t))} ({n})" for t, n in touchpoints.most_common(8)), ""]
    emotions = Counter(e for r in rows for e in r["emotions"])
    if emotions:
        lines += ["**Emotions:** " + ", ".join(
            f"{escape_inline(codebook.label('emotion', e))} ({n})" for e, n in emotions.most_common()), ""]
    else:
        lines += ["**Emotions:** none expressed explicitly.", ""]

    pains = [r for r in rows if r["pain"]]
    by_category: dict[str, list[dict]] = {}
    for row in pains:
        by_category.setdefault(row["pain_category"] or "uncategorised", []).append(row)
    ranked = sorted(by_category.items(), key=lambda kv: (-len({r["participant_id"] for r in kv[1]}), -len(kv[1]), kv[0]))
    if not ranked:
        lines += ["**Pain points:** none reported at this stage.", ""]
    else:
        lines += ["### Top pain points", ""]
        for category, group in ranked[:TOP_PAINS]:
            who = {r["participant_id"] for r in group}
            name = codebook.label("pain_category", category) if category != "uncategorised" else "Uncategorised"
            lines += [f"**{escape_inline(name)}**: {plural(len(group), 'statement')} from {share(len(who), participants)} participants", ""]
            for row in representative(group, QUOTES_PER_PAIN):
                lines += [quote(display_text(row["text"], redact), cite(row, pseudonymise)), ""]
        if len(ranked) > TOP_PAINS:
            rest = ", ".join(f"{escape_inline(c)} ({len(g)})" for c, g in ranked[TOP_PAINS:])
            lines += [f"Other pain points here: {rest}.", ""]
    positives = [r for r in rows if not r["pain"] and r["sentiment"] == "positive"]
    if positives:
        lines += ["### What works", ""]
        for row in representative(positives, 2):
            lines += [quote(display_text(row["text"], redact), cite(row, pseudonymise)), ""]
    return lines


def _methods(overview: dict[str, Any], model_name: str | None) -> list[str]:
    human = overview["human_coded"]
    total = overview["statements"] or 1
    return [
        "## Methods and limits", "",
        "- Statements are sentences of customer speech (interviewer turns excluded), split with spaCy and "
        "tagged by voicemap's codebook rules (cue phrases matched on words and lemmas, negation and contrast "
        "aware) with VADER sentiment." + (f" spaCy pipeline: {escape_inline(model_name)}." if model_name else ""),
        f"- Verified by a researcher: {human} of {overview['statements']} statements "
        f"({100 * human / total:.0f}%); human codes override automatic ones.",
        "- Counts are statements and distinct participants; quotes are verbatim (cuts marked […]) and chosen as the "
        "most typical of their group, at most one per participant.",
        "- Limits: reviews and open answers are self-selected; stages with few statements are thin evidence.",
        "",
    ]


def render_journey_map(db: Database, codebook: Codebook, title: str = "Customer journey map",
                       flt: StatementFilter | None = None, model_name: str | None = None,
                       today: str | None = None, redact: bool = False, pseudonymise: bool = False) -> str:
    """The whole journey map as Markdown."""
    overview = study_overview(db)
    participants = overview["participants"]
    stats = [(s.id, s.label, _stage_rows(db, s.id, flt)) for s in codebook.stages]
    lines = [f"# {escape_inline(title)}", "",
             f"*Generated by voicemap on {today or date.today().isoformat()}.*", ""]
    lines += _overview_block(db, overview, codebook)
    if overview["statements"] == 0:
        return "\n".join(lines + ["No statements imported yet: run `voicemap import PATH` first.", ""])
    lines += _summary_table(stats, participants)
    lines += _curve(stats)
    issue_index = stage_issue_index(db)  # recurring issues of the current cluster run; empty before clustering
    for stage_id, label, rows in stats:
        lines += _stage_section(codebook, stage_id, label, rows, participants, redact, pseudonymise)
        lines += stage_issue_line(issue_index, rows)
    unstaged = db.execute("select count(*) from statements where stage is null").fetchone()[0]
    lines += [f"*{unstaged} statements expressed no journey stage and are not shown by stage.*", ""]
    lines += _methods(overview, model_name)
    return "\n".join(lines)
