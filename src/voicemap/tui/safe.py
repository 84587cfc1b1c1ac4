"""Customer text on screen: never markup, never terminal escapes.

Reviews and survey answers are written by the public. Textual parses plain strings
given to Static or DataTable as markup ("[bold]", "[@click=...]"), so every piece of
customer text is stripped of control sequences and wrapped in a rich `Text`, which is
displayed literally.
"""

from __future__ import annotations

from rich.text import Text

from voicemap.report.markdown import strip_control


def plain(text: object, style: str = "") -> Text:
    """Literal text: control characters removed, newlines flattened, no markup."""
    value = strip_control("" if text is None else str(text)).replace("\r", " ").replace("\n", " ")
    return Text(value, style=style, no_wrap=False)


def clipped(text: object, width: int, style: str = "") -> Text:
    """Literal text cut to a column width with an ellipsis."""
    result = plain(text, style)
    if width > 1 and result.cell_len > width:
        result.truncate(width - 1)
        result.append("…")
    return result


def markdown_parser():
    """The app's Markdown parser: GitHub-like, but a URL in a quote stays text (never a link)."""
    from markdown_it import MarkdownIt  # deferred with the Markdown widget, after the first paint

    return MarkdownIt("gfm-like").disable("linkify")
