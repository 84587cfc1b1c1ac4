"""The journey map: one section per stage, every claim with counts and cited quotes.

`render_journey_map` is a pure function (database in, Markdown out). It reads well
on GitHub (a Mermaid emotion curve, tables) and in any plain viewer (the same
figures are in a table). A stage with no evidence says so rather than inventing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlite_utils import Database

from voicemap.cluster.issues import statement_rows
from voicemap.codebook import Codebook
from voicemap.report.aggregate import (NOT_PAIN, PAIN, PAIN_BY_STAGE, counted, in_list, near_rounding_edge,
                                       people_sql, ranked_codes, scoped_sql, sum_in_id_order, without_stage)
from voicemap.report.evidence import display_text, most_typical
from voicemap.report.markdown import escape_inline, mermaid_label, quote, share, table
from voicemap.report.pitfalls import stage_issue_index, stage_issue_line
from voicemap.store.query import StatementFilter, cite, study_overview

TOP_PAINS = 3
QUOTES_PER_PAIN = 3
UNCATEGORISED = "uncategorised"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


@dataclass
class StageStats:
    """What the map says about one stage, counted in SQL over the statements coded to it."""

    id: str
    label: str
    statements: int = 0
    people: int = 0
    sentiment_sum: float = 0.0
    positive: int = 0
    negative: int = 0
    mixed: int = 0
    pains: int = 0
    emotions: list[tuple[str, int]] = field(default_factory=list)  # most frequent first
    touchpoints: list[tuple[str, int]] = field(default_factory=list)
    actions: list[tuple[str, int]] = field(default_factory=list)  # counted once per statement
    pain_groups: list[tuple[str, int, int]] = field(default_factory=list)  # (category, statements, people), ranked

    @property
    def mean_sentiment(self) -> float:
        return self.sentiment_sum / self.statements


def net_sentiment(positive: int, negative: int, mixed: int, statements: int) -> float:
    """Share of positive minus share of negative statements (mixed counts half), in [-1, 1].

    Mean VADER compound hovers near 0 for every stage of real feedback (praise and
    complaints cancel out, and CX words like "cancel" score 0), so the curve uses the
    final sentiment labels, which also weigh cues and pain points.
    """
    if not statements:
        return 0.0
    return (positive - (negative + 0.5 * mixed)) / statements


def emotion_score(net: float) -> int:
    """Mermaid journey score 1–5 (above 3 a smile, below a frown): clamp(round(3 + 2 × net))."""
    return max(1, min(5, round(3 + 2 * net)))


def stage_stats(db: Database, codebook: Codebook, flt: StatementFilter | None = None) -> list[StageStats]:
    """Every stage's figures in a few grouped queries (a stage's filter is `flt` with the stage set)."""
    base = without_stage(flt)
    ids = [s.id for s in codebook.stages]
    staged = [in_list("s.stage", ids)]
    labels = {s.id: s.label for s in codebook.stages}
    stats = {stage_id: StageStats(stage_id, label) for stage_id, label in labels.items()}
    for stage, *figures in counted(
            db, f"s.stage, count(*), {people_sql()}, sum(coalesce(s.sentiment_score, 0)), "
                "sum(s.sentiment is 'positive'), sum(s.sentiment is 'negative'), sum(s.sentiment is 'mixed'), "
                f"sum({PAIN})", base, staged, ids, tail=" group by s.stage"):
        stats[stage] = StageStats(stage, labels[stage], *figures)
        if near_rounding_edge(stats[stage].mean_sentiment):  # print what the statements add up to in order
            stats[stage].sentiment_sum = sum_in_id_order(db, "s.sentiment_score", base, ["s.stage = ?"], [stage])
    for name, per_statement in (("emotions", False), ("touchpoints", False), ("actions", True)):
        for stage, codes in ranked_codes(db, name, "s.stage", base, staged, ids, per_statement=per_statement).items():
            setattr(stats[stage], name, codes)
    category = f"coalesce(nullif(s.pain_category, ''), '{UNCATEGORISED}')"
    groups: dict[str, list] = {}
    for stage, name, n, people in counted(db, f"s.stage, {category} as category, count(*), {people_sql()}", base,
                                          staged + [PAIN], ids, tail=PAIN_BY_STAGE + ", category"):
        groups.setdefault(stage, []).append((name, n, people))
    for stage, items in groups.items():
        stats[stage].pain_groups = sorted(items, key=lambda g: (-g[2], -g[1], g[0]))
    return [stats[s.id] for s in codebook.stages]


WORKS = "what works"  # the quote group of a stage's positive statements that are not pain points


def stage_quotes(db: Database, stats: list[StageStats], flt: StatementFilter | None = None
                 ) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """(stage, pain category or `WORKS`) -> the representative statements the map quotes.

    One pass reads the id, participant and lemmas of the statements in the quoted groups (each
    stage's top pain categories and its positive statements); the choice needs every member's
    lemmas, but only the chosen statements are read whole, for their citations.
    """
    wanted = {(stage.id, category) for stage in stats for category, _, _ in stage.pain_groups[:TOP_PAINS]}
    category = f"coalesce(nullif(s.pain_category, ''), '{UNCATEGORISED}')"
    shown = [stage.id for stage in stats if stage.statements]
    sql, params = scoped_sql(f"s.stage, {PAIN}, {category}, s.id, s.participant_id, s.lemmas", without_stage(flt),
                             [in_list("s.stage", shown), f"({PAIN} or ({NOT_PAIN} and s.sentiment = 'positive'))"],
                             shown)
    groups: dict[tuple[str, str], tuple[list, list, list]] = {}  # ids, people, lemmas
    for stage, pain, name, statement_id, who, lemmas in db.execute(sql, params):
        key = (stage, name) if pain else (stage, WORKS)
        if pain and key not in wanted:
            continue
        ids, people, texts = groups.setdefault(key, ([], [], []))
        ids.append(statement_id)
        people.append(who)
        texts.append(lemmas)
    chosen = {key: [ids[i] for i in most_typical(ids, people, texts, 2 if key[1] == WORKS else QUOTES_PER_PAIN)]
              for key, (ids, people, texts) in groups.items()}
    full = statement_rows(db, [i for picked in chosen.values() for i in picked])
    return {key: [full[i] for i in picked] for key, picked in chosen.items()}


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


def _curve(stats: list[StageStats]) -> list[str]:
    lines = ["## Emotion curve", "",
             "Score per stage from 1 to 5: 3 + 2 × (share of positive − share of negative statements); "
             "above 3 customers are mostly pleased, below 3 mostly unhappy.", "",
             "```mermaid", "journey", "    title Customer sentiment by stage"]
    for stage in stats:
        if stage.statements:
            score = emotion_score(net_sentiment(stage.positive, stage.negative, stage.mixed, stage.statements))
            lines.append(f"    section {mermaid_label(stage.label)}")
            lines.append(f"      {mermaid_label(stage.label)} ({stage.statements} statements): {score}: Customers")
    lines += ["```", ""]
    return lines


def _summary_table(stats: list[StageStats], participants: int) -> list[str]:
    rows = []
    for stage in stats:
        if not stage.statements:
            rows.append([stage.label, 0, f"0 of {participants}", "—", "—", "—", "no evidence"])
            continue
        rows.append([stage.label, stage.statements, share(stage.people, participants),
                     f"{stage.positive} / {stage.negative + stage.mixed}", f"{stage.mean_sentiment:+.2f}",
                     stage.emotions[0][0] if stage.emotions else "—", share(stage.pains, stage.statements)])
    headers = ["Stage", "Statements", "Participants", "Positive / negative", "Mean VADER", "Top emotion",
               "Pain points"]
    return ["## Stages at a glance", "", table(headers, rows), ""]


def _stage_section(codebook: Codebook, stage: StageStats, quotes: dict[tuple[str, str], list[dict[str, Any]]],
                   participants: int, redact: bool = False, pseudonymise: bool = False) -> list[str]:
    definition = next(c.definition for c in codebook.stages if c.id == stage.id)
    lines = [f"## {escape_inline(stage.label)}", "", f"*{escape_inline(definition)}*", ""]
    if not stage.statements:
        return lines + ["**No evidence collected for this stage.** No statement in the data was coded to it, "
                        "so nothing is claimed here.", ""]
    lines += [f"**Evidence:** {stage.statements} statements from {share(stage.people, participants)} participants. "
              f"Average sentiment {stage.mean_sentiment:+.2f}.", ""]

    if stage.actions:
        # actions hold the customer's own words ("email support@..."), so they are redacted like quotes
        top = ", ".join(f"{escape_inline(display_text(a, redact))} ({n})" for a, n in stage.actions[:6])
        lines += [f"**What customers do:** {top}", ""]
    if stage.touchpoints:
        lines += ["**Touchpoints:** " + ", ".join(
            f"{escape_inline(codebook.label('touchpoint', t))} ({n})" for t, n in stage.touchpoints[:8]), ""]
    if stage.emotions:
        lines += ["**Emotions:** " + ", ".join(
            f"{escape_inline(codebook.label('emotion', e))} ({n})" for e, n in stage.emotions), ""]
    else:
        lines += ["**Emotions:** none expressed explicitly.", ""]

    ranked = stage.pain_groups
    if not ranked:
        lines += ["**Pain points:** none reported at this stage.", ""]
    else:
        lines += ["### Top pain points", ""]
        for category, count, people in ranked[:TOP_PAINS]:
            name = codebook.label("pain_category", category) if category != UNCATEGORISED else "Uncategorised"
            lines += [f"**{escape_inline(name)}**: {plural(count, 'statement')} from {share(people, participants)} participants", ""]
            for row in quotes.get((stage.id, category), []):
                lines += [quote(display_text(row["text"], redact), cite(row, pseudonymise)), ""]
        if len(ranked) > TOP_PAINS:
            rest = ", ".join(f"{escape_inline(c)} ({n})" for c, n, _ in ranked[TOP_PAINS:])
            lines += [f"Other pain points here: {rest}.", ""]
    if quotes.get((stage.id, WORKS)):
        lines += ["### What works", ""]
        for row in quotes[(stage.id, WORKS)]:
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
    lines = [f"# {escape_inline(title)}", "",
             f"*Generated by voicemap on {today or date.today().isoformat()}.*", ""]
    lines += _overview_block(db, overview, codebook)
    if overview["statements"] == 0:
        return "\n".join(lines + ["No statements imported yet: run `voicemap import PATH` first.", ""])
    stats = stage_stats(db, codebook, flt)
    lines += _summary_table(stats, participants)
    lines += _curve(stats)
    issue_index = stage_issue_index(db, flt)  # recurring issues of the current cluster run; empty before clustering
    quotes = stage_quotes(db, stats, flt)
    for stage in stats:
        lines += _stage_section(codebook, stage, quotes, participants, redact, pseudonymise)
        lines += stage_issue_line(issue_index.get(stage.id, {}))
    unstaged = db.execute("select count(*) from statements where stage is null").fetchone()[0]
    lines += [f"*{unstaged} statements expressed no journey stage and are not shown by stage.*", ""]
    lines += _methods(overview, model_name)
    return "\n".join(lines)
