"""The pitfalls report: recurring issues ranked by a stated priority, each backed by quotes.

`render_pitfalls_report` is a pure function (database in, Markdown out) over the current
cluster run. Priority = share of participants affected × severity (Nielsen 1–4), or on
request the score impact. "Recurring" means at least two participants; severe one-offs
are listed apart so they are neither lost nor inflated. Every quote is verbatim (cuts
marked […]) and cites its source; every piece of customer text goes through
`voicemap.report.markdown`, so a review cannot break the document.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlite_utils import Database

from voicemap.cluster.issues import (RECURRING_MIN_PARTICIPANTS, Issue, load_issues, person, severe_one_offs,
                                     statement_rows)
from voicemap.cluster.persist import current_assignments, latest_run
from voicemap.cluster.severity import LEVELS, statement_severity
from voicemap.codebook import Codebook
from voicemap.report.aggregate import counted, without_stage
from voicemap.report.evidence import display_text
from voicemap.report.markdown import escape_inline, quote, share, table
from voicemap.report.pitfall_checks import check_pitfalls
from voicemap.store.query import StatementFilter, cite

PITFALLS_FILE = "pitfalls.md"  # where the journey map links to (what `voicemap report -o` writes by convention)
MAX_QUOTES = 4
MAX_ONE_OFFS = 10
OPPORTUNITIES = {
    "usability": "Simplify {where}: remove the steps customers stumble over ({terms}).",
    "reliability": "Fix and monitor {where}: customers hit errors ({terms}); tell them when it is fixed.",
    "price": "Make charges predictable at {where}: announce changes and show totals before charging ({terms}).",
    "delivery": "Keep the delivery promise: reliable windows and a proactive message when it slips ({terms}).",
    "support": "Shorten the path to a helpful answer at {where}: queues, replies and ownership ({terms}).",
    "communication": "Tell customers before they have to ask at {where} ({terms}).",
    "trust": "Rebuild trust at {where}: be explicit about data, security and what customers pay for ({terms}).",
    "quality": "Raise and check the quality of {where} ({terms}).",
    "access": "Make {where} available when and where customers need it ({terms}).",
}
VERDICTS = {"risk": "Risk here", "watch": "Watch", "ok": "Not seen"}


def issue_anchor(cluster_id: int) -> str:
    return f"issue-{cluster_id}"


def _top(counter, codebook: Codebook, dimension: str, n: int = 3) -> str:
    return ", ".join(f"{escape_inline(codebook.label(dimension, k), line_start=False)} ({v})"
                     for k, v in counter.most_common(n)) or "none coded"


def opportunity(issue: Issue, codebook: Codebook) -> str:
    """The opportunity an issue suggests, from its pain category, where it happens and its words."""
    category = issue.counter("pain_category").most_common(1)
    touchpoint = issue.counter("touchpoints").most_common(1)
    stage = issue.counter("stage").most_common(1)
    where = (codebook.label("touchpoint", touchpoint[0][0]) if touchpoint
             else codebook.label("stage", stage[0][0]) if stage else "this step")
    terms = ", ".join(issue.terms[:3]) or issue.label
    template = OPPORTUNITIES.get(category[0][0] if category else "", "Remove the cause of “{label}” at {where} ({terms}).")
    return template.format(where=where.lower(), terms=terms, label=issue.label)


def _impact_lines(issue: Issue) -> list[str]:
    lines = []
    for impact in issue.impacts:
        lines.append(f"- **Score impact ({escape_inline(impact.score, line_start=False)}):** average "
                     f"{impact.mean_all:.2f} from {impact.respondents} respondents; without the {impact.raisers} who "
                     f"raised this it would be {impact.mean_without:.2f} ({impact.delta:+.2f}).")
    return lines


def _issue_section(rank: int, issue: Issue, codebook: Codebook, quoted: dict[int, dict[str, Any]], redact: bool,
                   pseudonymise: bool) -> list[str]:
    people = len(issue.participants)
    lines = [f'<a id="{issue_anchor(issue.cluster_id)}"></a>', "",
             f"### {rank}. {escape_inline(issue.label, line_start=False)}", "",
             f"- **Who:** {share(people, issue.study_participants)} participants, {len(issue.rows)} statements",
             f"- **Severity:** {issue.severity} ({LEVELS[issue.severity]}); **priority** "
             f"{issue.priority:.3f} (= {people}/{issue.study_participants} × {issue.severity})",
             f"- **Stages:** {_top(issue.counter('stage'), codebook, 'stage')}",
             f"- **Touchpoints:** {_top(issue.counter('touchpoints'), codebook, 'touchpoint')}",
             f"- **Average sentiment:** {issue.mean_sentiment:+.2f}",
             f"- **Distinctive words:** {escape_inline(', '.join(issue.terms[:6]) or 'none', line_start=False)}",
             f"- **Cluster:** {issue.cluster_id}" + (f" (named by a researcher; automatic name: "
                                                     f"{escape_inline(issue.auto_label, line_start=False)})"
                                                     if issue.human_label else "")]
    lines += _impact_lines(issue) + [""]
    for row in issue.representatives(MAX_QUOTES):
        row = quoted[row["id"]]
        lines += [quote(display_text(row["text"], redact), cite(row, pseudonymise)), ""]
    lines += [f"**Opportunity:** {escape_inline(opportunity(issue, codebook))}", ""]
    return lines


def _ranking_table(issues: list[Issue], codebook: Codebook) -> str:
    rows = []
    for rank, issue in enumerate(issues, 1):
        stage = issue.counter("stage").most_common(1)
        impact = max(issue.impacts, key=lambda i: i.relative, default=None)
        rows.append([rank, issue.label, share(len(issue.participants), issue.study_participants), len(issue.rows),
                     f"{issue.severity} ({LEVELS[issue.severity]})", f"{issue.priority:.3f}",
                     codebook.label("stage", stage[0][0]) if stage else "—",
                     f"{impact.score} {impact.delta:+.2f}" if impact else "—"])
    return table(["#", "Issue", "Participants", "Statements", "Severity", "Priority", "Main stage", "Score impact"], rows)


def _one_offs(rows: list[dict[str, Any]], redact: bool, pseudonymise: bool) -> list[str]:
    lines = ["## Severe one-offs", "",
             "Raised by a single participant, so not a recurring issue, but severe (major or blocker):", ""]
    if not rows:
        return lines + ["None found.", ""]
    for row in rows[:MAX_ONE_OFFS]:
        level = statement_severity(row)
        lines += [f"**Severity {level} ({LEVELS[level]})**", "",
                  quote(display_text(row["text"], redact), cite(row, pseudonymise)), ""]
    if len(rows) > MAX_ONE_OFFS:
        lines += [f"*… and {len(rows) - MAX_ONE_OFFS} more.*", ""]
    return lines


def _pitfalls_section(db: Database, codebook: Codebook, issues: list[Issue]) -> list[str]:
    findings = check_pitfalls(db, codebook, issues)
    lines = ["## Journey-management pitfalls in this data", "",
             table(["Pitfall", "What the data shows", "Verdict"],
                   [[f.pitfall, f.finding, VERDICTS[f.verdict]] for f in findings]), ""]
    for finding in findings:
        for detail in finding.details:
            lines.append(f"- **{escape_inline(finding.pitfall, line_start=False)}:** {escape_inline(detail, line_start=False)}")
    return lines + [""]


def _methods(run, rank: str) -> list[str]:
    ranking = ("score impact: how much the average score would rise without the participants who raised the issue, "
               "as a share of the score's range (an association, not proof of cause)" if rank == "impact" else
               "priority = share of participants affected × severity")
    return ["## Methods and limits", "",
            f"- Issues are clusters of {'pain-point ' if run.scope.get('pain') else ''}statements from run {run.id} "
            f"({escape_inline(run.created_at, line_start=False)}; {escape_inline(run.algorithm, line_start=False)}), "
            "found by TF-IDF over content lemmas plus the coded pain category and touchpoints, reduced with "
            "TruncatedSVD; names are each cluster's most distinctive words (class-based TF-IDF) unless a researcher "
            "renamed it.",
            f"- Ranked by {ranking}.",
            "- Severity after Nielsen: 4 blocker (could not complete, lost money, cancelled), 3 major (repeated "
            "attempts, contacting support, days of delay), 2 minor, 1 cosmetic; from cue words, lifted one level by "
            "strongly negative sentiment or frustration. An issue's severity is the median over its participants "
            "of each one's most severe statement.",
            "- Recurring means at least two participants; counts are distinct participants (k of N). Quotes are "
            "the statements closest to the cluster's centre, at most one per participant.",
            "- Limits: pain points are detected automatically and some are missed; reviews and open answers are "
            "self-selected.", ""]


def render_pitfalls_report(db: Database, codebook: Codebook, rank: str = "priority", run_id: int | None = None,
                           title: str = "Recurring issues and journey pitfalls", today: str | None = None,
                           redact: bool = False, pseudonymise: bool = False) -> str:
    """The whole report as Markdown, over the current (or a given) cluster run."""
    # Issues carry only the columns their figures read; the quoted statements are loaded whole below.
    run, issues = load_issues(db, run_id, rank, full_rows=False)
    lines = [f"# {escape_inline(title)}", "", f"*Generated by voicemap on {today or date.today().isoformat()}.*", ""]
    if db.execute("select count(*) from statements").fetchone()[0] == 0:
        return "\n".join(lines + ["No statements imported yet: run `voicemap import PATH` first.", ""])
    if run is None:
        return "\n".join(lines + ["No clusters yet: run `voicemap cluster` first.", ""])
    recurring = [i for i in issues if i.recurring]
    total = issues[0].study_participants if issues else 0
    covered = len({p for i in recurring for p in i.participants})
    ranked_by = "score impact" if rank == "impact" else "priority (share of participants × severity)"
    lines += ["## Summary", "",
              f"- **Recurring issues:** {len(recurring)}, raised by {share(covered, total)} participants; "
              f"ranked by {ranked_by}.",
              f"- **Clustered:** {run.clustered} of {run.statements} statements in scope (run {run.id}).", ""]
    if not recurring:
        lines += ["No issue was raised by two or more participants.", ""]
    else:
        lines += ["## Recurring issues, ranked", "", _ranking_table(recurring, codebook), ""]
        quoted = statement_rows(db, [r["id"] for issue in recurring for r in issue.representatives(MAX_QUOTES)])
        for position, issue in enumerate(recurring, 1):
            lines += _issue_section(position, issue, codebook, quoted, redact, pseudonymise)
    lines += _one_offs(severe_one_offs(db, run, issues), redact, pseudonymise)
    lines += _pitfalls_section(db, codebook, issues)
    lines += _methods(run, rank)
    return "\n".join(lines)


def stage_issue_index(db: Database, flt: StatementFilter | None = None) -> dict[str, dict[int, tuple[str, set]]]:
    """stage -> {cluster id: (issue name, who raised it there)} for the recurring issues of the current run
    (empty when nothing is clustered), over the statements `flt` keeps (its stage aside, as the map's).

    The same members and "recurring" rule as `load_issues`, without loading the issues' statements.
    """
    run = latest_run(db)
    assignments = current_assignments(db, run.id) if run is not None else {}
    if not assignments:
        return {}
    in_run = ["s.id in (select statement_id from cluster_members where run_id = ?)"]
    members = counted(db, "s.id, s.participant_id, s.stage", None, in_run, [run.id])
    people: dict[int, set] = {}  # cluster -> its participants over the whole run (is it recurring?)
    for statement_id, who, _ in members:
        if statement_id in assignments:
            cluster_id = assignments[statement_id][0]
            people.setdefault(cluster_id, set()).add(person({"id": statement_id, "participant_id": who}))
    recurring = {cluster_id for cluster_id, who in people.items() if len(who) >= RECURRING_MIN_PARTICIPANTS}
    scope = without_stage(flt)
    if scope.where()[0]:
        members = counted(db, "s.id, s.participant_id, s.stage", scope, in_run, [run.id])
    index: dict[str, dict[int, tuple[str, set]]] = {}
    for statement_id, who, stage in members:
        cluster_id, label = assignments.get(statement_id, (None, ""))
        if cluster_id in recurring and stage:
            here = index.setdefault(stage, {}).setdefault(cluster_id, (label, set()))
            here[1].add(who or ("s", statement_id))
    return index


def stage_issue_line(here: dict[int, tuple[str, set]], limit: int = 3, href: str = PITFALLS_FILE) -> list[str]:
    """The journey map's "recurring issues here" line for one stage (an entry of `stage_issue_index`)."""
    if not here:
        return []
    ranked = sorted(here.items(), key=lambda item: (-len(item[1][1]), item[0]))[:limit]
    links = ", ".join(f"[{escape_inline(label, line_start=False)}]({href}#{issue_anchor(cluster_id)}) "
                      f"({len(people)} participant{'' if len(people) == 1 else 's'} here)"
                      for cluster_id, (label, people) in ranked)
    return [f"**Recurring issues here:** {links}", ""]
