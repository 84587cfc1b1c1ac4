"""Customer text can never become structure: not in Markdown, Mermaid, CSV, JSON or on screen.

Two studies with the very same codes are rendered through every output: one whose
statements, speakers and file names are ordinary, one where they are hostile (HTML,
Markdown and Mermaid syntax, table breakers, fences, headings after newlines, ANSI
escapes, spreadsheet formulas). Parsed with markdown-it, both must have exactly the
same document structure; only the words may differ. CSV cells must be inert and
nothing may carry a terminal escape.
"""

from __future__ import annotations

import copy
import csv
import html
import importlib
import importlib.util
import io
import json
import re
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt

from voicemap.domain import Source, Statement, Tags, Utterance
from voicemap.export import FORMULA_PREFIXES, export_statements
from voicemap.store import open_db
from voicemap.store.query import select_statements
from voicemap.store.write import TaggedStatement, save_source

HOSTILE = [
    "# Injected heading",
    "fine start\n# heading after a newline\n\n## and another",
    "<script>alert('x')</script> the box was late",
    "<img src=x onerror=alert(1)> cold food",
    "[click here](javascript:alert(1)) to get a refund",
    "![tracker](https://evil.example/p.png) price went up",
    "<https://evil.example> support never called",
    "| col | col |\n|---|---|\n| injected | table |",
    "late | again | and | again",
    "```\nfenced code\n```",
    "~~~mermaid\njourney\n~~~",
    "end of quote\n```\n# after the mermaid fence",
    "Task: 5: Me; section Evil #1 ;",
    "\x1b[31mred alert\x1b[0m \x1b]8;;https://evil.example\x07link\x1b]8;;\x07 \x1b[2J",
    '=HYPERLINK("https://evil.example","refund here")',
    "+1+cmd|' /C calc'!A0",
    "-2+3 what a deal",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1 tab first",
    "**bold** _emphasis_ `code` ~~struck~~ claims",
    "> a blockquote inside a quote",
    "1. numbered\n2. list",
    "- bullet\n* bullet\n+ bullet",
    "Setext heading\n===",
    "---",
    "<!-- hidden comment --> visible",
    "[ref]: https://evil.example",
    "a footnote[^1] and a trailing backslash\\",
    "    indented code block",
    "&lt;b&gt; entity &#x3C;script&#x3E;",
    "[bold red]rich markup[/bold red] [@click=app.quit]quit[/]",
]
HOSTILE = [f"{text} \x1b[0m" if i % 2 else text for i, text in enumerate(HOSTILE)]  # every pain quote: an escape too
SPEAKERS = ["](javascript:alert(1))", "# Boss", "Ana | Admin", "<b>Bo</b>", "\x1b[1mEve", "=cmd()", "*Zed*", "`Tim`"]
SOURCE_NAMES = ["evil|name](x).csv", "# heading.csv", "<script>.csv", "=HYPERLINK(1).csv"]
STAGES = ["awareness", "purchase", "onboarding", "usage", "support", "retention"]
PAINS = ["delivery", "price", "usability", "support"]


def benign_twin(index: int) -> str:
    return f"The delivery number {index} was late and the food arrived cold again"


def build(db, hostile: bool) -> None:
    """Save the study: identical codes either way, hostile or ordinary words."""
    texts = HOSTILE if hostile else [benign_twin(i) for i in range(len(HOSTILE))]
    speakers = SPEAKERS if hostile else [f"Person {i}" for i in range(len(SPEAKERS))]
    names = SOURCE_NAMES if hostile else [f"source{i}.csv" for i in range(len(SOURCE_NAMES))]
    for s, name in enumerate(names):
        source = Source(path=f"/study/{name}", kind="survey")
        tagged = []
        for i in range(s, len(texts), len(names)):
            source.utterances.append(Utterance(text=texts[i], speaker=speakers[i % len(speakers)],
                                               location=f"row {i + 2}", row_id=f"R{i}",
                                               metadata={"segment": speakers[(i + 1) % len(speakers)]}))
            tags = Tags(stage=STAGES[i % len(STAGES)], stage_confidence=0.8, touchpoints=["mobile_app"],
                        emotions=["frustration"] if i % 2 else ["delight"],
                        sentiment="negative" if i % 2 else "positive", sentiment_score=-0.6 if i % 2 else 0.5,
                        pain=bool(i % 2), pain_category=PAINS[i % len(PAINS)] if i % 2 else None,
                        lemmas=["delivery", "late", "food", "cold"], actions=["order"])
            tagged.append([TaggedStatement(Statement(texts[i], len(tagged), 0, len(texts[i])), tags)])
        with db.atomic():
            save_source(db, source, tagged, sha256=f"{hostile}-{s}", import_id=None)


CLUSTER_NAMES = {False: "Late deliveries", True: "# Boxes | late](javascript:alert(1)) <b>\x1b[31m=cmd()"}


@pytest.fixture(scope="module")
def studies(tmp_path_factory):
    folder = tmp_path_factory.mktemp("safe")
    pair = {}
    for hostile in (False, True):
        db = open_db(folder / f"{'hostile' if hostile else 'benign'}.db")
        build(db, hostile)
        if importlib.util.find_spec("voicemap.cluster"):  # recurring issues, one named by a researcher
            from voicemap.cluster.edits import rename_cluster
            from voicemap.cluster.run import cluster_pain_points

            cluster_pain_points(db, min_size=2)
            first = db.execute("select min(id) from clusters").fetchone()[0]
            if first is not None:
                rename_cluster(db, first, CLUSTER_NAMES[hostile], coder="ana")
        pair[hostile] = db
    return pair


@pytest.fixture(scope="module")
def codebooks(codebook):
    """The shipped codebook, and a twin whose stage labels are hostile too (labels reach Mermaid)."""
    evil = copy.deepcopy(codebook)
    for stage, label in zip(evil.stages, ["Aware: 5: Me", "Buy; section X", "Start # now", "Use`it`", "Help|me",
                                          "Stay\n```\n# out"]):
        stage.label = label
    return {False: codebook, True: evil}


def markdown_outputs():
    """(name, render(db, codebook) -> Markdown) for every Markdown this build produces."""
    from voicemap.report.journey_map import render_journey_map

    outputs = [("journey map", lambda db, cb: render_journey_map(db, cb, today="2026-01-01")),
               ("journey map, redacted", lambda db, cb: render_journey_map(db, cb, today="2026-01-01", redact=True))]
    if importlib.util.find_spec("voicemap.report.pitfalls"):
        pitfalls = importlib.import_module("voicemap.report.pitfalls")
        outputs.append(("pitfalls report", lambda db, cb: pitfalls.render_pitfalls_report(db, cb)))
    if importlib.util.find_spec("voicemap.assistant"):
        from voicemap.assistant import Assistant

        for question in ("overview", "top issues", "show quotes about delivery", "quotes from frustrated customers",
                         "how many pain points by stage", "compare usage and support", "why do customers churn"):
            outputs.append((f"assistant: {question}",
                            lambda db, cb, q=question: Assistant(db, cb).ask(q).markdown))
    return outputs


PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def structure(markdown: str) -> list[tuple]:
    """The document's shape: every block and inline token except the words themselves."""
    shape = []
    for token in PARSER.parse(markdown):
        if token.type == "inline":
            shape.append(("inline", tuple(c.type for c in token.children or [] if c.type != "text")))
        else:
            shape.append((token.type, token.tag, token.info if token.type == "fence" else ""))
    return shape


MERMAID_LINE = re.compile(r"^\s*(journey|title [^:#;]+|section [^:#;]+|[^:#;]+: [1-5]: [^:#;]+)$")


@pytest.mark.parametrize("name,render", markdown_outputs(), ids=[n for n, _ in markdown_outputs()])
def test_markdown_outputs_have_the_same_structure_whatever_customers_wrote(studies, codebooks, name, render):
    benign = render(studies[False], codebooks[False])
    hostile = render(studies[True], codebooks[True])
    assert structure(hostile) == structure(benign)
    assert not CONTROL.search(hostile), repr(CONTROL.search(hostile))
    html = PARSER.render(hostile)
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html.lower()
    for token in PARSER.parse(hostile):
        if token.type in ("html_block", "html_inline"):  # only voicemap's own anchors
            assert re.fullmatch(r'<a (id|name)="[\w-]+"></a>|<a (id|name)="[\w-]+">|</a>', token.content.strip()), token
        for child in token.children or []:
            if child.type == "html_inline":
                assert re.fullmatch(r'<a (id|name)="[\w-]+">|</a>', child.content.strip()), child
        if token.type == "fence" and token.info == "mermaid":
            for line in token.content.strip().split("\n"):
                assert MERMAID_LINE.match(line), line


def test_hostile_words_are_still_there_to_read(studies, codebooks):
    """Escaping is not deleting: every quote reads exactly as the customer wrote it (minus escapes)."""
    from voicemap.report.evidence import trim_quote
    from voicemap.report.journey_map import render_journey_map
    from voicemap.report.markdown import strip_control

    expected = {trim_quote(strip_control(text)) for text in HOSTILE}
    quotes = []
    for token in PARSER.parse(render_journey_map(studies[True], codebooks[True])):
        if token.type == "inline" and token.content.startswith("“"):
            shown = html.unescape(re.sub(r"<[^>]+>", "", PARSER.renderInline(token.content)))
            quotes.append(shown[1:shown.rindex("”")])
    assert len(quotes) >= 5
    assert set(quotes) <= expected, set(quotes) - expected


def test_csv_export_cells_are_inert(studies):
    out = io.StringIO()
    export_statements(studies[True], "csv", out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(rows) == len(HOSTILE)
    for row in rows:
        for field, value in row.items():
            if re.fullmatch(r"-?\d+(\.\d+)?", value):
                continue  # a number is a number, not a formula
            assert not value.startswith(FORMULA_PREFIXES), (field, value)
            assert not CONTROL.search(value.replace("\n", "").replace("\t", "")), (field, value)
    from voicemap.report.markdown import strip_control

    texts = {row["text"].removeprefix("'") for row in rows}
    assert texts == {strip_control(text) for text in HOSTILE}  # nothing lost beyond escapes and the formula guard


def test_jsonl_export_keeps_text_exactly_and_escapes_control_characters(studies):
    out = io.StringIO()
    export_statements(studies[True], "jsonl", out)
    assert not CONTROL.search(out.getvalue().replace("\n", ""))
    assert {json.loads(line)["text"] for line in out.getvalue().splitlines()} == set(HOSTILE)


@pytest.mark.parametrize("args", [["export", "statements", "--format", "csv"],
                                  ["export", "statements", "--format", "jsonl"],
                                  ["map"], ["ask", "top", "issues"], ["ask", "show", "quotes", "about", "delivery"]])
def test_terminal_output_carries_no_escape_sequences(studies, args):
    from voicemap.cli import main

    result = CliRunner().invoke(main, ["--db", studies[True].conn.execute("pragma database_list").fetchone()[2],
                                       *args])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and not CONTROL.search(result.output.replace("\n", "").replace("\t", ""))


def test_tui_shows_customer_text_literally(studies, codebooks):
    pytest.importorskip("textual")
    if not importlib.util.find_spec("voicemap.tui.safe"):
        pytest.skip("no TUI in this build")
    from voicemap.tui.safe import plain

    for text in HOSTILE + SPEAKERS:
        shown = plain(text)
        assert not shown.spans, text  # "[bold red]" stays characters, never a style or a click action
        assert not CONTROL.search(shown.plain)
    assert "[bold red]rich markup[/bold red]" in plain(HOSTILE[-1]).plain


def test_tui_statement_detail_is_the_same_shape_for_hostile_text(studies, codebooks):
    if not importlib.util.find_spec("voicemap.tui.detail"):
        pytest.skip("no TUI in this build")
    from voicemap.tui.detail import statement_detail

    def shapes(db, codebook):
        return [(len(d.spans), d.plain.count("\n")) for d in
                (statement_detail(db, row, codebook) for row in select_statements(db))]

    benign, hostile = shapes(studies[False], codebooks[False]), shapes(studies[True], codebooks[True])
    assert [s for s, _ in hostile] == [s for s, _ in benign]  # no extra styles from customer text
    assert [n for _, n in hostile] == [n for _, n in benign]  # newlines in text never add lines
    for row in select_statements(studies[True]):
        assert not CONTROL.search(statement_detail(studies[True], row, codebooks[True]).plain.replace("\n", ""))


class TagCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, tuple(sorted(name for name, _ in attrs))))


def html_shape(page: str) -> list[tuple]:
    collector = TagCollector()
    collector.feed(page)
    return collector.tags


@pytest.mark.skipif(not importlib.util.find_spec("voicemap.report.pitfalls"), reason="no pitfalls report in this build")
def test_html_report_has_the_same_elements_whatever_customers_wrote(studies, codebooks):
    from voicemap.report.html import markdown_page
    from voicemap.report.pitfalls import render_pitfalls_report

    pages = {h: markdown_page(render_pitfalls_report(studies[h], codebooks[h]), "Pitfalls") for h in (False, True)}
    assert html_shape(pages[True]) == html_shape(pages[False])
    assert not any(tag in ("script", "img", "iframe") or any(a.startswith("on") for a in attrs)
                   for tag, attrs in html_shape(pages[True]))


@pytest.mark.skipif(not importlib.util.find_spec("voicemap.cluster.export"), reason="no cluster export in this build")
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_cluster_exports_are_inert(studies, fmt):
    from voicemap.cluster.export import export_clusters

    out = io.StringIO()
    assert export_clusters(studies[True], fmt, out) >= 1
    text = out.getvalue()
    assert not CONTROL.search(text.replace("\n", "").replace("\r", ""))
    if fmt == "csv":
        for row in csv.DictReader(io.StringIO(text)):
            for field, value in row.items():
                if not re.fullmatch(r"-?\d+(\.\d+)?", value):
                    assert not value.startswith(FORMULA_PREFIXES), (field, value)
    else:
        labels = {json.loads(line)["human_label"] for line in text.splitlines()}
        assert CLUSTER_NAMES[True] in labels  # JSON keeps the researcher's words exactly; escaping is JSON's


@pytest.mark.skipif(not importlib.util.find_spec("voicemap.cluster"), reason="no clustering in this build")
@pytest.mark.parametrize("args", [["clusters", "list"], ["report"], ["export", "clusters", "--format", "csv"]])
def test_cluster_commands_print_no_escape_sequences(studies, args):
    from voicemap.cli import main

    path = studies[True].conn.execute("pragma database_list").fetchone()[2]
    result = CliRunner().invoke(main, ["--db", path, *args])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and not CONTROL.search(result.output.replace("\n", "").replace("\t", ""))
