"""SubRip (.srt) subtitles as speaker turns, read by webvtt-py's SRT parser.

Otter, Rev, Descript and YouTube export interviews as SRT, usually with `Name: text`
cues. Everything after parsing (speakers, merging, locations, empty and broken
cues) is shared with WebVTT in webvtt.py, so both formats behave the same.
"""

from __future__ import annotations

import io
from pathlib import Path

import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from voicemap.domain import Source
from voicemap.ingest.decoding import read_text
from voicemap.ingest.errors import InputFileError
from voicemap.ingest.transcript import DEFAULT_INTERVIEWER_NAMES
from voicemap.ingest.webvtt import captions_to_source, scan_cue_blocks


def looks_like_srt(text: str) -> bool:
    """A cue number on the first line and a timing line under it."""
    lines = [line for line in text.lstrip("\ufeff").lstrip().split("\n", 2)]
    return len(lines) >= 2 and lines[0].strip().isdigit() and "-->" in lines[1]


def read_srt(path: str | Path, interviewer_names=DEFAULT_INTERVIEWER_NAMES, text: str | None = None,
             encoding: str = "utf-8") -> Source:
    """Read a .srt file into speaker turns."""
    if text is None:
        text, encoding = read_text(path)
    text = text.lstrip("\ufeff")
    if not looks_like_srt(text):
        raise InputFileError(path, "is not a SubRip file (expected a cue number, then a line like "
                                   "'00:00:01,000 --> 00:00:04,000')")
    blocks = scan_cue_blocks(path, text, "srt")
    try:
        captions = webvtt.from_buffer(io.StringIO(text.lstrip()), format="srt").captions
    except (MalformedFileError, MalformedCaptionError) as exc:
        raise InputFileError(path, f"malformed SubRip file ({exc})") from None
    return captions_to_source(path, captions, blocks, "srt", encoding, interviewer_names)
