"""`voicemap learn`: retrain the project model from the researcher's human codes."""

from __future__ import annotations

import click

from voicemap.cli.app import Context, main, pass_context


@main.command("learn")
@click.option("--min-confidence", type=float, default=None,
              help="Only re-code a statement when the model is at least this sure (default 0.55).")
@pass_context
def learn_command(context: Context, min_confidence: float | None) -> None:
    """Learn from your human codes and re-code the statements nobody has coded.

    For stage, sentiment, pain and pain category, a small model learns from every
    statement you coded (at least 10, in two or more values) and replaces the rules'
    tag where it is confident, with origin "model". Your codes are never changed. The
    model is saved as plain JSON beside the database; `voicemap retag --all` puts the
    rules' tags back, so run `learn` again after re-tagging.
    """
    from voicemap.learning import MIN_CONFIDENCE, learn, model_path

    db = context.open_db()
    report = learn(db, context.db_path, min_confidence or MIN_CONFIDENCE)
    for dimension, count in report.trained.items():
        click.echo(f"{dimension}: learned from {count} human codes; re-coded {report.changed.get(dimension, 0)} "
                   "statements")
    for dimension, why in report.skipped.items():
        click.echo(f"{dimension}: not learned ({why})")
    if report.trained:
        click.echo(f"Model saved to {model_path(context.db_path)}")
