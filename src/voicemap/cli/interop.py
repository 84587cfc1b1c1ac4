"""`voicemap export qdpx|codebook|matrix` and `voicemap codebook import`: to and from QDA tools and spreadsheets."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from voicemap.cli.app import Context, main, pass_context
from voicemap.cli.export import export_group, open_output


def _write_bytes(data: bytes, output: str) -> None:
    try:
        Path(output).write_bytes(data)
    except OSError as exc:
        raise click.ClickException(f"{output}: cannot write ({exc.strerror or exc})") from None


@export_group.command("qdpx")
@click.option("-o", "--output", required=True, help="The .qdpx file to write.")
@click.option("--pseudonymise/--no-pseudonymise", default=None,
              help="Name participants P01, P02... and sources by number (default: the project setting).")
@pass_context
def export_qdpx_command(context: Context, output: str, pseudonymise: bool | None) -> None:
    """The coded project for NVivo, ATLAS.ti, MAXQDA and QualCoder (REFI-QDA).

    Every source as a text document, every coded statement as a selection at its
    exact position, with its stage, touchpoint, emotion, pain and sentiment codes,
    automatic and human, each attributed to its coder.
    """
    from voicemap.interop.qdpx import build_qdpx
    from voicemap.privacy import resolve_privacy

    db = context.open_db()
    privacy = resolve_privacy(db, pseudonymise=pseudonymise)
    data, summary = build_qdpx(db, context.codebook(), pseudonymise=privacy.pseudonymise,
                               project_name=Path(output).stem)
    _write_bytes(data, output)
    click.echo(f"Wrote {output}: {summary.sources} sources, {summary.selections} coded statements, "
               f"{summary.codings} codings by {summary.users} coder(s), {summary.codes} codes", err=True)
    if summary.unplaced:
        click.echo(f"  warning: {summary.unplaced} statements could not be placed in their source text", err=True)


@export_group.command("codebook")
@click.option("--format", "fmt", type=click.Choice(["qdc", "toml"]), default="qdc", show_default=True,
              help="qdc: REFI-QDA codebook for QDA tools; toml: voicemap's own format.")
@click.option("-o", "--output", default=None, help="File to write (default: standard output).")
@pass_context
def export_codebook_command(context: Context, fmt: str, output: str | None) -> None:
    """The codebook (stages, touchpoints, emotions, pain categories) for a QDA tool."""
    codebook = context.codebook()
    if fmt == "qdc":
        from voicemap.interop.qdc import codebook_to_qdc

        data = codebook_to_qdc(codebook)
    else:
        from voicemap.interop.codebook_toml import codebook_to_toml

        data = codebook_to_toml(codebook).encode("utf-8")
    if output and output != "-":
        _write_bytes(data, output)
        click.echo(f"Wrote {output} ({codebook.name})", err=True)
    else:
        click.echo(data.decode("utf-8"), nl=False)


@export_group.command("matrix")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
@click.option("-o", "--output", default=None, help="File to write (default: standard output).")
@click.option("--bom", is_flag=True, help="Start the CSV with a UTF-8 byte-order mark so Excel reads accents.")
@click.option("--redact/--no-redact", default=None,
              help="Replace names, e-mails, phone and card numbers in the text (default: the project setting).")
@click.option("--pseudonymise/--no-pseudonymise", default=None,
              help="Show participants as P01, P02... and sources by number (default: the project setting).")
@pass_context
def export_matrix_command(context: Context, fmt: str, output: str | None, bom: bool, redact: bool | None,
                          pseudonymise: bool | None) -> None:
    """One row per statement with source, participant and metadata, one 0/1 column per code."""
    from voicemap.export import write_records
    from voicemap.interop.matrix import matrix_records
    from voicemap.privacy import resolve_privacy

    db = context.open_db()
    fields, records = matrix_records(db, context.codebook(), privacy=resolve_privacy(db, redact, pseudonymise))
    out = open_output(output)
    try:
        if bom and fmt == "csv":
            out.write("\ufeff")
        count = write_records(records, fmt, out, fields)
    finally:
        if out is not sys.stdout:
            out.close()
    if output and output != "-":
        click.echo(f"Wrote {count} statements x {len(fields) - 8} columns of codes and metadata to {output}", err=True)


@main.group("codebook")
def codebook_group() -> None:
    """Bring a codebook in from a QDA tool."""


@codebook_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The codebook TOML to write (default: the input's name with .toml, in this folder).")
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
@pass_context
def codebook_import_command(context: Context, path: Path, output: Path | None, force: bool) -> None:
    """Turn a REFI-QDA codebook (.qdc, or the codes of a .qdpx) into a voicemap codebook TOML.

    Top-level codes named like "Journey stages", "Touchpoints", "Emotions" and
    "Pain points" become those dimensions; anything the file lacks is kept from the
    current codebook. Add cue phrases to the new codes, then use it with --codebook.
    """
    from voicemap.codebook import CodebookError, load_codebook
    from voicemap.interop.codebook_toml import codebook_to_toml
    from voicemap.interop.qdc import CodebookImportError, codebook_from_qdc

    output = output or Path(path.stem + ".toml")
    if output.exists() and not force:
        raise click.ClickException(f"{output}: already exists (use --force to overwrite, or -o to choose another)")
    try:
        codebook, summary = codebook_from_qdc(path.read_bytes(), context.codebook(), f"Imported from {path.name}")
    except CodebookImportError as exc:
        raise click.ClickException(f"{path}: {exc}") from None
    header = (f"voicemap codebook imported from {path.name}.\nEdit cue phrases, then use it with "
              f"`voicemap --codebook {output} ...` or VOICEMAP_CODEBOOK={output}.")
    output.write_text(codebook_to_toml(codebook, header), encoding="utf-8")
    try:
        load_codebook(output)
    except CodebookError as exc:  # never leave a codebook behind that voicemap cannot load
        output.unlink(missing_ok=True)
        raise click.ClickException(f"{path}: the imported codebook does not load ({exc})") from None
    counts = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in summary.counts.items())
    click.echo(f"Wrote {output}: {counts}")
    if summary.kept_from_base:
        click.echo(f"  kept from the current codebook: {', '.join(summary.kept_from_base)}")
    if summary.unrecognised:
        click.echo(f"  not imported (group names no journey dimension): {'; '.join(summary.unrecognised)}")
    if summary.starter_cues:
        click.echo(f"  {len(summary.starter_cues)} new codes have only their own name as a cue phrase: "
                   f"add cue phrases in {output}")
    click.echo(f"Use it with: voicemap --codebook {output} import ...  (or export VOICEMAP_CODEBOOK={output}); "
               "re-tag statements already imported with `voicemap retag`.")
