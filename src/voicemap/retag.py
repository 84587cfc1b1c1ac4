"""Re-run the tagger over stored statements (after the codebook changed), keeping human codes.

Statements are read in id order, a batch at a time, tagged with `nlp.pipe` and written
with `replace_auto_tags` (which never touches origin "human" rows) in one transaction
per batch: memory stays flat on 100k statements, progress is reported per batch, and a
cancel between batches leaves every statement with a complete set of tags.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlite_utils import Database

from voicemap.store.write import replace_auto_tags

BATCH = 512
Progress = Callable[[str, int, int], None]  # (what, statements done, statements in all)


@dataclass
class RetagReport:
    total: int
    done: int
    human_coded: int  # statements whose human codes were kept as they were
    cancelled: bool = False


def retag_statements(db: Database, tagger, progress: Progress | None = None,
                     cancelled: Callable[[], bool] = lambda: False, batch_size: int = BATCH) -> RetagReport:
    """Replace every statement's automatic tags with fresh ones from `tagger`."""
    total = db.execute("select count(*) from statements").fetchone()[0]
    human = db.execute("select count(distinct statement_id) from tags where origin = 'human' "
                       "and superseded_by is null").fetchone()[0]
    report = RetagReport(total=total, done=0, human_coded=human)
    last_id = 0
    if progress:
        progress("re-tag", 0, total)
    while True:
        if cancelled():
            report.cancelled = True
            break
        rows = db.execute("select id, text from statements where id > ? order by id limit ?",
                          [last_id, batch_size]).fetchall()
        if not rows:
            break
        tags = list(tagger.tag_texts([text for _, text in rows], batch_size=min(batch_size, 256)))
        with db.atomic():
            replace_auto_tags(db, [(statement_id, tag) for (statement_id, _), tag in zip(rows, tags)])
        last_id = rows[-1][0]
        report.done += len(rows)
        if progress:
            progress("re-tag", report.done, total)
    return report
