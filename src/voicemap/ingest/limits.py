"""The limits every reader's output obeys, whatever the format.

A turn or answer longer than `max_field_chars` cannot be segmented and tagged whole
(spaCy refuses texts over its own max_length, and memory grows with length), so it is
left out and the Source says which one and why; nothing is cut silently.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from voicemap.domain import Source, Utterance
from voicemap.ingest.errors import InputFileError
from voicemap.settings import limits


def _over_limit(utterance: Utterance, limit: int) -> str:
    where = utterance.location or (f"line {utterance.line}" if utterance.line else "an entry")
    return (f"{where}: {len(utterance.text):,} characters, over the {limit:,}-character limit "
            "(VOICEMAP_MAX_FIELD_CHARS); skipped")


def within_field_limit(utterances: list[Utterance]) -> tuple[list[Utterance], list[str]]:
    """(utterances that fit, one reason per utterance left out)."""
    limit = limits().max_field_chars
    kept, skipped = [], []
    for utterance in utterances:
        if len(utterance.text) > limit:
            skipped.append(_over_limit(utterance, limit))
        else:
            kept.append(utterance)
    return kept, skipped


def stream_within_field_limit(source: Source, utterances: Iterable[Utterance]) -> Iterator[Utterance]:
    """The utterances that fit, as they come; at the end the reasons join `source.skipped`.

    A Source left with nothing (or with only interviewer turns) is refused when the
    stream ends: the importer is still inside the file's transaction, so nothing is kept.
    """
    limit = limits().max_field_chars
    skipped: list[str] = []
    kept = customer = False
    for utterance in utterances:
        if len(utterance.text) > limit:
            skipped.append(_over_limit(utterance, limit))
            continue
        kept, customer = True, customer or utterance.is_customer
        yield utterance
    source.skipped.extend(skipped)
    if skipped and not kept:
        raise InputFileError(source.path, f"nothing left to import: {skipped[0]}")
    if skipped and not customer:
        raise InputFileError(source.path, f"no customer statement left to import: {skipped[0]}")


def enforce_field_limit(source: Source) -> Source:
    """Drop over-long utterances from a Source, reporting them; refuse a Source left with none."""
    source.utterances = list(stream_within_field_limit(source, source.utterances))
    return source
