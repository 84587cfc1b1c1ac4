"""`cluster`, `clusters rename|merge|split|list`, `report` and `export clusters`: recurring issues.

scikit-learn takes about a second to import, so every command imports the clustering
code inside its body: `voicemap --help` and the other commands stay fast.
"""

from __future__ import annotations

import sys

import click

from voicemap.cli.app import Context, main, pass_context, write_output
from voicemap.cli.export import export_group, open_output

RANK_CHOICES = click.Choice(["priority", "impact"])


def _print_issues(db, run_id: int, limit: int | None = None) -> None:
    from voicemap.cluster.issues import load_issues
    from voicemap.cluster.severity import LEVELS

    run, issues = load_issues(db, run_id)
    recurring = [i for i in issues if i.recurring]
    click.echo(f"Run {run.id}: {run.clusters} clusters from {run.clustered:,} of {run.statements:,} statements "
               f"({run.algorithm}); {len(recurring)} recurring (2+ participants).")
    for issue in (issues if limit is None else issues[:limit]):
        people = len(issue.participants)
        stage = issue.counter("stage").most_common(1)
        click.echo(f"  [{issue.cluster_id}] {issue.label}: {people} of {issue.study_participants} participants, "
                   f"{len(issue.rows)} statements, severity {issue.severity} ({LEVELS[issue.severity]}), "
                   f"priority {issue.priority:.3f}" + (f", mostly {stage[0][0]}" if stage else "")
                   + ("" if issue.recurring else " (one participant)"))
        best = issue.representatives(1)
        if best:
            click.echo(f"      “{' '.join(best[0]['text'].split())[:110]}”")


@main.command("cluster")
@click.option("--k", type=click.IntRange(min=1), default=None,
              help="Exactly this many clusters (default: let the data decide).")
@click.option("--stage", default=None, help="Only statements coded to this journey stage.")
@click.option("--min-size", type=click.IntRange(min=1), default=None,
              help="Smallest cluster kept; smaller groups stay unclustered (default: 3).")
@click.option("--all-statements", is_flag=True, help="Cluster every statement in scope, not only pain points.")
@pass_context
def cluster_command(context: Context, k: int | None, stage: str | None, min_size: int | None,
                    all_statements: bool) -> None:
    """Group pain-point statements into recurring issues and print them.

    The run is stored with its parameters; re-running keeps a cluster's id (and any
    name a researcher gave it) where its members mostly stay together.
    """
    from voicemap.cluster.run import cluster_pain_points, make_scope

    if stage and stage not in context.codebook().ids("stage"):
        raise click.ClickException(f"unknown stage '{stage}' (choose from {', '.join(context.codebook().ids('stage'))})")
    db = context.open_db()
    run_id = cluster_pain_points(db, make_scope(stage=stage, all_statements=all_statements), k=k, min_size=min_size,
                                 progress=lambda message: click.echo(message, err=True))
    _print_issues(db, run_id)


@main.group("clusters")
def clusters_group() -> None:
    """List, rename, merge and split clusters (stored as human decisions)."""


@clusters_group.command("list")
@pass_context
def clusters_list_command(context: Context) -> None:
    """The clusters of the current run, highest priority first."""
    from voicemap.cluster.persist import latest_run

    db = context.open_db()
    run = latest_run(db)
    if run is None:
        raise click.ClickException("no clusters yet: run `voicemap cluster` first")
    _print_issues(db, run.id)


def _edit(action):
    from voicemap.cluster.edits import ClusterEditError

    try:
        return action()
    except ClusterEditError as exc:
        raise click.ClickException(str(exc)) from None


@clusters_group.command("rename")
@click.argument("cluster_id", type=int)
@click.argument("label")
@pass_context
def clusters_rename_command(context: Context, cluster_id: int, label: str) -> None:
    """Give a cluster a researcher's name; it survives re-clustering."""
    from voicemap.cluster.edits import rename_cluster

    _edit(lambda: rename_cluster(context.open_db(), cluster_id, label))
    click.echo(f"Cluster {cluster_id} is now “{' '.join(label.split())}”.")


@clusters_group.command("merge")
@click.argument("into", type=int)
@click.argument("others", type=int, nargs=-1, required=True)
@pass_context
def clusters_merge_command(context: Context, into: int, others: tuple[int, ...]) -> None:
    """Merge clusters OTHERS into cluster INTO (INTO keeps its id and name)."""
    from voicemap.cluster.edits import merge_clusters

    run_id = _edit(lambda: merge_clusters(context.open_db(), into, list(others)))
    click.echo(f"Merged {', '.join(map(str, others))} into {into} (run {run_id}).")


@clusters_group.command("split")
@click.argument("cluster_id", type=int)
@click.option("--statements", "statement_ids", default=None,
              help="Comma-separated statement ids to move to the new cluster (default: split by words in two).")
@click.option("--label", default=None, help="Name for the new cluster.")
@pass_context
def clusters_split_command(context: Context, cluster_id: int, statement_ids: str | None, label: str | None) -> None:
    """Split a cluster in two: named statements, or the smaller half by their words."""
    from voicemap.cluster.edits import split_cluster

    ids = None
    if statement_ids:
        try:
            ids = [int(part) for part in statement_ids.replace(" ", "").split(",") if part]
        except ValueError:
            raise click.ClickException(f"--statements: expected ids like 12,15,30, got '{statement_ids}'") from None
    new_id, run_id = _edit(lambda: split_cluster(context.open_db(), cluster_id, ids, label))
    click.echo(f"Split cluster {cluster_id}: new cluster {new_id} (run {run_id}).")


def _stale(db) -> bool:
    """True when no run exists or pain statements changed since the current run."""
    from voicemap.cluster.persist import latest_run
    from voicemap.cluster.run import scope_filter
    from voicemap.store.query import count_statements

    run = latest_run(db)
    if run is None:
        return count_statements(db) > 0
    if run.scope.get("pain") is not True or len(run.scope) > 1:
        return False  # a researcher's own scope: report on it as it is
    return count_statements(db, scope_filter(run.scope)) != run.statements


@main.command("report")
@click.option("-o", "--output", default=None, help="Write the report here (default: print it).")
@click.option("--rank", type=RANK_CHOICES, default="priority", show_default=True,
              help="priority = share of participants × severity; impact = change in the average score.")
@click.option("--format", "fmt", type=click.Choice(["markdown", "html"]), default="markdown", show_default=True,
              help="Markdown, or a standalone HTML page.")
@click.option("--redact/--no-redact", default=None, help="Redact names, e-mails and numbers in quotes.")
@click.option("--pseudonymise/--no-pseudonymise", default=None, help="Cite participants as P01, P02...")
@pass_context
def report_command(context: Context, output: str | None, rank: str, fmt: str, redact: bool | None,
                   pseudonymise: bool | None) -> None:
    """The pitfalls report: recurring issues ranked, with quotes, and journey pitfalls.

    Clusters the pain points first when there is no run yet or the data changed.
    """
    from voicemap.cluster.run import cluster_pain_points
    from voicemap.privacy import resolve_privacy
    from voicemap.report.pitfalls import render_pitfalls_report

    db = context.open_db()
    if _stale(db):
        cluster_pain_points(db, progress=lambda message: click.echo(message, err=True))
    privacy = resolve_privacy(db, redact, pseudonymise)
    text = render_pitfalls_report(db, context.codebook(), rank=rank, redact=privacy.redact,
                                  pseudonymise=privacy.pseudonymise)
    if fmt == "html":
        from voicemap.report.html import markdown_page

        text = markdown_page(text, "Recurring issues and journey pitfalls")
    write_output(text, output)


@export_group.command("clusters")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
@click.option("-o", "--output", default=None, help="File to write (default: standard output).")
@pass_context
def export_clusters_command(context: Context, fmt: str, output: str | None) -> None:
    """One record per cluster of the current run: name, counts, severity, priority, stages."""
    from voicemap.cluster.export import export_clusters

    db = context.open_db()
    out = open_output(output)
    try:
        count = export_clusters(db, fmt, out)
    finally:
        if out is not sys.stdout:
            out.close()
    if output and output != "-":
        click.echo(f"Wrote {count} clusters to {output}", err=True)
