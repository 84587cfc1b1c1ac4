"""`voicemap export ...`: data out for spreadsheets, scripts and other tools."""

from __future__ import annotations

import sys

import click

from voicemap.cli.app import Context, main, pass_context


@main.group("export")
def export_group() -> None:
    """Export statements and codes (CSV, JSON Lines)."""


def open_output(output: str | None):
    return open(output, "w", encoding="utf-8", newline="") if output and output != "-" else sys.stdout


@export_group.command("statements")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
@click.option("-o", "--output", default=None, help="File to write (default: standard output).")
@click.option("--redact/--no-redact", default=None,
              help="Replace names, e-mails, phone and card numbers in the text (default: the project setting).")
@click.option("--pseudonymise/--no-pseudonymise", default=None,
              help="Show participants as P01, P02... (default: the project setting).")
@pass_context
def export_statements_command(context: Context, fmt: str, output: str | None, redact: bool | None,
                              pseudonymise: bool | None) -> None:
    """One record per statement with its codes and where it came from."""
    from voicemap.export import export_statements
    from voicemap.privacy import resolve_privacy

    db = context.open_db()
    privacy = resolve_privacy(db, redact, pseudonymise)
    out = open_output(output)
    try:
        count = export_statements(db, fmt, out, privacy=privacy)
    finally:
        if out is not sys.stdout:
            out.close()
    if output and output != "-":
        click.echo(f"Wrote {count} statements to {output}", err=True)
