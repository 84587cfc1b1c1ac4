"""The root `voicemap` group: global options and shared helpers for commands."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from voicemap import __version__
from voicemap.settings import default_db_path


@dataclass
class Context:
    db_path: Path
    codebook_path: str | None

    def open_db(self):
        from voicemap.store import open_db

        return open_db(self.db_path)

    def codebook(self):
        from voicemap.codebook import CodebookError, load_codebook

        try:
            return load_codebook(self.codebook_path)
        except CodebookError as exc:
            raise click.ClickException(str(exc)) from None


def _version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from voicemap.nlp.model import resolve_model_name

    click.echo(f"voicemap {__version__} (spaCy pipeline: {resolve_model_name()})")
    ctx.exit()


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Project database (default: $VOICEMAP_DB or ./voicemap.db).")
@click.option("--codebook", "codebook_path", type=click.Path(dir_okay=False), envvar="VOICEMAP_CODEBOOK",
              default=None, help="Codebook TOML file (default: $VOICEMAP_CODEBOOK or the shipped one).")
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_version,
              help="Show the version and the spaCy pipeline in use.")
@click.pass_context
def main(ctx: click.Context, db_path: Path | None, codebook_path: str | None) -> None:
    """voicemap: a research assistant for customer-journey research.

    Import interviews, surveys and reviews, tag every statement, and write an
    evidence-backed journey map. Run without a command to open the chat app.
    """
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    ctx.obj = Context(db_path or default_db_path(), codebook_path)
    if ctx.invoked_subcommand is None:
        from voicemap.cli.tui_launcher import launch_tui

        launch_tui(ctx.obj)


pass_context = click.make_pass_decorator(Context)


def write_output(text: str, output: str | None) -> None:
    """Write to a file (reporting where) or to stdout."""
    if output and output != "-":
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"Wrote {output}", err=True)
    else:
        click.echo(text)
