"""Safe Markdown building blocks: customer text can never become structure.

Quotes come from the public (reviews, surveys), so before they enter a report we
escape Markdown and HTML, flatten newlines, and strip terminal escape sequences;
Mermaid labels get their own stricter cleaning because `:`, `#` and `;` end a task.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Only characters that can start structure mid-line; "_" only where it could open emphasis
# (intraword underscores, as in file names, are literal in CommonMark).
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|~])")
_EDGE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def strip_control(text: str) -> str:
    """Remove ANSI escape sequences and control characters (keeps plain text)."""
    return _CONTROL.sub("", text)


def escape_inline(text: str, line_start: bool = True) -> str:
    """Escape text so it renders literally inside a Markdown paragraph or table cell.

    `line_start=False` is for table cells and mid-sentence text, where a leading
    "-" or "1." cannot start a list.
    """
    text = strip_control(str(text)).replace("\r", " ").replace("\n", " ")
    text = text.replace("&", "&amp;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _EDGE_UNDERSCORE.sub(r"\\_", text)
    text = text.strip()
    # What would start a heading, quote or list at the start of a line or cell.
    numbered = re.match(r"(\d+)([.)])", text) if line_start else None
    if not line_start:
        pass
    elif numbered:
        text = numbered.group(1) + "\\" + text[len(numbered.group(1)):]
    elif text[:1] in ("#", ">", "+", "-", "="):
        text = "\\" + text
    return text.strip()


def quote(text: str, citation: str) -> str:
    """A verbatim quote as one blockquote line with its citation."""
    return f'> “{escape_inline(text)}” — *{escape_inline(citation)}*'


def table(headers: list[str], rows: list[list[object]]) -> str:
    """A GitHub-flavoured Markdown table; cells are escaped."""
    def cell(value: object) -> str:
        return escape_inline("" if value is None else str(value), line_start=False)

    lines = ["| " + " | ".join(cell(h) for h in headers) + " |",
             "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def mermaid_label(text: str) -> str:
    """A Mermaid journey task/section name: no characters that end or break a statement."""
    text = strip_control(str(text))
    text = re.sub(r"[:#;\n\r`<>{}\[\]\"|]", " ", text)
    return re.sub(r"\s+", " ", text).strip() or "(unnamed)"


def share(count: int, total: int) -> str:
    """'k of N' always; a percentage only when N is large enough for it to mean something."""
    if total <= 0:
        return f"{count} of 0"
    if total < 20:
        return f"{count} of {total}"
    return f"{count} of {total} ({100 * count / total:.0f}%)"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
