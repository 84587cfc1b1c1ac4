"""A report as a standalone HTML page, rendered from its Markdown with markdown-it-py.

The Markdown is already safe (customer text escaped by `report.markdown`), so the
only raw HTML in it is voicemap's own anchors; the page needs no scripts or network.
"""

from __future__ import annotations

import html

from markdown_it import MarkdownIt

STYLE = ("body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5}"
         "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem;vertical-align:top}"
         "blockquote{border-left:4px solid #ccc;margin:1rem 0;padding:0 1rem;color:#333}")


def markdown_page(markdown: str, title: str) -> str:
    body = MarkdownIt("commonmark").enable("table").enable("strikethrough").render(markdown)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{html.escape(title)}</title>\n'
            f"<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n")
