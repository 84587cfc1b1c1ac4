"""A JSON document's records one at a time (ijson), so a large review export is never held whole.

`json.loads` builds every record before the first one is used: reading a 90 MB array
of 500,000 reviews took 338 MB more (benchmarks/reader_memory.py), where JSON Lines stays
flat. Two passes over the cleaned text instead: the first reads parser events only (no
values kept) to learn where the records are — the top-level list, or the one list of
objects in a wrapper such as `{"reviews": [...]}` — how many there are, their keys, and
how deep anything nests; the second hands the records out one at a time.

Whatever this path does not handle exactly like `json.loads` — invalid JSON, numbers
beyond 64 bits, NaN, a lone surrogate escape, a single object, duplicate wrapper keys,
nesting past the depth limit — returns None, and the caller parses the document whole
as before, so every error message and every edge case stays what it was.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

import ijson

from voicemap.ingest.decoding import TextStream
from voicemap.ingest.errors import InputFileError
from voicemap.settings import Limits

Row = tuple[dict[str, Any], int, float]
OPEN, CLOSE = ("start_map", "start_array"), ("end_map", "end_array")


# A "\\ud800"-style escape that is not half of a pair: json.loads keeps it (and voicemap then
# writes "?"), while ijson's parser may join it with the next escape. Such a file is parsed whole.
_LONE_SURROGATE = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
                             r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}")
_CONTEXT = 12  # characters a match and its look-around can span


class _ParseWhole(Exception):
    """Raised from the reader: this document must go to json.loads."""


class _Utf8Reader:
    """The file-like object ijson reads: the cleaned text's pieces, as UTF-8 bytes."""

    def __init__(self, pieces: Iterator[str], check_surrogates: bool = False):
        self._pieces = pieces
        self._buffer = bytearray()
        self._check = check_surrogates
        self._tail = ""  # the end of the text so far, searched again with what follows it

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            piece = next(self._pieces, None)
            if self._check:
                self._look_for_lone_surrogates(piece)
            if piece is None:
                break
            self._buffer += piece.encode("utf-8")
        size = len(self._buffer) if size < 0 else size
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def _look_for_lone_surrogates(self, piece: str | None) -> None:
        window = self._tail + (piece or "")
        start = max(0, len(self._tail) - _CONTEXT)  # the tail's last characters were not settled yet
        settled = len(window) if piece is None else max(start, len(window) - _CONTEXT)  # what follows may pair them
        if any(start <= match.start() < settled for match in _LONE_SURROGATE.finditer(window)):
            raise _ParseWhole
        self._tail = window[-2 * _CONTEXT:]  # the unsettled end, and enough before it to look behind


class _Layout:
    """What the first pass learns: the records' ijson prefix, how many, and their keys in order."""

    def __init__(self, max_columns: int):
        self.max_columns = max_columns
        self.keys: dict[str, dict[str, None]] = {}  # list name ("" = top-level) -> keys of its records
        self.counts: dict[str, int] = {}
        self.valid: dict[str, bool] = {}  # list name -> every item is an object

    def add_key(self, name: str, key: str) -> None:
        keys = self.keys.setdefault(name, {})
        if len(keys) <= self.max_columns:  # past the limit the header is refused anyway
            keys[key] = None


def _scan(reader: _Utf8Reader, limit: Limits) -> tuple[str, list[str], int] | None:
    """(list name, keys, record count) of the document's records, or None when it must be parsed whole."""
    layout = _Layout(limit.max_columns)
    depth, top, name, wrapper_keys = 0, None, None, set()
    for event, value in ijson.basic_parse(reader, use_float=True):
        if top is None:
            top = event
            if event not in OPEN:
                return None  # a lone value is not a list of records
        if depth == 1 and top == "start_map":
            if event == "map_key":
                if value in wrapper_keys or "." in value:
                    return None  # json.loads keeps the last duplicate; ijson names cannot hold a dot
                wrapper_keys.add(value)
                name = value
            elif event == "start_array":
                layout.valid[name] = True
                layout.counts[name] = 0
        list_depth = 1 if top == "start_array" else 2
        list_name = "" if top == "start_array" else name
        if depth == list_depth and list_name in layout.valid and event not in CLOSE:
            layout.counts[list_name] += 1  # an item of a list of (we hope) records starts
            if event != "start_map":
                layout.valid[list_name] = False
        if depth == list_depth + 1 and event == "map_key" and list_name in layout.valid:
            layout.add_key(list_name, value)
        if event in OPEN:
            depth += 1
            if depth > limit.max_json_depth + 2:
                return None  # the whole parse reports it, as it always has
            if top == "start_array" and depth == 1:
                layout.valid[""], layout.counts[""] = True, 0
        elif event in CLOSE:
            depth -= 1
    lists = [list_name for list_name, ok in layout.valid.items() if ok and layout.counts[list_name]]
    if top == "start_array":
        if lists != [""]:
            return None  # an empty list, or one holding something other than objects
        return "item", list(layout.keys.get("", {})), layout.counts[""]
    if len(lists) != 1:
        return None  # one object is one record: the whole parse does that
    return f"{lists[0]}.item", list(layout.keys.get(lists[0], {})), layout.counts[lists[0]]


def stream_json_records(path: Path, text: TextStream, limit: Limits) -> tuple[list[str], int, Iterator[Row]] | None:
    """The records' keys (in order of first appearance), their count and the records; None: parse it whole."""
    try:
        found = _scan(_Utf8Reader(text.chunks(), check_surrogates=True), limit)
    except (ijson.JSONError, ValueError, OverflowError, _ParseWhole):  # invalid JSON, or ijson's own limits
        return None
    if found is None:
        return None
    prefix, columns, count = found

    def rows() -> Iterator[Row]:
        try:
            for number, record in enumerate(ijson.items(_Utf8Reader(text.chunks()), prefix, use_float=True), 1):
                yield record, number, number / count
        except (ijson.JSONError, ValueError, OverflowError) as exc:
            raise InputFileError(path, f"changed while it was read: not valid JSON any more ({exc})") from None

    return columns, count, rows()
