"""`voicemap retag` and `voicemap ask`: re-tag after a codebook edit; ask the assistant headless."""

from __future__ import annotations

import sys
import time

import click

from voicemap.cli.app import Context, main, pass_context
from voicemap.cli.progress import ProgressLine


@main.command("retag")
@pass_context
def retag_command(context: Context) -> None:
    """Re-run the automatic tagger over every stored statement.

    Use it after editing the codebook. Human codes are never changed; statements
    a researcher coded keep those codes. Ctrl+C stops between batches, leaving every
    statement with a complete set of tags.
    """
    from voicemap.nlp.tagger import Tagger
    from voicemap.retag import retag_statements

    tagger = Tagger(context.codebook())
    db = context.open_db()
    started = time.monotonic()
    try:
        report = retag_statements(db, tagger, progress=ProgressLine())
    except KeyboardInterrupt:
        click.echo("\nStopped; statements tagged so far keep their new tags.", err=True)
        sys.exit(130)
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
