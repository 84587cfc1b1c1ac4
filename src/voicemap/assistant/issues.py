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
from voicemap.assistant.stats import FROM_SQL, count_participants, sample_rows, total_participants
from voicemap.codebook import Codebook
from voicemap.report.evidence import representative
from voicemap.report.markdown import escape_inline, share, table
from voicemap.store.query import StatementFilter, count_statements

TOP_ISSUES = 5
UNCATEGORISED = "Uncategorised"
QUOTES_PER_ISSUE = 3
LEAVING_STEMS = frozenset(stem_words(["cancel", "cancellation", "leave", "churn", "quit", "switch", "unsubscribe",
                                      "terminate", "close"]))


@dataclass
class Issue:
    name: str
    flt: StatementFilter
    statements: int
    participants: int
    kinds: dict[str, int] = field(default_factory=dict)
    quotes: list[dict[str, Any]] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)


def _kinds(db: Database, flt: StatementFilter) -> dict[str, int]:
    where, params = flt.where()
    return {r["kind"]: r["n"] for r in db.query(
        f"select src.kind as kind, count(distinct s.participant_id) as n{FROM_SQL}{where} group by 1 order by 2 desc",
        params)}


def _narrowed(base: StatementFilter, **changes: Any) -> StatementFilter:
    flt = StatementFilter(**{**base.__dict__, "extra_where": list(base.extra_where), "metadata": dict(base.metadata)})
    for key, value in changes.items():
        if key == "extra_where":
            flt.extra_where += value
        else:
            setattr(flt, key, value)
    return flt


def category_issues(db: Database, codebook: Codebook, base: StatementFilter) -> list[Issue]:
    """Pain points grouped by pain category (the fallback before clustering)."""
    flt = _narrowed(base, pain=True)
    where, params = flt.where()
    rows = db.query(f"select coalesce(s.pain_category, '') as category, count(*) as n, "
                    f"count(distinct s.participant_id) as people{FROM_SQL}{where} group by 1", params)
    issues = []
    for row in rows:
        category = row["category"] or None
        scoped = _narrowed(flt, pain_category=category) if category else _narrowed(
            flt, extra_where=[("s.pain_category is null", [])])
        name = codebook.label("pain_category", category) if category else UNCATEGORISED
        issues.append(Issue(name, scoped, row["n"], row["people"]))
    return issues


def recurring_issues(db: Database, codebook: Codebook, base: StatementFilter, limit: int = TOP_ISSUES,
                     quotes: int = QUOTES_PER_ISSUE) -> tuple[list[Issue], str]:
    """The top issues within `base`, ranked by participants; and how they were found."""
    found = clusters.cluster_issues(db, base)
    method = "clusters of similar pain statements (from the last `cluster` run)"
    if found is None:
        found = category_issues(db, codebook, base)
        method = "pain points grouped by category (run `cluster` to find finer recurring issues)"
    else:
        found = [Issue(c["name"], c["filter"], c["statements"], c["participants"], terms=c["terms"],
                       quotes=c["quotes"][:quotes]) for c in found]
    # Pain without a category is not one issue: it is listed apart, never ranked first.
    found.sort(key=lambda i: (i.name == UNCATEGORISED, -i.participants, -i.statements, i.name))
    top = [i for i in found if i.statements and i.name != UNCATEGORISED][:limit]
    for issue in top:
        issue.kinds = _kinds(db, issue.flt)
        if not issue.quotes:  # clusters bring their most typical members; categories choose here
            issue.quotes = representative(sample_rows(db, issue.flt, limit=600), quotes)
    return top, method


def _uncategorised_note(db: Database, base: StatementFilter) -> list[str]:
    flt = _narrowed(base, pain=True, extra_where=[("s.pain_category is null", [])])
    n = count_statements(db, flt)
    if not n:
        return []
    return [f"*Also {n} pain statements from {count_participants(db, flt)} participants have no category; "
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
    issues, method = recurring_issues(db, codebook, base, intent.limit or TOP_ISSUES)
    everyone = total_participants(db)
    if not issues:
        return Answer(f"No pain points found in {describe(scope, codebook)}.", "issues", count=0, filter=base)
    pain = _narrowed(base, pain=True)
    pain_statements, pain_people = count_statements(db, pain), count_participants(db, pain)
    lines = ["### Top recurring issues", ""]
    if not _only_pain(scope):
        lines += [f"*Read as:* {describe(scope, codebook)}", ""]
    lines += [f"From {pain_statements} pain statements by {pain_people} participants; "
              f"issues are {method}, ranked by how many people raise them.", "",
              _issue_table(issues, everyone), ""]
    if "category" in method:
        lines += _uncategorised_note(db, base)
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
    leaving_rows = sample_rows(db, leaving)
    leaving_count = count_statements(db, leaving)
    leavers = count_participants(db, leaving)
    everyone = total_participants(db)
    stage_label = escape_inline(codebook.label("stage", stage))
    if not leavers:
        answer = answer_issues(db, codebook, intent)
        answer.markdown = (f"*No participant voices a negative {stage_label} experience (cancelling, leaving); "
                           f"these are the top issues overall.*\n\n" + answer.markdown)
        return answer
    where, params = leaving.where()
    their = _narrowed(base, extra_where=[(f"s.participant_id in (select s.participant_id{FROM_SQL}{where})", params),
                                         ("(s.stage is null or s.stage != ?)", [stage])])
    issues, method = recurring_issues(db, codebook, their, intent.limit or TOP_ISSUES)
    lines = ["### Why customers leave", "",
             f"**{share(leavers, everyone)} participants** talk negatively about {stage_label} "
             f"(cancelling, pausing, switching): {leaving_count} statements.", ""]
    lines += quote_lines(representative(leaving_rows, 3))
    if issues:
        lines += ["#### What else these participants complain about", "",
                  f"Issues are {method}; counts are of these {leavers} participants.", "",
                  _issue_table(issues, leavers), ""]
        lines += _issue_sections(issues, leavers)
    return Answer("\n".join(lines).rstrip() + "\n", "churn", count=leaving_count, participants=leavers,
                  statement_ids=[q["id"] for i in issues for q in i.quotes], filter=leaving,
                  sides=[{"label": i.name, "count": i.statements, "participants": i.participants, "filter": i.flt}
                         for i in issues])
