"""Turn a file's bytes into text, trying the encodings real exports use, in order.

Google Play review exports are UTF-16 with a BOM, Excel saves cp1252, most tools
write UTF-8 (sometimes with a BOM). We try them strictly in that order and report
which one worked so the user can check accents came through. Tables are read as a
`TextStream`, a block at a time, so a big export never sits in memory whole.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import Iterator

from voicemap.ingest.errors import InputFileError
from voicemap.settings import limits

# Terminal escape sequences and control characters have no place in what a customer said,
# and would reach terminals and spreadsheets verbatim; tabs and newlines are kept.
_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ufeff]")  # with stray BOMs from concatenated exports


def _looks_binary(data: bytes) -> bool:
    """NUL bytes outside a UTF-16 stream mean this is not a text file."""
    sample = data[:4096]
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    return b"\x00" in sample


def decode_bytes(data: bytes, path: str | Path) -> tuple[str, str]:
    """Return (text, encoding name) or raise InputFileError naming the file."""
    if not data.strip():
        raise InputFileError(path, "file is empty")
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise InputFileError(path, f"has a UTF-8 byte-order mark but is not valid UTF-8 (byte {exc.start}: "
                                       f"{exc.reason}); re-save it as UTF-8") from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise InputFileError(path, f"has a UTF-16 byte-order mark but is not valid UTF-16 ({exc.reason})") from None
    if _looks_binary(data):
        raise InputFileError(path, "looks like a binary file, not text (contains NUL bytes)")
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def _check_size(path: Path) -> None:
    size = path.stat().st_size
    if size > limits().max_file_bytes:
        raise InputFileError(
            path,
            f"file is {size / 1e6:.0f} MB, over the {limits().max_file_bytes / 1e6:.0f} MB limit "
            "(raise it with VOICEMAP_MAX_FILE_MB)",
        )


def _os_error(path: Path, exc: OSError) -> InputFileError:
    """The one-line message for a file the system will not let us read."""
    if isinstance(exc, IsADirectoryError):
        return InputFileError(path, "is a directory, not a file")
    if isinstance(exc, FileNotFoundError):
        return InputFileError(path, "file not found")
    if isinstance(exc, PermissionError):
        return InputFileError(path, "permission denied: cannot read the file")
    return InputFileError(path, f"cannot read the file ({exc.strerror or exc})")


def read_text(path: str | Path) -> tuple[str, str]:
    """Read a whole text file with encoding detection and the size limit."""
    path = Path(path)
    try:
        _check_size(path)
        data = path.read_bytes()
    except OSError as exc:
        raise _os_error(path, exc) from None
    text, encoding = decode_bytes(data, path)
    return strip_control_chars(text), encoding


def strip_control_chars(text: str) -> str:
    """Unify line ends, then drop terminal escape sequences and control characters (not tabs or newlines)."""
    if text.isprintable():  # no \r, ESC, control character or BOM: nothing to do (most cells)
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _ESCAPES.search(text) or _CONTROLS.search(text):
        text = _CONTROLS.sub("", _ESCAPES.sub("", text))
    return text


BLOCK = 1 << 18  # bytes read at a time by a TextStream: what it holds, several times over, while it reads


class TextStream:
    """A text file read a block at a time, decoded and cleaned exactly as `read_text` would.

    Opening it reads the file once without keeping it: that pass picks the encoding
    (the same order and the same errors as `decode_bytes`, which must see every byte
    before it can say "UTF-8") and counts the lines, so readers can say how far they
    are. `lines()` then yields the cleaned text line by line, any number of times.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            _check_size(self.path)
            self.encoding, self.line_count = self._scan()
        except OSError as exc:
            raise _os_error(self.path, exc) from None
        self.lines_read = 0

    def _blocks(self, skip: int = 0) -> Iterator[bytes]:
        with open(self.path, "rb") as handle:
            handle.seek(skip)
            while block := handle.read(BLOCK):
                yield block

    def _scan(self) -> tuple[str, int]:
        with open(self.path, "rb") as handle:
            head = handle.read(4096)  # what the byte-order mark and binary checks look at
        if not any(block.strip() for block in ([head] if head.strip() else self._blocks())):
            raise InputFileError(self.path, "file is empty")
        if head.startswith(codecs.BOM_UTF8):
            try:
                return "utf-8-sig", self._count_lines("utf-8", skip=len(codecs.BOM_UTF8))
            except UnicodeDecodeError as exc:
                raise InputFileError(self.path, f"has a UTF-8 byte-order mark but is not valid UTF-8 (byte "
                                                f"{exc.start}: {exc.reason}); re-save it as UTF-8") from None
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            try:
                return "utf-16", self._count_lines("utf-16")
            except UnicodeDecodeError as exc:
                raise InputFileError(self.path, f"has a UTF-16 byte-order mark but is not valid UTF-16 "
                                                f"({exc.reason})") from None
        if _looks_binary(head):
            raise InputFileError(self.path, "looks like a binary file, not text (contains NUL bytes)")
        for encoding in ("utf-8", "cp1252"):
            try:
                return encoding, self._count_lines(encoding)
            except UnicodeDecodeError:
                continue
        return "latin-1", self._count_lines("latin-1")

    def _count_lines(self, encoding: str, skip: int = 0) -> int:
        """Decode every byte strictly (raising UnicodeDecodeError with the file's byte offset); count line ends."""
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        lines, offset, last = 0, 0, ""
        for block in self._blocks(skip):
            try:
                text = decoder.decode(block)
            except UnicodeDecodeError as exc:
                pending = len(exc.object) - len(block)  # bytes the decoder held back from the block before
                exc.start += offset - pending
                raise
            offset += len(block)
            lines += text.count("\n") + text.count("\r") - text.count("\r\n") - (last == "\r" and text[:1] == "\n")
            last = text[-1:] or last
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            exc.start += offset - len(exc.object)
            raise
        return lines + (last not in ("\n", "\r"))  # a last line without its line end counts too

    def _cleaned(self, at_line_ends: bool = True) -> Iterator[str]:
        r"""Cleaned text in pieces that end where cleaning a piece equals cleaning the whole.

        `strip_control_chars` matches across a cut only at "\r\n" and inside a terminal
        escape sequence ("\x1b]...\x07" may span lines). With `at_line_ends` every piece
        ends at a line end, outside any escape sequence (what `lines` needs); without, a
        piece holding no escape ends with its block, so a document written on one line
        (a JSON export) is still read a block at a time.
        """
        decoder = codecs.getincrementaldecoder(self.encoding)("strict")
        carry = ""
        for block in self._blocks():
            text = carry + decoder.decode(block)
            cut = _safe_cut(text, at_line_ends)
            if cut:
                yield strip_control_chars(text[:cut])
            carry = text[cut:]
        carry += decoder.decode(b"", final=True)
        if carry:
            yield strip_control_chars(carry)

    def chunks(self) -> Iterator[str]:
        """The cleaned text in pieces of about a block, not necessarily whole lines (for a streaming parser)."""
        return self._cleaned(at_line_ends=False)

    def lines(self) -> Iterator[str]:
        r"""The cleaned text's lines, each with its "\n" (the last one may lack it); counts `lines_read`."""
        self.lines_read = 0
        for piece in self._cleaned():
            for line in _split_lines(piece):
                self.lines_read += 1
                yield line

    def head(self, chars: int) -> str:
        """The first `chars` characters of the cleaned text (read a block at a time, then cut)."""
        collected, size = [], 0
        for piece in self.chunks():  # not whole lines: a one-line JSON document is not read whole to sniff it
            collected.append(piece)
            size += len(piece)
            if size >= chars:
                break
        return "".join(collected)[:chars]

    def text(self) -> str:
        """The whole cleaned text, for formats that can only be parsed whole (a JSON document)."""
        return "".join(self._cleaned())


def _safe_cut(text: str, at_line_ends: bool) -> int:
    """Where a piece of decoded text can end (see `TextStream._cleaned`); 0 means keep it all for later."""
    if not at_line_ends and "\x1b" not in text:
        return len(text) - text.endswith("\r")  # a "\r" last may precede "\n"
    cut = max(text.rfind("\n"), text.rfind("\r", 0, len(text) - 1)) + 1  # a "\r" last may precede "\n"
    while cut and _escape_open_at(text, cut):
        escape = text.rfind("\x1b", 0, cut)
        cut = max(text.rfind("\n", 0, escape), text.rfind("\r", 0, escape)) + 1
    return cut


def _escape_open_at(text: str, cut: int) -> bool:
    r"""Whether an operating-system escape sequence ("\x1b]...") started before `cut` runs on past it."""
    escape = text.rfind("\x1b", 0, cut)
    return escape >= 0 and text.startswith("\x1b]", escape) and "\x07" not in text[escape:cut]


def _split_lines(text: str) -> Iterator[str]:
    r"""Lines ending at "\n" only (str.splitlines also splits at \u2028, \x85... which are not line ends here)."""
    start = 0
    while (end := text.find("\n", start) + 1) > 0:
        yield text[start:end]
        start = end
    if start < len(text):
        yield text[start:]
