"""Recurring issues with evidence: "top issues", "why do customers leave?".

Issues are the clusters of pain statements that `voicemap cluster` persisted, when
there are any; otherwise the pain points grouped by codebook category. Either way
they are ranked by how many different people raise them (one talkative customer is
one voice), and each comes with counts per kind of source and representative quotes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from voicemap.assistant import clusters
from voicemap.assistant.answers import Answer, describe, quote_lines
from voicemap.assistant.intents import Intent, Scope
from voicemap.assistant.lexicon import stem_words, words_of
from voicemap.assistant.stats import (QUOTE_POOL, count_participants, full_rows, light_rows, matching, sample_pools,
                                      summarize, total_participants)
from voicemap.codebook import Codebook
from voicemap.report.evidence import representative
from voicemap.report.markdown import escape_inline, share, table
from voicemap.store.query import StatementFilter, count_statements, joins_for

TOP_ISSUES = 5
UNCATEGORISED = "Uncategorised"
QUOTES_PER_ISSUE = 3
ISSUE_POOL = 600  # statements of an issue its quotes are chosen from
LEAVING_STEMS = frozenset(stem_words(["cancel", "cancellation", "leave", "churn", "quit", "switch", "unsubscribe",
                                      "terminate", "close"]))


@dataclass
class Issue:
    name: str
    flt: StatementFilter
    statements: int
    participants: int
    kinds: dict[str, int] | None = None  # participants by kind of source, once counted
    quotes: list[dict[str, Any]] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)


@dataclass
class Found:
    """The top issues within a filter, how they were found, and the pain points they come from."""

    issues: list[Issue]
    method: str
    pain_statements: int | None = None  # known when the issues are categories (one pass gives them)
    pain_participants: int | None = None
    uncategorised: tuple[int, int] = (0, 0)  # pain statements without a category, and their participants


JOIN_SOURCES = " join sources src on src.id = s.source_id"


def _kinds(db: Database, flt: StatementFilter) -> dict[str, int]:
    """Participants by kind of source, most first (ties in reverse name order, as answers always showed them)."""
    where, params = flt.where()
    joins = joins_for(where).replace(JOIN_SOURCES, "")
    return {r["kind"]: r["n"] for r in db.query(
        f"select src.kind as kind, count(distinct s.participant_id) as n from statements s{JOIN_SOURCES}{joins}{where} "
        "group by 1 order by 2 desc, 1 desc", params)}


# One pass over a filter's pain points: per category its statements, participants and participants
# by kind of source; and the totals. Materialised when the filter needs evaluating; for the whole
# study each grouping reads the index on (pain, pain_category, participant_id, source_id) instead.
CATEGORIES_SQL = """
with m as {how} ({matching})
select 'category' as part, pain_category as a, null as b, count(*) as n, count(distinct participant_id) as people
from m group by 2
union all select 'all', null, null, count(*), count(distinct participant_id) from m
union all select 'kind', m.pain_category, src.kind, null, count(distinct m.participant_id)
          from m join sources src on src.id = m.source_id group by 2, 3
"""


def _narrowed(base: StatementFilter, **changes: Any) -> StatementFilter:
    flt = StatementFilter(**{**base.__dict__, "extra_where": list(base.extra_where), "metadata": dict(base.metadata)})
    for key, value in changes.items():
        if key == "extra_where":
            flt.extra_where += value
        else:
            setattr(flt, key, value)
    return flt


def category_issues(db: Database, codebook: Codebook, base: StatementFilter) -> Found:
    """Pain points grouped by pain category (the fallback before clustering), with what their answer shows."""
    flt = _narrowed(base, pain=True)
    source, params = matching(flt, "s.participant_id, s.pain_category, s.source_id")
    how = "materialized" if base.where()[0] else "not materialized"
    sql = CATEGORIES_SQL.format(how=how, matching=source)
    groups: dict[str, tuple[int, int]] = {}
    kinds: dict[str, dict[str, int]] = {}
    found = Found([], "pain points grouped by category (run `cluster` to find finer recurring issues)")
    for part, a, b, n, people in db.execute(sql, params).fetchall():
        # Pain without a category is not an issue (it is only counted, apart); '' is no category either.
        if part == "category":
            if a:
                groups[a] = (n, people)
            elif a is None:
                found.uncategorised = (n, people)
        elif part == "all":
            found.pain_statements, found.pain_participants = n, people
        elif part == "kind" and a:
            kinds.setdefault(a, {})[b] = people
    for category, (n, people) in sorted(groups.items()):
        found.issues.append(Issue(codebook.label("pain_category", category), _narrowed(flt, pain_category=category),
                                  n, people, kinds=_most_first(kinds.get(category, {}))))
    return found


def _most_first(counts: dict[str, int]) -> dict[str, int]:
    """Participants by kind, most first; ties in reverse name order, as `_kinds` orders them."""
    by_name = sorted(counts.items(), reverse=True)
    return dict(sorted(by_name, key=lambda kv: -kv[1]))


def recurring_issues(db: Database, codebook: Codebook, base: StatementFilter, limit: int = TOP_ISSUES,
                     quotes: int = QUOTES_PER_ISSUE) -> Found:
    """The top issues within `base`, ranked by participants; and how they were found."""
    clustered = clusters.cluster_issues(db, base)
    if clustered is None:
        found = category_issues(db, codebook, base)
    else:
        found = Found([Issue(c["name"], c["filter"], c["statements"], c["participants"], terms=c["terms"],
                             quotes=c["quotes"][:quotes]) for c in clustered],
                      "clusters of similar pain statements (from the last `cluster` run)")
    # Pain without a category is not one issue: it is listed apart, never ranked first.
    found.issues.sort(key=lambda i: (i.name == UNCATEGORISED, -i.participants, -i.statements, i.name))
    found.issues = [i for i in found.issues if i.statements and i.name != UNCATEGORISED][:limit]
    for issue in found.issues:
        if issue.kinds is None:  # clusters bring their most typical members, but not where they come from
            issue.kinds = _kinds(db, issue.flt)
    # Quotes (categories choose here) are chosen on light columns of a spread sample of each issue;
    # the full rows are read once, for the quotes shown.
    needing = [issue for issue in found.issues if not issue.quotes]
    pools = sample_pools(db, [issue.flt for issue in needing], ISSUE_POOL)
    light = {row["id"]: row for row in light_rows(db, [i for pool in pools for i in pool])}
    chosen = [representative([light[i] for i in pool if i in light], quotes) for pool in pools]
    shown = {row["id"]: row for row in full_rows(db, [row for rows in chosen for row in rows])}
    for issue, rows in zip(needing, chosen):
        issue.quotes = [shown[row["id"]] for row in rows if row["id"] in shown]
    return found


def _uncategorised_note(found: Found) -> list[str]:
    n, people = found.uncategorised
    if not n:
        return []
    return [f"*Also {n} pain statements from {people} participants have no category; "
            "browse them with `pain:yes` in the coding view, or run `cluster`.*", ""]


def _issue_table(issues: list[Issue], everyone: int) -> str:
    rows = [[n, issue.name, share(issue.participants, everyone), issue.statements,
             ", ".join(f"{k} {v}" for k, v in issue.kinds.items())] for n, issue in enumerate(issues, 1)]
    return table(["#", "Issue", "Participants", "Statements", "People by source"], rows)


def _issue_sections(issues: list[Issue], everyone: int) -> list[str]:
    lines = []
    for n, issue in enumerate(issues, 1):
        lines += [f"#### {n}. {escape_inline(issue.name)}: {share(issue.participants, everyone)} participants", ""]
        if issue.terms:
            lines += ["*Key terms:* " + ", ".join(escape_inline(t, line_start=False) for t in issue.terms[:6]), ""]
        lines += quote_lines(issue.quotes)
    return lines


def answer_issues(db: Database, codebook: Codebook, intent: Intent) -> Answer:
    scope = intent.scope
    base = scope.statement_filter()
    found = recurring_issues(db, codebook, base, intent.limit or TOP_ISSUES)
    issues, method = found.issues, found.method
    everyone = total_participants(db)
    if not issues:
        return Answer(f"No pain points found in {describe(scope, codebook)}.", "issues", count=0, filter=base)
    pain = _narrowed(base, pain=True)
    pain_statements, pain_people = found.pain_statements, found.pain_participants
    if pain_statements is None:
        pain_statements, pain_people = count_statements(db, pain), count_participants(db, pain)
    lines = ["### Top recurring issues", ""]
    if not _only_pain(scope):
        lines += [f"*Read as:* {describe(scope, codebook)}", ""]
    lines += [f"From {pain_statements} pain statements by {pain_people} participants; "
              f"issues are {method}, ranked by how many people raise them.", "",
              _issue_table(issues, everyone), ""]
    if "category" in method:
        lines += _uncategorised_note(found)
    lines += _issue_sections(issues, everyone)
    return Answer("\n".join(lines).rstrip() + "\n", "issues", count=pain_statements, participants=pain_people,
                  statement_ids=[q["id"] for i in issues for q in i.quotes], filter=pain,
                  sides=[{"label": i.name, "count": i.statements, "participants": i.participants, "filter": i.flt}
                         for i in issues])


def _only_pain(scope: Scope) -> bool:
    return not (scope.codes or scope.participants or scope.sources or scope.source_kinds or scope.metadata
                or scope.search or scope.sentiment)


def leaving_stage(codebook: Codebook) -> str | None:
    """The stage whose cues talk most about cancelling or leaving (Retention in the default codebook)."""
    best, best_score = None, 0
    for stage in codebook.stages:
        score = sum(1 for cue in stage.cues if LEAVING_STEMS & set(stem_words(words_of(cue))))
        if score > best_score:
            best, best_score = stage.id, score
    return best


def answer_churn(db: Database, codebook: Codebook, intent: Intent) -> Answer:
    stage = leaving_stage(codebook)
    scope = intent.scope
    scope.codes.pop("stage", None)
    scope.matches = [m for m in scope.matches if m.dimension != "stage"]
    base = scope.statement_filter(search=False)
    if stage is None:
        return answer_issues(db, codebook, intent)
    leaving_clause = "(s.pain = 1 or s.sentiment in ('negative', 'mixed'))"
    leaving = _narrowed(base, stage=stage, extra_where=[(leaving_clause, [])])
    summary = summarize(db, leaving, sample=QUOTE_POOL)
    leaving_count, leavers = summary.statements, summary.participants
    everyone = total_participants(db)
    stage_label = escape_inline(codebook.label("stage", stage))
    if not leavers:
        answer = answer_issues(db, codebook, intent)
        answer.markdown = (f"*No participant voices a negative {stage_label} experience (cancelling, leaving); "
                           f"these are the top issues overall.*\n\n" + answer.markdown)
        return answer
    leavers_sql, params = matching(leaving, "s.participant_id")
    their = _narrowed(base, extra_where=[(f"s.participant_id in ({leavers_sql})", params),
                                         ("(s.stage is null or s.stage != ?)", [stage])])
    found = recurring_issues(db, codebook, their, intent.limit or TOP_ISSUES)
    issues, method = found.issues, found.method
    lines = ["### Why customers leave", "",
             f"**{share(leavers, everyone)} participants** talk negatively about {stage_label} "
             f"(cancelling, pausing, switching): {leaving_count} statements.", ""]
    lines += quote_lines(full_rows(db, representative(light_rows(db, summary.sample_ids), 3)))
    if issues:
        lines += ["#### What else these participants complain about", "",
                  f"Issues are {method}; counts are of these {leavers} participants.", "",
                  _issue_table(issues, leavers), ""]
        lines += _issue_sections(issues, leavers)
    return Answer("\n".join(lines).rstrip() + "\n", "churn", count=leaving_count, participants=leavers,
                  statement_ids=[q["id"] for i in issues for q in i.quotes], filter=leaving,
                  sides=[{"label": i.name, "count": i.statements, "participants": i.participants, "filter": i.flt}
                         for i in issues])
