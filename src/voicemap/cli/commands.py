"""`import`, `map` and `demo`: getting feedback in and the journey map out."""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import click

from voicemap.cli.app import Context, main, pass_context, write_output
from voicemap.cli.progress import ProgressLine

KIND_CHOICES = click.Choice(["transcript", "survey", "reviews"])
SHOWN_SKIPS = 5


def _report_file(result) -> None:
    if result.status == "failed":
        click.secho(f"error: {result.error}", fg="red", err=True)
        return
    if result.status == "unchanged":
        click.echo(f"unchanged {result.path}: {result.warnings[0]}")
        return
    if result.status == "cancelled":
        click.echo(result.error, err=True)
        return
    verb = "replaced" if result.status == "replaced" else "imported"
    encoding = "" if result.encoding in ("utf-8", "utf-8-sig") else f", decoded as {result.encoding}"
    click.echo(f"{verb} {result.path} ({result.kind}{encoding}): {result.statements} statements "
               f"from {result.utterances} {'turns' if result.kind == 'transcript' else 'entries'}")
    if result.detected:
        click.echo(f"  detected: {result.detected}")
    for line in result.warnings:
        click.echo(f"  warning: {line}", err=True)
    if result.skipped:
        click.echo(f"  skipped {len(result.skipped)}:", err=True)
        for reason in result.skipped[:SHOWN_SKIPS]:
            click.echo(f"    {reason}", err=True)
        if len(result.skipped) > SHOWN_SKIPS:
            click.echo(f"    … and {len(result.skipped) - SHOWN_SKIPS} more", err=True)


def run_import(context: Context, paths, kind=None, text_columns=(), id_column=None, interviewers=()) -> int:
    """Import and print a summary; returns the number of failed files."""
    from voicemap.codebook import load_codebook
    from voicemap.importer import import_paths
    from voicemap.ingest import ReadOptions
    from voicemap.nlp.tagger import Tagger

    codebook = context.codebook()
    options = ReadOptions(kind=kind, text_columns=list(text_columns), id_column=id_column)
    if codebook.interviewer_names:
        options.interviewer_names = tuple(codebook.interviewer_names)
    options.interviewer_names = (*options.interviewer_names, *interviewers)
    db = context.open_db()
    started = time.monotonic()
    tagger = Tagger(codebook)
    progress = ProgressLine()
    report = import_paths(db, list(paths), options, tagger=tagger, progress=progress, on_file=_report_file)
    elapsed = time.monotonic() - started
    imported = [f for f in report.files if f.status in ("imported", "replaced")]
    click.echo(f"Done: {len(imported)} of {len(report.files)} files imported, {report.statements:,} statements "
               f"in {elapsed:.1f}s into {context.db_path}" + (f"; {len(report.failed)} failed" if report.failed else ""))
    return len(report.failed)


@main.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--kind", type=KIND_CHOICES, default=None, help="Reader to use (default: detect from each file).")
@click.option("--text-column", "text_columns", multiple=True,
              help="Open-ended column to import (repeatable; default: detect long free-text columns).")
@click.option("--id-column", default=None, help="Column holding the respondent or review id.")
@click.option("--interviewer", "interviewers", multiple=True,
              help="A speaker whose turns are questions, not customer statements (repeatable; adds to the "
                   "codebook's interviewer_names).")
@pass_context
def import_command(context: Context, paths, kind, text_columns, id_column, interviewers) -> None:
    """Import transcripts, survey exports and reviews (files or folders).

    Each file is one transaction: a file that fails leaves the database as it
    was, and re-importing an unchanged file does nothing.
    """
    failed = run_import(context, paths, kind, text_columns, id_column, interviewers)
    if failed:
        sys.exit(1)


def render_map(context: Context, db=None, redact: bool | None = None, pseudonymise: bool | None = None) -> str:
    from voicemap.nlp.model import resolve_model_name
    from voicemap.privacy import resolve_privacy
    from voicemap.report.journey_map import render_journey_map

    db = db or context.open_db()
    privacy = resolve_privacy(db, redact, pseudonymise)
    return render_journey_map(db, context.codebook(), model_name=resolve_model_name(), redact=privacy.redact,
                              pseudonymise=privacy.pseudonymise)


REDACT_HELP = ("Replace names, e-mails, phone and card numbers in quotes with [name], [email]... "
               "(default: VOICEMAP_REDACT, else the project setting from `voicemap privacy`).")
PSEUDONYMISE_HELP = ("Cite participants as P01, P02... and sources by number "
                     "(default: VOICEMAP_PSEUDONYMISE, else the project setting).")


@main.command("map")
@click.option("-o", "--output", default=None, help="Write the Markdown here (default: print it).")
@click.option("--redact/--no-redact", default=None, help=REDACT_HELP)
@click.option("--pseudonymise/--no-pseudonymise", default=None, help=PSEUDONYMISE_HELP)
@pass_context
def map_command(context: Context, output: str | None, redact: bool | None, pseudonymise: bool | None) -> None:
    """Write the evidence-backed journey map (Markdown)."""
    write_output(render_map(context, redact=redact, pseudonymise=pseudonymise), output)


@main.command("demo")
@click.option("-o", "--output", default="journey_map.md", show_default=True, help="Where to write the map.")
@click.option("--keep-db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Keep the demo database at this path (default: a temporary one).")
@click.option("--report", "report_output", default="pitfalls.md", show_default=True,
              help="Where to write the pitfalls report (recurring issues); '' to skip it.")
@pass_context
def demo_command(context: Context, output: str, keep_db: Path | None, report_output: str) -> None:
    """Import the bundled sample_feedback/ into a fresh database and write its journey map.

    It also clusters the recurring pain points and writes the pitfalls report, which
    the map's "recurring issues" lines link to.
    """
    from voicemap.settings import sample_feedback_dir

    samples = sample_feedback_dir()
    if not samples.is_dir():
        raise click.ClickException(f"{samples}: sample_feedback folder not found")
    workdir = Path(tempfile.mkdtemp(prefix="voicemap-demo-"))
    db_path = keep_db or workdir / "demo.db"
    if db_path.exists():
        raise click.ClickException(f"{db_path}: already exists; the demo needs a fresh database")
    demo_context = Context(db_path, context.codebook_path)
    try:
        if run_import(demo_context, [samples]):
            raise click.ClickException("the sample data did not import cleanly")
        db = demo_context.open_db()
        if report_output:
            from voicemap.cluster.run import cluster_pain_points
            from voicemap.report.pitfalls import render_pitfalls_report

            cluster_pain_points(db)
            write_output(render_pitfalls_report(db, demo_context.codebook()), report_output)
        write_output(render_map(demo_context, db), output)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
