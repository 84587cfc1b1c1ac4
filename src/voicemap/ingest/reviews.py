"""Product and app reviews from CSV, JSON or JSON Lines.

Field names differ between stores and scrapers, so common names are detected and
every one can be overridden. Title and body are both kept: the title often carries
the verdict ("Stopped working after update"). Reviews are read a row at a time
(`stream_reviews`): the import tags and stores them as they come.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from voicemap.domain import Source, Utterance
from voicemap.ingest.errors import InputFileError
from voicemap.ingest.tabular import (Table, TableStream, as_float, clean_cell, find_column, open_table,
                                     require_columns, shown_columns)

TEXT_FIELDS = ("body", "text", "review", "review_text", "reviewText", "content", "comment", "comments",
               "review_body", "message", "feedback")
TITLE_FIELDS = ("title", "summary", "headline", "review_title", "subject")
RATING_FIELDS = ("rating", "stars", "star_rating", "score", "overall", "review_rating")
DATE_FIELDS = ("date", "at", "created_at", "review_date", "timestamp", "time", "submitted_at", "updated",
               "review_submit_date_and_time", "review_last_update_date_and_time")
AUTHOR_FIELDS = ("author", "user", "username", "user_name", "userName", "reviewer", "reviewer_name", "name")
ID_FIELDS = ("review_id", "reviewId", "id", "uuid")
# App Store / Google Play exports and scrapers: the app version a review was written against.
VERSION_FIELDS = ("version", "app_version", "appVersion", "app_version_name", "reviewCreatedVersion",
                  "app_version_code")


def looks_like_reviews(columns: list[str]) -> bool:
    """A table with a review-text field and a rating field is a reviews file, not a survey."""
    return bool(find_column(columns, TEXT_FIELDS) and find_column(columns, RATING_FIELDS))


def read_reviews(
    path: str | Path,
    text_columns: list[str] | None = None,
    id_column: str | None = None,
    table: Table | TableStream | None = None,
) -> Source:
    """Read reviews; each body (and title, when present) becomes an utterance."""
    source, utterances = stream_reviews(path, text_columns, id_column, table)
    source.utterances = list(utterances)
    return source


def stream_reviews(
    path: str | Path,
    text_columns: list[str] | None = None,
    id_column: str | None = None,
    table: Table | TableStream | None = None,
) -> tuple[Source, Iterator[Utterance]]:
    """The reviews' Source (its `skipped` complete once they are read) and their texts, read lazily."""
    table = table if table is not None else open_table(path)
    path = str(path)
    if text_columns:
        require_columns(path, table.columns, list(text_columns), "--text-column")
        body_fields = list(text_columns)
        title_field = None
    else:
        body = find_column(table.columns, TEXT_FIELDS)
        if not body:
            raise InputFileError(path, f"no review text field found; name it with --text-column "
                                       f"(fields: {shown_columns(table.columns)})")
        body_fields = [body]
        title_field = find_column(table.columns, TITLE_FIELDS)
    if id_column:
        require_columns(path, table.columns, [id_column], "--id-column")
    source = Source(path=path, kind="reviews", title=Path(path).stem, encoding=table.encoding,
                    metadata={"format": table.format})
    return source, _reviews(source, table, body_fields, title_field, id_column)


def _reviews(source: Source, table: Table | TableStream, body_fields: list[str], title_field: str | None,
             id_column: str | None) -> Iterator[Utterance]:
    id_field = id_column or find_column(table.columns, ID_FIELDS)
    rating_field = find_column(table.columns, RATING_FIELDS)
    date_field = find_column(table.columns, DATE_FIELDS)
    author_field = find_column(table.columns, AUTHOR_FIELDS)
    version_field = find_column(table.columns, VERSION_FIELDS)
    used = set(body_fields) | {title_field}
    skipped: list[str] = []
    texts = 0
    for row, number in table.records():
        review_id = clean_cell(row.get(id_field)) if id_field else ""
        author = clean_cell(row.get(author_field)) if author_field else ""
        metadata = {c: clean_cell(row.get(c)) for c in table.columns if c not in used}
        if version_field:
            metadata["version"] = clean_cell(row.get(version_field))  # one key, whatever the store calls it
        common = dict(
            speaker=author or review_id or f"review {number}",
            location=f"row {number}",
            line=number,
            row_id=review_id or str(number),
            rating=as_float(row.get(rating_field)) if rating_field else None,
            date=(clean_cell(row.get(date_field)) or None) if date_field else None,
            metadata=metadata,
        )
        title = clean_cell(row.get(title_field)) if title_field else ""
        bodies = [(f, clean_cell(row.get(f))) for f in body_fields]
        if not title and not any(text for _, text in bodies):
            skipped.append(f"row {number}: empty review")
            continue
        if title:
            texts += 1
            yield Utterance(text=title, question=title_field, **common)
        for field_name, text in bodies:
            if text:
                texts += 1
                yield Utterance(text=text, question=field_name, **common)
    source.skipped[:0] = table.skipped + skipped
    if not texts:
        raise InputFileError(source.path, "no review has any text")
