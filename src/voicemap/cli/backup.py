"""`voicemap backup` and `voicemap restore`: a study's database, safely copied and put back."""

from __future__ import annotations

from pathlib import Path

import click

from voicemap.cli.app import Context, main, pass_context


def _summary(path: Path) -> str:
    import sqlite3

    conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True)  # rw only so closing tidies the -wal file
    try:
        sources, statements, human = (conn.execute(sql).fetchone()[0] for sql in (
            "select count(*) from sources", "select count(*) from statements",
            "select count(distinct statement_id) from tags where origin = 'human'"))
    except sqlite3.DatabaseError:
        return "contents not readable"
    finally:
        conn.close()
    return f"{sources} sources, {statements:,} statements, {human:,} coded by hand"


@main.command("backup")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Backup file to write (default: <db>-backup-<date>-<time>.db beside the database).")
@pass_context
def backup_command(context: Context, output: Path | None) -> None:
    """Copy the project database to a backup file, safely, even while it is in use.

    Uses SQLite's online backup API, so an import or the TUI can keep working; the
    copy is checked before it gets its name. Restore it with `voicemap restore FILE`.
    """
    from voicemap.store.backup import BackupError, backup_database

    try:
        target = backup_database(context.db_path, output)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backed up {context.db_path} to {target} ({_summary(target)})")


@main.command("restore")
@click.argument("backup_file", type=click.Path(dir_okay=False, path_type=Path))
@pass_context
def restore_command(context: Context, backup_file: Path) -> None:
    """Replace the project database with BACKUP_FILE, keeping a copy of the current one.

    The backup is checked first (SQLite integrity, whole sources, search index); a
    damaged file or one from a newer voicemap is refused and nothing changes. An
    older backup is migrated forward after the restore.
    """
    from voicemap.store.backup import BackupError, restore_database

    try:
        result = restore_database(backup_file, context.db_path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    if result.previous_copy:
        click.echo(f"Kept the database as it was in {result.previous_copy}")
    click.echo(f"Restored {result.database} from {result.restored_from} ({_summary(result.database)})")
    if result.migrated:
        click.echo(f"Brought it up to date: {', '.join(result.migrated)}")
