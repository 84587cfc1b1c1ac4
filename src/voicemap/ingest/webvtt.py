"""WebVTT captions (Zoom, Teams, Meet recordings) as speaker turns.

webvtt-py parses the cues; this module turns cues into turns: the speaker comes
from a `<v Name>` voice tag (Teams) or a `Name: text` prefix (Zoom), consecutive
cues of one speaker are merged into one turn, and the first cue's start time is the
turn's location, so quotes cite "00:12:03". A cue whose timing line is broken stops
the import with the line number, rather than silently dropping what was said; cues
with no words are skipped and reported. SRT files share all of this (srt.py).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError
from webvtt.models import Caption, Timestamp
from webvtt.vtt import WebVTTCueBlock

from voicemap.domain import Source, Utterance
from voicemap.ingest.decoding import read_text
from voicemap.ingest.errors import InputFileError
from voicemap.ingest.speakers import clean_speaker, mark_interviewers, unify_speaker_names
from voicemap.ingest.transcript import DEFAULT_INTERVIEWER_NAMES

VOICE_RE = re.compile(r"<v(?:\.[\w-]+)*\s+([^>]+)>")
PREFIX_RE = re.compile(r"^\s*(?:>>\s*|-\s+)?(?P<speaker>[^:\n]{1,60}?)\s*:\s+(?P<text>\S.*)$", re.S)
MAX_PREFIX_WORDS = 5
TIMING_ATTEMPT = re.compile(r"^\s*[\d:.,]{4,}\s*-+>\s*[\d:.,]{4,}")  # "00:01,5 -> 00:02" is a broken cue, not speech


@dataclass
class CueBlock:
    """Where a cue's timing line sits in the file, for citations and error messages."""

    line: int
    start_ms: int
    has_text: bool


def _timing_ms(token: str) -> int:
    return Timestamp.from_string(token.replace(",", ".")).in_milliseconds()


def _blocks(lines: list[str]) -> list[tuple[int, list[str]]]:
    """(first line number, lines) for each blank-line separated block."""
    blocks, current, start = [], [], 0
    for number, line in enumerate(lines, start=1):
        if line.strip():
            if not current:
                start = number
            current.append(line)
        elif current:
            blocks.append((start, current))
            current = []
    if current:
        blocks.append((start, current))
    return blocks


def scan_cue_blocks(path: str | Path, text: str, fmt: str) -> list[CueBlock]:
    """Find every cue's timing line; a malformed one is an error naming its line."""
    found = []
    for start, block in _blocks(text.split("\n")):
        timing_index = next((i for i, line in enumerate(block) if "-->" in line or TIMING_ATTEMPT.match(line)), None)
        if timing_index is None:
            continue
        if fmt == "webvtt":
            valid = WebVTTCueBlock.is_valid(block)
        else:
            valid = timing_index == 1 and block[0].strip().isdigit() and re.match(
                r"\s*\d+:\d{1,2}:\d{1,2}[,.]\d+\s*-->\s*\d+:\d{1,2}:\d{1,2}[,.]\d+", block[1]) is not None
        line_number = start + timing_index
        if not valid:
            problem = ("has no cue number above its timing line" if fmt == "srt" and timing_index == 0
                       else f"has a malformed timing line {block[timing_index].strip()[:60]!r}")
            raise InputFileError(path, f"cue at line {line_number} {problem}; fix or remove that cue")
        try:
            start_ms = _timing_ms(block[timing_index].split("-->")[0].strip().split()[-1])
        except (MalformedCaptionError, ValueError, IndexError):
            raise InputFileError(path, f"cue at line {line_number} has an unreadable start time") from None
        found.append(CueBlock(line_number, start_ms, has_text=len(block) > timing_index + 1))
    return found


def _speaker_and_text(caption: Caption) -> tuple[str | None, str]:
    voice = VOICE_RE.search(caption.raw_text)
    words = " ".join(part.strip() for part in caption.text.split("\n") if part.strip())
    if voice:
        return clean_speaker(voice.group(1)), words
    return None, words


def _prefix_speakers(texts: list[str]) -> dict[int, tuple[str, str]]:
    """`Name: text` prefixes that look like names: short, no sentence punctuation, not a time."""
    candidates = {}
    for index, text in enumerate(texts):
        match = PREFIX_RE.match(text)
        if not match:
            continue
        name = clean_speaker(match.group("speaker"))
        if (name and len(name.split()) <= MAX_PREFIX_WORDS and not re.search(r"[?!,;\"]", name)
                and not name.replace(" ", "").isdigit()):
            candidates[index] = (name, match.group("text").strip())
    counts: dict[str, int] = {}
    for name, _ in candidates.values():
        counts[name.casefold()] = counts.get(name.casefold(), 0) + 1
    # A one-off long "label" is more likely a sentence with a colon than a speaker.
    return {i: (n, t) for i, (n, t) in candidates.items() if counts[n.casefold()] >= 2 or len(n.split()) <= 3}


def _hms(milliseconds: int) -> str:
    seconds = milliseconds // 1000
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def captions_to_source(path: str | Path, captions: list[Caption], blocks: list[CueBlock], fmt: str,
                       encoding: str, interviewer_names) -> Source:
    """Merge cues into speaker turns and build the Source (shared by WebVTT and SRT)."""
    source = Source(path=str(path), kind="transcript", title=Path(path).stem, encoding=encoding,
                    metadata={"format": fmt})
    lines_by_start: list[CueBlock] = list(blocks)
    cursor = 0
    cues = []
    for caption in captions:
        start_ms = caption.start_time.in_milliseconds()
        line = None
        for offset in range(cursor, len(lines_by_start)):
            if lines_by_start[offset].start_ms == start_ms:
                line, cursor = lines_by_start[offset].line, offset + 1
                break
        speaker, text = _speaker_and_text(caption)
        cues.append((speaker, text, start_ms, caption.end, line))
    prefixed = _prefix_speakers([text for speaker, text, *_ in cues])
    utterances: list[Utterance] = []
    current_speaker = None
    spelling: dict[str, str] = {}  # "PRIYA NAIR" in one cue and "Priya Nair" in the next are one turn
    for index, (speaker, text, start_ms, end, line) in enumerate(cues):
        if speaker is None and index in prefixed:
            speaker, text = prefixed[index]
        if speaker:
            speaker = spelling.setdefault(speaker.casefold(), speaker)
        if not text:
            source.skipped.append(f"cue at {'line ' + str(line) if line else _hms(start_ms)}: no words")
            continue
        speaker = speaker or current_speaker
        if utterances and speaker == current_speaker:
            utterances[-1].text = f"{utterances[-1].text} {text}"
            utterances[-1].metadata["end_time"] = end
            continue
        current_speaker = speaker
        utterances.append(Utterance(text=text, speaker=speaker, timestamp=_hms(start_ms), location=_hms(start_ms),
                                    line=line, metadata={"end_time": end}))
    reported = {reason for reason in source.skipped}
    source.skipped += [f"cue at line {b.line}: no words" for b in blocks
                       if not b.has_text and f"cue at line {b.line}: no words" not in reported]
    if not utterances:
        raise InputFileError(path, "no captions with words found")
    if all(u.speaker is None for u in utterances):
        for utterance in utterances:
            utterance.speaker = Path(path).stem
        source.warnings.append("no speaker names in the captions: everything is attributed to one participant "
                               f"('{Path(path).stem}')")
    unify_speaker_names(utterances)
    interviewers, note = mark_interviewers(utterances, interviewer_names)
    if note:
        source.warnings.append(note)
    if not any(u.is_customer for u in utterances):
        raise InputFileError(path, "every speaker is an interviewer; no customer statements to import")
    source.utterances = utterances
    source.metadata["interviewer_speakers"] = interviewers
    source.metadata["cues"] = len(cues)
    return source


def read_webvtt(path: str | Path, interviewer_names=DEFAULT_INTERVIEWER_NAMES, text: str | None = None,
                encoding: str = "utf-8") -> Source:
    """Read a .vtt file (Zoom, Teams, Google Meet captions) into speaker turns."""
    if text is None:
        text, encoding = read_text(path)
    text = text.lstrip("\ufeff")
    if not text.lstrip().startswith("WEBVTT"):
        raise InputFileError(path, "does not start with 'WEBVTT', so it is not a WebVTT file")
    blocks = scan_cue_blocks(path, text, "webvtt")
    try:
        captions = webvtt.from_buffer(io.StringIO(text.lstrip()), format="vtt").captions
    except (MalformedFileError, MalformedCaptionError) as exc:
        raise InputFileError(path, f"malformed WebVTT ({exc})") from None
    return captions_to_source(path, captions, blocks, "webvtt", encoding, interviewer_names)
