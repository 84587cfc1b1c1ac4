"""`voicemap retag` and `voicemap ask`: re-tag after a codebook edit; ask the assistant headless."""

from __future__ import annotations

import sys
import time

import click

from voicemap.cli.app import Context, main, pass_context
from voicemap.cli.progress import ProgressLine


@main.command("retag")
@click.option("--all", "everything", is_flag=True,
              help="Re-tag every statement, not only those the codebook change can affect.")
@pass_context
def retag_command(context: Context, everything: bool) -> None:
    """Re-run the automatic tagger after a codebook edit.

    Only the statements the edit can affect are re-tagged (those a changed cue could
    match, those carrying a changed code, sources imported since the last re-tag); a
    change that can affect any statement, such as another model or the stage order,
    re-tags them all, and so does `--all`. Human codes are never changed; statements
    a researcher coded keep those codes. Ctrl+C stops between batches, leaving every
    statement with a complete set of tags.
    """
    from voicemap.nlp.tagger import Tagger
    from voicemap.retag import plan_retag, retag_statements

    tagger = Tagger(context.codebook())
    db = context.open_db()
    started = time.monotonic()
    plan = plan_retag(db, tagger, everything=everything)
    click.echo(plan.reason)
    try:
        report = retag_statements(db, tagger, progress=ProgressLine() if plan.statement_ids else None, plan=plan)
    except KeyboardInterrupt:
        click.echo("\nStopped; statements tagged so far keep their new tags.", err=True)
        sys.exit(130)
    if report.planned:
        click.echo(f"Re-tagged {report.done:,} of {report.total:,} statements in {time.monotonic() - started:.1f}s; "
                   f"human codes of {report.human_coded:,} statements kept.")


@main.command("ask")
@click.argument("question", nargs=-1, required=True)
@pass_context
def ask_command(context: Context, question: tuple[str, ...]) -> None:
    """Ask the research assistant a question and print its Markdown answer.

    The same answers as the chat in the app, e.g. `voicemap ask top issues` or
    `voicemap ask "how many negative statements about pricing?"`.
    """
    from voicemap.assistant import Assistant

    answer = Assistant(context.open_db(), context.codebook()).ask(" ".join(question))
    if answer.action is not None:
        where = ("in the app (run `voicemap`)" if answer.action.name in ("agreement", "browse")
                 else f"as `voicemap {answer.action.name}` or in the app")
        raise click.ClickException(f"`{answer.action.name}` is a command, not a question: use it {where}")
    click.echo(answer.markdown)
