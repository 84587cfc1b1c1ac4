"""Open the TUI; kept apart so the CLI never imports Textual unless the app is wanted."""

from __future__ import annotations

import click


def launch_tui(context) -> None:
    try:
        from voicemap.tui.app import run_app
    except ImportError:
        raise click.ClickException("the terminal app is not available in this build; see `voicemap --help`") from None
    run_app(db_path=context.db_path, codebook_path=context.codebook_path)
