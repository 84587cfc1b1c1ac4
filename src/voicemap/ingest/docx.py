"""Word transcripts (.docx): Otter, Teams and hand-typed interviews.

python-docx reads the paragraphs (and table rows, which some tools use for
speaker | time | text); the text is then parsed by the plain-text transcript
reader, so `Name  0:03` header lines, `[00:01:02] Name: text` and `Name: text` all
work the same as in a .txt file. Before python-docx opens anything, the zip is
checked: a renamed text or .doc file, a zip that is not a Word document, or a zip
bomb gets a one-line error instead of a traceback or a full disk.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path

from voicemap.domain import Source
from voicemap.ingest.errors import InputFileError
from voicemap.ingest.transcript import DEFAULT_INTERVIEWER_NAMES, read_transcript
from voicemap.settings import limits

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word 97-2003 .doc, and encrypted .docx
MAX_MEMBERS = 5000
MAX_RATIO = 200  # Word XML compresses ~10-30x; zip bombs compress thousands of times
RATIO_CHECK_BYTES = 1_000_000
_TIME_CELL = re.compile(r"^\[?(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?\]?$")


def _not_a_zip_problem(head: bytes) -> str:
    if head.startswith(OLE_MAGIC):
        return "is an old Word 97-2003 (.doc) or password-protected file, not a .docx; save it as .docx"
    if head.lstrip().startswith(b"{\\rtf"):
        return "is an RTF file renamed to .docx; save it as .docx or plain text"
    if head.startswith(b"PK"):
        return "is a damaged or incomplete zip archive (a .docx that did not finish copying?)"
    if head.startswith(b"%PDF"):
        return "is a PDF renamed to .docx; export the transcript as .docx or .txt"
    if head and b"\x00" not in head[:512]:
        return "is plain text with a .docx extension; rename it to .txt"
    return "is not a Word document (a .docx is a zip archive, this is not)"


def check_docx_archive(path: str | Path) -> None:
    """Refuse anything that is not a plausible, reasonably sized Word zip before parsing it."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(1024)
    except OSError as exc:
        raise InputFileError(path, f"cannot read the file ({exc.strerror or exc})") from None
    if size == 0:
        raise InputFileError(path, "file is empty")
    if size > limits().max_file_bytes:
        raise InputFileError(path, f"file is {size / 1e6:.0f} MB, over the {limits().max_file_bytes / 1e6:.0f} MB "
                                   "limit (raise it with VOICEMAP_MAX_FILE_MB)")
    if not zipfile.is_zipfile(path):
        raise InputFileError(path, _not_a_zip_problem(head))
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputFileError(path, f"is a damaged zip archive ({exc})") from None
    names = {m.filename for m in members}
    if "word/document.xml" not in names:
        raise InputFileError(path, "is a zip archive but not a Word document (no word/document.xml)")
    if len(members) > MAX_MEMBERS:
        raise InputFileError(path, f"holds {len(members)} files; a Word document has far fewer")
    total = sum(m.file_size for m in members)
    unpacked_limit = getattr(limits(), "max_unpacked_bytes", limits().max_file_bytes)
    if total > unpacked_limit:
        raise InputFileError(path, f"unpacks to {total / 1e6:.0f} MB, over the {unpacked_limit / 1e6:.0f} MB limit "
                                   "(VOICEMAP_MAX_UNPACKED_MB); it may be a zip bomb")
    for member in members:
        if member.file_size > RATIO_CHECK_BYTES and member.file_size > MAX_RATIO * max(1, member.compress_size):
            ratio = member.file_size // max(1, member.compress_size)
            raise InputFileError(path, f"'{member.filename}' unpacks {ratio} times larger than it is packed; "
                                       "refusing a likely zip bomb")
    _check_declared_sizes(path)


def _check_declared_sizes(path: Path) -> None:
    """Unpack every member in 1 MB chunks before python-docx inflates any of them whole.

    zipfile stops a member at the size its header declares and then checks the CRC, so a
    header that understates the size (1 kB declared, 50 MB packed) fails here, cheaply.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.infolist():
                with archive.open(member) as stream:
                    while stream.read(1 << 20):
                        pass
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, zlib.error) as exc:
        raise InputFileError(path, f"is a damaged zip archive or lies about its contents ({str(exc)[:80]})") from None


def _row_as_turn(cells: list[str]) -> str:
    """A speaker | time | text table row becomes `Speaker (time): text`; other rows are joined."""
    cells = [c for c in cells if c]
    times = [c for c in cells if _TIME_CELL.match(c)]
    words = [c for c in cells if c not in times]
    if len(words) == 2 and len(words[0].split()) <= 4:
        stamp = f" ({times[0].strip('[]')})" if times else ""
        return f"{words[0]}{stamp}: {words[1]}"
    return " ".join(cells)


def docx_lines(path: str | Path) -> list[str]:
    """The document's text as lines, paragraphs and table rows in reading order."""
    import docx  # python-docx; imported here so plain-text imports do not pay for lxml

    try:
        document = docx.Document(str(path))
        lines: list[str] = []
        for block in document.iter_inner_content():
            if hasattr(block, "rows"):
                for row in block.rows:
                    cells = []
                    for cell in row.cells:
                        text = " ".join(cell.text.split())
                        if text not in cells:  # merged cells repeat their text
                            cells.append(text)
                    lines.append(_row_as_turn(cells))
            else:
                lines.extend(block.text.split("\n"))
    except InputFileError:
        raise
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors... on damaged parts
        raise InputFileError(path, f"is a damaged Word document ({type(exc).__name__}: {str(exc)[:80]})") from None
    return lines


def read_docx(path: str | Path, interviewer_names=DEFAULT_INTERVIEWER_NAMES) -> Source:
    """Read a Word transcript into speaker turns; locations are timestamps or paragraph lines."""
    check_docx_archive(path)
    lines = docx_lines(path)
    if not any(line.strip() for line in lines):
        raise InputFileError(path, "the Word document has no text")
    source = read_transcript(path, interviewer_names, text="\n".join(lines), encoding="utf-8")
    source.metadata["format"] = "docx"
    return source
