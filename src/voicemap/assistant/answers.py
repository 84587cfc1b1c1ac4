"""Markdown answers with counts, small tables and verbatim quotes that cite their source.

Every figure comes from the database through the core filters; every piece of customer
text goes through `voicemap.report.markdown`, so a quote can never become structure.
When nothing matches every filter, the answer says so and shows the closest set, rather
than an empty reply.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Iterator

from sqlite_utils import Database

from voicemap.assistant.actions import Action
from voicemap.assistant.intents import CODE_FIELDS, Intent, Scope
from voicemap.assistant.stats import (COMPARED, QUOTE_POOL, Summary, emotion_valence, full_rows, light_rows,
                                      summarize, summarize_all, total_participants)
from voicemap.codebook import Codebook
from voicemap.report.evidence import display_text, representative
from voicemap.report.markdown import escape_inline, quote, share, table
from voicemap.store.query import StatementFilter, count_statements, study_overview

QUOTES = 5
QUOTES_PER_SIDE = 2
DIMENSION_NAMES = {"stage": "stage", "touchpoint": "touchpoint", "emotion": "emotion", "pain_category": "pain category"}


@dataclass
class Answer:
    """What the assistant says, plus the facts behind it for front ends and tests."""

    markdown: str
    kind: str
    count: int | None = None
    participants: int | None = None
    statement_ids: list[int] = field(default_factory=list)  # the quotes shown
    filter: StatementFilter | None = None  # the statements the answer is about
    action: Action | None = None
    sides: list[dict[str, Any]] = field(default_factory=list)


def code_label(codebook: Codebook, dimension: str, value: str) -> str:
    return codebook.label(dimension, value) if dimension in CODE_FIELDS else value


def describe(scope: Scope, codebook: Codebook) -> str:
    """How a scope was read, as Markdown: 'touchpoint **Delivery** (“deliveries”) · pain points'."""
    parts = []
    for match in scope.matches:
        if match.dimension in CODE_FIELDS:
            name = f"{DIMENSION_NAMES[match.dimension]} **{escape_inline(codebook.label(match.dimension, match.value))}**"
        elif match.dimension == "pain":
            name = "**pain points**" if match.value == "yes" else "**not pain points**"
        else:
            name = f"{escape_inline(match.dimension)} **{escape_inline(match.value)}**"
        words = match.words.strip() if match.dimension != "pain" else ""
        if words and words.lower() not in (match.value.lower(), codebook.label(match.dimension, match.value).lower()
                                           if match.dimension in CODE_FIELDS else ""):
            name += f" (“{escape_inline(words, line_start=False)}”)"
        parts.append(name)
    if scope.pain and not any(m.dimension in ("pain", "pain_category") for m in scope.matches):
        parts.append("**pain points**")
    if scope.search:
        parts.append("mentions " + ", ".join(f"“{escape_inline(w, line_start=False)}”" for w in scope.search))
    return " · ".join(parts) or "all statements"


def short_label(scope: Scope, codebook: Codebook) -> str:
    """A plain-text name for one side of a comparison (a table header)."""
    names = []
    for match in scope.matches:
        if match.dimension in CODE_FIELDS:
            names.append(codebook.label(match.dimension, match.value))
        elif match.dimension.startswith("metadata "):
            names.append(f"{match.dimension[9:]}={match.value}")
        elif match.dimension == "pain":
            names.append("pain points" if match.value == "yes" else "no pain")
        else:
            names.append(match.value)
    names += [f"“{w}”" for w in scope.search]
    return ", ".join(names) or "all"


def _top(counter, codebook: Codebook | None = None, dimension: str | None = None, n: int = 4) -> str:
    items = counter.most_common(n)
    if not items:
        return "none"
    name = (lambda v: codebook.label(dimension, v)) if codebook and dimension else str
    rest = sum(counter.values()) - sum(c for _, c in items)
    text = ", ".join(f"{escape_inline(name(k), line_start=False)} {c}" for k, c in items)
    return text + (f", others {rest}" if rest else "")


def compact_lines(lines: list[str]) -> str:
    """Lines as one paragraph with hard breaks: reads like a list, renders as one block (fast in the app)."""
    return "\\\n".join(lines)


def profile(summary: Summary, codebook: Codebook, scope: Scope) -> list[str]:
    """The figures that describe a set of statements, one line each."""
    lines = []
    if summary.sentiment:
        order = ("negative", "mixed", "neutral", "positive")
        parts = [f"{summary.sentiment[s]} {s}" for s in order if summary.sentiment.get(s)]
        mean = f" (mean {summary.mean_sentiment:+.2f})" if summary.mean_sentiment is not None else ""
        lines.append(f"**Sentiment:** {' · '.join(parts)}{mean}")
    lines.append(f"**Emotions:** {_top(summary.emotions, codebook, 'emotion')}")
    if scope.pain is None or summary.pain_categories:
        lines.append(f"**Pain points:** {share(summary.pain, summary.statements)}"
                     + (f": {_top(summary.pain_categories, codebook, 'pain_category')}" if summary.pain_categories else ""))
    if "stage" not in scope.codes and summary.stages:
        lines.append(f"**Stages:** {_top(summary.stages, codebook, 'stage')}")
    if "touchpoint" not in scope.codes and summary.touchpoints:
        lines.append(f"**Touchpoints:** {_top(summary.touchpoints, codebook, 'touchpoint')}")
    lines.append(f"**Sources:** {_top(summary.source_kinds)}")
    return [compact_lines(lines)]


def quote_lines(rows: list[dict[str, Any]]) -> list[str]:
    """Each row as a cited block quote; rows are full rows (see `stats.full_rows`)."""
    lines = []
    for row in rows:
        lines += [quote(display_text(row["text"]), _citation(row)), ""]
    return lines


def _citation(row: dict[str, Any]) -> str:
    who = row.get("participant") or row.get("speaker") or "unknown"
    if row.get("pseudonym") and row.get("pseudonym") != who:
        who = f"{who} ({row['pseudonym']})"
    return f"{row['source']}, {who}, {row['location']}"


def relaxations(db: Database, scope: Scope, codebook: Codebook) -> Iterator[tuple[Scope, str]]:
    """Wider scopes to try, closest first, each with what was given up (made as they are tried)."""
    if scope.search and (scope.codes or scope.pain or scope.sentiment):
        wider = copy.deepcopy(scope)
        wider.search = []
        yield (wider, "No statement also mentions " + ", ".join(f"“{escape_inline(w)}”" for w in scope.search)
               + "; showing the statements without that word.")
    for emotion in scope.codes.get("emotion", []):
        if len(scope.codes) + bool(scope.search) < 2:
            break
        wider = copy.deepcopy(scope)
        wider.codes.pop("emotion")
        wider.matches = [m for m in wider.matches if m.dimension != "emotion"]
        negative = emotion_valence(db, emotion) < 0
        label = escape_inline(codebook.label("emotion", emotion))
        if negative:
            wider.pain = True
            yield (wider, f"No statement here expresses {label} explicitly; showing the pain points instead.")
        else:
            wider.sentiment = "positive"
            yield (wider, f"No statement here expresses {label} explicitly; showing positive statements instead.")
    if scope.sentiment and (scope.codes or scope.search):
        wider = copy.deepcopy(scope)
        wider.sentiment = None
        yield (wider, f"No {scope.sentiment} statement matches; showing every sentiment.")
    for dimension in ("stage", "touchpoint", "pain_category"):
        if dimension in scope.codes and len(scope.codes) > 1:
            wider = copy.deepcopy(scope)
            dropped = wider.codes.pop(dimension)
            wider.matches = [m for m in wider.matches if m.dimension != dimension]
            names = ", ".join(escape_inline(codebook.label(dimension, v)) for v in dropped)
            yield (wider, f"Nothing matches {DIMENSION_NAMES[dimension]} {names} as well; showing without it.")


def answer_quotes(db: Database, codebook: Codebook, intent: Intent) -> Answer:
    scope, note = intent.scope, ""
    flt = scope.statement_filter()
    summary = summarize(db, flt, sample=QUOTE_POOL)
    if summary.statements == 0:
        # The closest wider scope that matches: summarised as it is tried (an empty one costs a count).
        for wider, note in relaxations(db, scope, codebook):
            wider_filter = wider.statement_filter()
            summary = summarize(db, wider_filter, sample=QUOTE_POOL)
            if summary.statements:
                scope, flt = wider, wider_filter
                break
        else:
            return Answer(f"No statement matches {describe(scope, codebook)}.", "quotes", count=0, participants=0,
                          filter=flt)
    everyone = total_participants(db)
    lines = [f"*Read as:* {describe(intent.scope, codebook)}", ""]
    if note:
        lines += [f"*{note}*", ""]
    lines += [f"**{summary.statements} statements** from {share(summary.participants, everyone)} participants.", ""]
    lines += profile(summary, codebook, scope) + [""]
    rows = light_rows(db, summary.sample_ids)
    shown: list[dict] = []
    if intent.feel and scope.sentiment is None:
        works = [r for r in rows if r["sentiment"] == "positive" and not r["pain"]]
        hurts = [r for r in rows if r["sentiment"] in ("negative", "mixed") or r["pain"]]
        for title, group in (("What works", representative(works, 3)), ("What hurts", representative(hurts, 3))):
            if group:
                group = full_rows(db, group)
                lines += [f"#### {title}", ""] + quote_lines(group)
                shown += group
    if not shown:
        shown = full_rows(db, representative(rows, QUOTES))
        lines += ["#### What they say", ""] + quote_lines(shown)
    if summary.statements > len(shown):
        lines.append(f"*{len(shown)} of {summary.statements} shown; open them all in the coding view.*")
    return Answer("\n".join(lines).rstrip() + "\n", "quotes", count=summary.statements,
                  participants=summary.participants, statement_ids=[r["id"] for r in shown], filter=flt)


def answer_count(db: Database, codebook: Codebook, intent: Intent) -> Answer:
    scope = intent.scope
    flt = scope.statement_filter()
    summary = summarize(db, flt, sample=QUOTE_POOL)
    everyone = total_participants(db)
    lines = [f"*Read as:* {describe(scope, codebook)}", "",
             f"**{summary.statements}** statements match, from {share(summary.participants, everyone)} participants "
             f"(of {count_statements(db)} statements in the study).", ""]
    if summary.statements:
        lines += profile(summary, codebook, scope) + [""]
        shown = full_rows(db, representative(light_rows(db, summary.sample_ids), 2))
        lines += ["For example:", ""] + quote_lines(shown)
    else:
        shown = []
    return Answer("\n".join(lines).rstrip() + "\n", "count", count=summary.statements,
                  participants=summary.participants, statement_ids=[r["id"] for r in shown], filter=flt)


def answer_compare(db: Database, codebook: Codebook, intent: Intent) -> Answer:
    if len(intent.sides) < 2:
        return Answer("To compare, name two groups, for example `compare P1 and P3` or "
                      "`compare segment=family with segment=single`.", "compare")
    sides = [intent.scope.merged(side) if not intent.scope.is_empty() else side for side in intent.sides]
    headers = [""] + [short_label(side, codebook) for side in intent.sides]
    summaries = summarize_all(db, [side.statement_filter() for side in sides], sample=QUOTE_POOL, figures=COMPARED)

    def pct(part: int, total: int) -> str:
        return f"{part} ({100 * part / total:.0f}%)" if total else "0"

    def top(counter, dimension):
        if not counter:
            return "—"
        value, n = counter.most_common(1)[0]
        return f"{codebook.label(dimension, value) if dimension else value} ({n})"

    rows = [
        ["Statements"] + [s.statements for s in summaries],
        ["Participants"] + [s.participants for s in summaries],
        ["Negative"] + [pct(s.sentiment.get("negative", 0), s.statements) for s in summaries],
        ["Positive"] + [pct(s.sentiment.get("positive", 0), s.statements) for s in summaries],
        ["Pain points"] + [pct(s.pain, s.statements) for s in summaries],
        ["Mean sentiment"] + [f"{s.mean_sentiment:+.2f}" if s.mean_sentiment is not None else "—" for s in summaries],
        ["Top stage"] + [top(s.stages, "stage") for s in summaries],
        ["Top emotion"] + [top(s.emotions, "emotion") for s in summaries],
        ["Top pain category"] + [top(s.pain_categories, "pain_category") for s in summaries],
    ]
    lines = []
    if not intent.scope.is_empty():
        lines += [f"*Both sides limited to:* {describe(intent.scope, codebook)}", ""]
    lines += [table(headers, rows), ""]
    shown_ids, facts = [], []
    for header, side, summary in zip(headers[1:], sides, summaries):
        lines += [f"#### {escape_inline(header)}", "", f"*Read as:* {describe(side, codebook)}", ""]
        flt = side.statement_filter()
        sample = light_rows(db, summary.sample_ids)
        pains = [r for r in sample if r["pain"]]
        chosen = full_rows(db, representative(pains or sample, QUOTES_PER_SIDE))
        lines += quote_lines(chosen) if chosen else ["No statements.", ""]
        shown_ids += [r["id"] for r in chosen]
        facts.append({"label": header, "count": summary.statements, "participants": summary.participants,
                      "pain": summary.pain, "filter": flt})
    return Answer("\n".join(lines).rstrip() + "\n", "compare", statement_ids=shown_ids, sides=facts)


def answer_overview(db: Database, codebook: Codebook) -> Answer:
    overview = study_overview(db)
    flt = StatementFilter()
    summary = summarize(db, flt)
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(overview["source_kinds"].items())) or "none"
    lines = ["### The study at a glance", "", compact_lines([
             f"**Sources:** {overview['sources']} ({escape_inline(kinds)})",
             f"**Participants:** {overview['participants']}",
             f"**Statements:** {overview['statements']}, {share(overview['pain_statements'], overview['statements'])} "
             f"pain points",
             f"**Coded by a researcher:** {overview['human_coded']} statements"]), ""]
    if summary.statements:
        rows = [[s.label, summary.stages.get(s.id, 0)] for s in codebook.stages]
        lines += [table(["Stage", "Statements"], rows), ""]
        lines += profile(summary, codebook, Scope()) + [""]
    return Answer("\n".join(lines).rstrip() + "\n", "overview", count=overview["statements"],
                  participants=overview["participants"], filter=flt)
