"""`voicemap privacy`: the project's defaults for redacting quotes and pseudonymising participants."""

from __future__ import annotations

import os

import click

from voicemap.cli.app import Context, main, pass_context


def _state(value: bool) -> str:
    return "on" if value else "off"


@main.command("privacy")
@click.option("--redact/--no-redact", default=None,
              help="Always replace names, e-mails, phone and card numbers in quoted text (maps, exports).")
@click.option("--pseudonymise/--no-pseudonymise", default=None,
              help="Always show participants as P01, P02... and sources by number.")
@pass_context
def privacy_command(context: Context, redact: bool | None, pseudonymise: bool | None) -> None:
    """Show or set this project's privacy defaults for everything voicemap publishes.

    The stored text is never changed; a command's own --redact/--no-redact (and
    the VOICEMAP_REDACT / VOICEMAP_PSEUDONYMISE environment variables) override
    these defaults.
    """
    from voicemap.privacy import ENV_VARS, resolve_privacy, set_project_privacy

    db = context.open_db()
    stored = set_project_privacy(db, redact, pseudonymise)
    verb = "Set" if redact is not None or pseudonymise is not None else "Project defaults"
    click.echo(f"{verb} for {context.db_path}: redact quotes {_state(stored.redact)}, "
               f"pseudonymise participants {_state(stored.pseudonymise)}")
    effective = resolve_privacy(db)
    overridden = [name for name, var in ENV_VARS.items() if os.environ.get(var)]
    if overridden:
        click.echo(f"  in this shell {', '.join(ENV_VARS[n] for n in overridden)} override them: redact "
                   f"{_state(effective.redact)}, pseudonymise {_state(effective.pseudonymise)}")
