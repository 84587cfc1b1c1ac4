"""Turn a file's bytes into text, trying the encodings real exports use, in order.

Google Play review exports are UTF-16 with a BOM, Excel saves cp1252, most tools
write UTF-8 (sometimes with a BOM). We try them strictly in that order and report
which one worked so the user can check accents came through.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

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


def read_text(path: str | Path) -> tuple[str, str]:
    """Read a whole text file with encoding detection and the size limit."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > limits().max_file_bytes:
            raise InputFileError(
                path,
                f"file is {size / 1e6:.0f} MB, over the {limits().max_file_bytes / 1e6:.0f} MB limit "
                "(raise it with VOICEMAP_MAX_FILE_MB)",
            )
        data = path.read_bytes()
    except InputFileError:
        raise
    except IsADirectoryError:
        raise InputFileError(path, "is a directory, not a file") from None
    except FileNotFoundError:
        raise InputFileError(path, "file not found") from None
    except PermissionError:
        raise InputFileError(path, "permission denied: cannot read the file") from None
    except OSError as exc:
        raise InputFileError(path, f"cannot read the file ({exc.strerror or exc})") from None
    text, encoding = decode_bytes(data, path)
    return strip_control_chars(text), encoding


def strip_control_chars(text: str) -> str:
    """Unify line ends, then drop terminal escape sequences and control characters (not tabs or newlines)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _ESCAPES.search(text) or _CONTROLS.search(text):
        text = _CONTROLS.sub("", _ESCAPES.sub("", text))
    return text
