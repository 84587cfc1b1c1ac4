"""The app, driven as a person would with Textual's Pilot (App.run_test).

Each flow is checked against the database: answers against the core assistant and
SQL counts, recoding against the tags table, import against the rows it added. The
spaCy pipeline is the session's, passed in through the app factory, so no test pays
for loading it again. Layout guards assert regions of the real widget tree.
"""

from __future__ import annotations

import sqlite3

import pytest
from rich.text import Text
from textual.widgets import Input

from study_builder import build_study
from voicemap.assistant import Assistant
from voicemap.store import open_db
from voicemap.tui.app import make_app
from voicemap.tui.jobs import WorkFinished, WorkProgress
from voicemap.tui.pickers import PathPrompt

SIZE = (120, 36)


@pytest.fixture
def study_path(tmp_path, sample_db):
    """A private copy of the sample study: the app writes codes into it."""
    path = tmp_path / "study.db"
    target = sqlite3.connect(path)
    sample_db.conn.backup(target)
    target.close()
    return path


@pytest.fixture
def app(study_path, tagger):
    return make_app(study_path, tagger_factory=lambda codebook: tagger)


STAGES = ["onboarding", "usage", "support", "retention"]
TOUCHPOINTS = [["delivery"], ["mobile_app"], ["email", "phone"], []]


@pytest.fixture
def small_path(tmp_path):
    """150 hand-coded statements: enough for two pages, small enough to render fast."""
    path = tmp_path / "small.db"
    build_study(open_db(path), [
        {"text": f"Statement {i}: the {('box', 'app', 'agent', 'plan')[i % 4]} was {('late', 'slow', 'fine', 'great')[i % 4]}.",
         "speaker": f"R{i % 30:02d}", "stage": STAGES[i % 4], "touchpoints": TOUCHPOINTS[i % 4],
         "sentiment": ("negative", "negative", "neutral", "positive")[i % 4], "score": (-0.5, -0.3, 0.0, 0.6)[i % 4],
         "pain": i % 4 < 2, "category": ("delivery", "reliability", None, None)[i % 4],
         "emotions": (["frustration"], [], [], ["satisfaction"])[i % 4],
         "source": ("survey.csv", "reviews.jsonl")[i % 2], "kind": ("survey", "reviews")[i % 2]}
        for i in range(150)])
    return path


@pytest.fixture
def small_app(small_path, tagger):
    return make_app(small_path, tagger_factory=lambda codebook: tagger)


async def settle(pilot) -> None:
    """Let queued messages run and running workers finish (twice: a message may start a worker)."""
    for _ in range(2):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def until(pilot, condition, timeout: float = 20.0) -> None:
    """Wait for something the user would wait for (rows on screen, an answer)."""
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("the app did not get there in time")


async def ask(pilot, text: str) -> str:
    chat = pilot.app.chat
    chat.input.focus()
    chat.input.value = text
    before = len(chat.answers())
    await pilot.press("enter")
    await until(pilot, lambda: len(chat.answers()) > before and chat.answers()[-1].source)
    await settle(pilot)
    return chat.answers()[-1].source


async def open_coding(pilot):
    await pilot.press("f2")
    await until(pilot, lambda: pilot.app.coding.table.row_count > 0)
    return pilot.app.coding


QUESTIONS = ["what frustrates people at checkout?", "pain points in onboarding", "show quotes about delivery",
             "how do people feel about support?", "how many negative statements about pricing?", "compare P1 and P3",
             "compare segment=family with segment=single", "top issues", "why do customers leave?"]


async def test_each_kind_of_question_is_answered_from_the_database(app, study_path, codebook):
    shown = {}
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for question in QUESTIONS:
            shown[question] = await ask(pilot, question)
    assistant = Assistant(open_db(study_path), codebook)
    for question in QUESTIONS:
        expected = assistant.ask(question)
        assert shown[question] == expected.markdown, question  # the chat shows what the core computed
        assert expected.kind not in ("help", "problem"), question
        assert expected.count or expected.sides, question
        if expected.count is not None:
            assert str(expected.count) in shown[question], question


async def test_unknown_question_and_help(small_app, codebook):
    async with small_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        shown = await ask(pilot, "zorblax quuxly?")
    assert "I could not read" in shown
    assert codebook.stages[0].label in shown


async def test_welcome_and_status_line_say_what_is_loaded(app, study_path):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for _ in range(50):
            if "tagger ready" in str(pilot.app.query_one("#status").render()):
                break
            await pilot.pause(0.05)
        status = str(pilot.app.query_one("#status").render())
        welcome = pilot.app.chat.answers()[0].source
    statements = open_db(study_path).execute("select count(*) from statements").fetchone()[0]
    assert f"{statements:,} statements" in status and "tagger ready" in status and "coder tester" in status
    assert f"**{statements:,} statements**" in welcome


async def test_recode_with_the_keyboard_stores_a_human_code_and_undo(small_app, small_path, codebook):
    async with small_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        coding = await open_coding(pilot)
        assert coding.table.row_count == 100  # one page, not the whole study
        await pilot.press("down", "down")
        statement_id = coding.current_id()
        await pilot.press("s")
        await pilot.pause()
        target = codebook.stages[1]
        await pilot.press("2")  # the second stage in the picker
        await settle(pilot)
        db = open_db(small_path)
        rows = list(db.query("select value, coder, created_at from tags where statement_id = ? and dimension = "
                             "'stage' and origin = 'human' and superseded_by is null", [statement_id]))
        assert [(r["value"], r["coder"]) for r in rows] == [(target.id, "tester")] and rows[0]["created_at"]
        assert db.execute("select stage, origin from statements where id = ?", [statement_id]).fetchone() == (
            target.id, "human")
        cell = coding.table.get_cell(str(statement_id), "stage")
        assert isinstance(cell, Text) and cell.plain.startswith("✎") and "magenta" in str(cell.style)
        assert "✎" in coding.query_one("#detail-body").render().plain

        await pilot.press("p")  # toggle pain
        await settle(pilot)
        pain_before = db.execute("select pain from statements where id = ?", [statement_id]).fetchone()[0]
        await pilot.press("u")  # undo the pain change only
        await settle(pilot)
        assert db.execute("select pain from statements where id = ?", [statement_id]).fetchone()[0] != pain_before
        assert db.execute("select stage from statements where id = ?", [statement_id]).fetchone()[0] == target.id
        await pilot.press("u")
        await settle(pilot)
        assert not coding.table.get_cell(str(statement_id), "stage").plain.startswith("✎")
    human = open_db(small_path).execute("select count(*) from tags where origin = 'human' and statement_id = ?",
                                        [statement_id]).fetchone()[0]
    assert human == 0


async def test_multi_valued_recode_with_the_picker(small_app, small_path, codebook):
    async with small_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_coding(pilot)
        statement_id = pilot.app.coding.current_id()
        before = set(pilot.app.coding.rows[statement_id]["emotions"])
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("1", "enter")  # toggle the first emotion, save
        await settle(pilot)
    first = codebook.emotions[0].id
    stored = {r[0] for r in open_db(small_path).execute(
        "select value from tags where statement_id = ? and dimension = 'emotion' and origin = 'human' "
        "and superseded_by is null and value is not null", [statement_id])}
    assert stored == before ^ {first}


async def test_filter_line_and_pages(small_app, small_path):
    async with small_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        coding = await open_coding(pilot)
        first_page = set(coding.rows)
        await pilot.press("]")
        await settle(pilot)
        assert coding.page_number == 1 and coding.table.row_count == coding.total - 100 == 50
        assert min(coding.rows) > max(first_page)
        await pilot.press("[")
        await settle(pilot)
        assert set(coding.rows) == first_page
        await pilot.press("slash")
        coding.query_one("#filter").value = "stage:onboarding pain:yes"
        await pilot.press("enter")
        await settle(pilot)
        expected = open_db(small_path).execute("select count(*) from statements where stage = 'onboarding' "
                                               "and pain = 1").fetchone()[0]
        assert coding.total == expected == coding.table.row_count
        assert all(r["stage"] == "onboarding" and r["pain"] for r in coding.rows.values())


async def test_browse_opens_the_last_answer_in_the_coding_view(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, "pain points in onboarding")
        pilot.app.chat.input.value = "browse"
        await pilot.press("enter")
        coding = pilot.app.coding
        await until(pilot, lambda: pilot.app.query_one("#tabs").active == "coding" and coding.table.row_count)
        assert coding.total == pilot.app.last_answer.count == coding.table.row_count
        assert all(r["pain"] and r["stage"] == "onboarding" for r in coding.rows.values())


async def test_import_shows_progress_and_adds_statements(app, study_path, tmp_path):
    survey = tmp_path / "new_survey.csv"
    lines = ["respondent_id,what_could_we_improve"]
    lines += [f"N{i:03d},\"The courier left box {i} outside in the rain and nobody told me about the delay.\""
              for i in range(320)]
    survey.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = open_db(study_path).execute("select count(*) from statements").fetchone()[0]
    messages = []
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await settle(pilot)
        shown = await ask(pilot, f"import {survey}")
        for _ in range(100):
            if any(isinstance(m, WorkFinished) for m in messages):
                break
            await settle(pilot)
        shown = pilot.app.chat.answers()[-1].source
        assert not pilot.app.query_one("#work").has_class("running")
    after = open_db(study_path).execute("select count(*) from statements").fetchone()[0]
    assert after - before >= 320
    progress = [m for m in messages if isinstance(m, WorkProgress) and m.total]
    assert progress and progress[-1].done == progress[-1].total
    assert "new\\_survey.csv" in shown or "new_survey.csv" in shown
    assert f"**{after - before:,}** statements" in shown


async def test_a_failing_job_is_a_notification_not_a_traceback(small_app):
    async with small_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, "import /no/such/folder")
        await settle(pilot)
        notes = [n.message for n in pilot.app._notifications]
        assert any("no such file or folder" in n for n in notes)
        assert pilot.app.busy_job is None
        assert "failed" in pilot.app.chat.answers()[-1].source


async def test_preview_shows_the_journey_map_and_writes_it(small_app, small_path, codebook, tmp_path):
    from voicemap.report.journey_map import render_journey_map

    out = tmp_path / "map.md"
    async with small_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        preview = pilot.app.query_one("#preview-view")
        shown = preview.markdown_text
        assert shown == render_journey_map(open_db(small_path), codebook)
        headings = [h.plain for h in preview.query("MarkdownH2").results() if hasattr(h, "plain")] or [
            str(h.render()) for h in preview.query("MarkdownH2")]
        assert any(codebook.stages[0].label in h for h in headings)
        await pilot.press("f9")  # write it: a prompt with a default name, then the job
        await until(pilot, lambda: isinstance(pilot.app.screen, PathPrompt))
        pilot.app.screen.query_one(Input).value = str(out)
        await pilot.press("enter")
        await until(pilot, out.exists)
    assert out.read_text(encoding="utf-8") == shown


async def test_agreement_view_follows_recoding(small_app):
    async with small_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        view = pilot.app.query_one("#agreement-view")
        await until(pilot, lambda: "No statement has a human code yet" in view.markdown_text)
        await open_coding(pilot)
        await pilot.press("p")
        await pilot.press("f3")
        await until(pilot, lambda: "1 statements have a human code" in view.markdown_text)
        assert "(coders: tester (1))" in view.markdown_text


async def test_command_palette_offers_the_actions(small_app):
    async with small_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        names = [name for name, _, _ in pilot.app.palette_commands()]
        for action in ("Import", "Re-tag", "Cluster", "Export", "journey map"):
            assert any(action in name for name in names), action
        keys = {b.binding.key: b.binding.description for b in pilot.app.screen.active_bindings.values()}
        for key in ("f5", "f6", "f7", "f8", "f9", "ctrl+q"):
            assert key in keys and keys[key]
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"export")
        await pilot.pause(0.3)
        from textual.command import CommandPalette

        assert isinstance(pilot.app.screen, CommandPalette)


async def test_customer_text_is_never_markup(tmp_path, codebook, tagger):
    path = tmp_path / "hostile.db"
    build_study(open_db(path), [{"text": "[bold red]loud[/] [@click=app.quit]quit[/] \x1b[31mred", "speaker": "R1",
                                 "stage": "usage", "pain": True, "category": "quality"}])
    app = make_app(path, tagger_factory=lambda cb: tagger)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_coding(pilot)
        cell = pilot.app.coding.table.get_cell("1", "text")
        detail = pilot.app.coding.query_one("#detail-body").render().plain
        await ask(pilot, "show quotes about quality")
        assert pilot.app.is_running  # the [@click=app.quit] did nothing
    assert "[bold red]loud[/]" in cell.plain and "\x1b" not in cell.plain
    assert "[@click=app.quit]" in detail and "\x1b" not in detail


@pytest.mark.parametrize("size", [(100, 30), (120, 36), (200, 50)])
async def test_layout_guards(small_app, size):
    async with small_app.run_test(size=size) as pilot:
        await settle(pilot)
        width, height = size
        tabs = pilot.app.query_one("#tabs")
        ask_input = pilot.app.chat.input
        status = pilot.app.query_one("#status")
        transcript = pilot.app.query_one("#transcript")
        assert tabs.region.y == 0 and tabs.region.width == width
        assert status.region.y == height - 2 and status.region.height == 1  # above the footer
        assert ask_input.region.bottom == status.region.y and ask_input.region.height == 3
        assert transcript.region.bottom <= ask_input.region.y and transcript.region.height >= height - 10
        coding = await open_coding(pilot)
        table, detail = coding.query_one("#statements"), coding.query_one("#detail")
        assert not table.region.overlaps(detail.region)
        assert table.region.height >= 5 and detail.region.height >= 6
        text_width = dict((k, w) for k, _, w in coding.columns)["text"]
        assert text_width >= 24
        if width >= 150:  # detail beside the table, every code column shown
            assert detail.region.x >= table.region.right and "touchpoint" in dict(
                (k, w) for k, _, w in coding.columns)
        else:
            assert detail.region.y >= table.region.bottom
