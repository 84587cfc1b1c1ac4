"""The limits every reader's output obeys, whatever the format.

A turn or answer longer than `max_field_chars` cannot be segmented and tagged whole
(spaCy refuses texts over its own max_length, and memory grows with length), so it is
left out and the Source says which one and why; nothing is cut silently.
"""

from __future__ import annotations

from voicemap.domain import Source, Utterance
from voicemap.ingest.errors import InputFileError
from voicemap.settings import limits


def within_field_limit(utterances: list[Utterance]) -> tuple[list[Utterance], list[str]]:
    """(utterances that fit, one reason per utterance left out)."""
    limit = limits().max_field_chars
    kept, skipped = [], []
    for utterance in utterances:
        if len(utterance.text) > limit:
            where = utterance.location or (f"line {utterance.line}" if utterance.line else "an entry")
            skipped.append(f"{where}: {len(utterance.text):,} characters, over the {limit:,}-character limit "
                           "(VOICEMAP_MAX_FIELD_CHARS); skipped")
        else:
            kept.append(utterance)
    return kept, skipped


def enforce_field_limit(source: Source) -> Source:
    """Drop over-long utterances from a Source, reporting them; refuse a Source left with none."""
    source.utterances, skipped = within_field_limit(source.utterances)
    source.skipped.extend(skipped)
    if skipped and not source.utterances:
        raise InputFileError(source.path, f"nothing left to import: {skipped[0]}")
    if skipped and not any(u.is_customer for u in source.utterances):
        raise InputFileError(source.path, f"no customer statement left to import: {skipped[0]}")
    return source
