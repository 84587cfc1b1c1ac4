"""A Doc's codebook cues as light records, the way the tag components read them.

The cue component stores each Doc's cues in `doc._.voicemap_cues` as one flat list
`[label, start, end, label, start, end, ...]`, labelled `dimension:code`, in order (by
start, longest first): plain data, so a tagged Doc still serialises, pickles and crosses
processes, and one object per Doc rather than one per cue. The components read them
through a `CueList` with per-prefix lists built once, and each `Cue` works out its text
and negation only when asked, since most are never read. Building a Span per cue and
re-reading `doc.spans` in every component was most of the tag components' time. The
CueList lives beside the Doc (weakly keyed, gone with it), and is rebuilt from the flat
list for a Doc that was copied or came from another process.
"""

from __future__ import annotations

import weakref

from spacy.tokens import Doc, Span

from voicemap.nlp import extensions as ext
from voicemap.nlp.negation import first_negator, is_negated, negated_at

CUES_EXTENSION = "voicemap_cues"


class _Negators:
    """Where a Doc's first possible negator is, found once for all its cues."""

    __slots__ = ("first",)

    def __init__(self) -> None:
        self.first: int | None = None


class Cue:
    """One matched cue: its label ("dimension:code") and tokens; text and negation read on demand."""

    __slots__ = ("label_", "start", "end", "_doc", "_negators", "_text", "_negated")

    def __init__(self, doc: weakref.ref, label: str, start: int, end: int, negators: _Negators):
        self._doc = doc  # weak: a strong reference from beside the Doc would keep it alive
        self._negators = negators
        self.label_, self.start, self.end = label, start, end
        self._text: str | None = None
        self._negated: bool | None = None

    def __len__(self) -> int:
        return self.end - self.start

    def __repr__(self) -> str:
        return f"Cue({self.label_!r}, {self.start}, {self.end})"

    @property
    def code(self) -> str:
        """The part after "dimension:" (empty for "contrast" and "hedge")."""
        return self.label_.partition(":")[2]

    @property
    def span(self) -> Span:
        return Span(self._doc(), self.start, self.end, label=self.label_)

    @property
    def text(self) -> str:
        if self._text is None:
            doc = self._doc()
            self._text = doc[self.start].text if self.end - self.start == 1 else doc[self.start:self.end].text
        return self._text

    @property
    def negated(self) -> bool:
        """`negation.is_negated`, skipped when no token before the cue could negate it."""
        if self._negated is None:
            doc, negators = self._doc(), self._negators
            if negators.first is None:
                negators.first = first_negator(doc)
            self._negated = negators.first < self.start and negated_at(doc, self.start, self.end)
        return self._negated


class CueList:
    """A Doc's cues in order, with the cues of each label prefix listed once."""

    __slots__ = ("all", "_by_prefix")

    def __init__(self, doc: Doc, flat: list):
        reference, negators = weakref.ref(doc), _Negators()
        self.all = [Cue(reference, flat[i], flat[i + 1], flat[i + 2], negators) for i in range(0, len(flat), 3)]
        self._by_prefix: dict[str, list[Cue]] = {}

    def prefixed(self, prefix: str) -> list[Cue]:
        """Cues whose label starts with `prefix` (e.g. "stage:" or "pain:"), in order. Do not modify it."""
        found = self._by_prefix.get(prefix)
        if found is None:
            found = [cue for cue in self.all if cue.label_.startswith(prefix)] or _NONE
            self._by_prefix[prefix] = found
        return found


_NONE: list[Cue] = []  # shared by every empty prefix list: a tagged Doc keeps few objects alive
_lists: weakref.WeakKeyDictionary[Doc, CueList] = weakref.WeakKeyDictionary()


def store_cues(doc: Doc, flat: list) -> None:
    """Record the Doc's cues (the cue component's output): `[label, start, end, ...]`."""
    ext.put(doc, CUES_EXTENSION, flat)
    _lists[doc] = CueList(doc, flat)


def release_cues(doc: Doc) -> None:
    """Drop the Doc's CueList once its last reader is done (the records stay in `doc._.voicemap_cues`).

    spaCy keeps a whole batch of Docs alive until the batch is consumed; without this their
    cue objects would wait with them and keep the garbage collector busy.
    """
    _lists.pop(doc, None)


def cue_list(doc: Doc, component: str = "") -> CueList:
    """The Doc's cues; components that read them say so when `voicemap/cues` did not run."""
    found = _lists.get(doc)
    if found is None:
        flat = ext.get(doc, CUES_EXTENSION)
        if flat is None:
            raise ValueError(f"{component or 'this component'} needs the 'voicemap/cues' component earlier "
                             "in the pipeline")
        found = _lists[doc] = CueList(doc, flat)
    return found


def cues(doc: Doc, prefix: str) -> list[Cue]:
    """Cues whose label starts with `prefix` (e.g. "stage:" or "pain:")."""
    return cue_list(doc).prefixed(prefix)


if not Span.has_extension("voicemap_negated"):
    Span.set_extension("voicemap_negated", getter=is_negated)
if not Doc.has_extension(CUES_EXTENSION):
    Doc.set_extension(CUES_EXTENSION, default=None)
if not Doc.has_extension("voicemap_cue_spans"):
    Doc.set_extension("voicemap_cue_spans", getter=lambda doc: [cue.span for cue in cue_list(doc).all])
