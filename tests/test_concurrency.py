"""The TUI open while a teammate runs `voicemap import` on the same study: both succeed.

A reader thread does what the TUI does (one long-lived connection; counts, pages of
statements, search, the overview, context, and coding statements by hand) while real
`voicemap import` / `voicemap retag` processes write to the same database file. WAL
lets the reader read during writes; the busy timeout and the lock retries let writers
take turns. Afterwards: every process succeeded, the reader saw the new data without
reopening, the database is whole and every human code made during the writes is there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from voicemap.store import open_db
from voicemap.store.coding import set_human_code, undo_last_correction
from voicemap.store.integrity import database_problems
from voicemap.store.query import StatementFilter, context_turns, count_statements, select_statements, study_overview

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_feedback"
PROCESS_TIMEOUT = 180


def voicemap(db: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "voicemap", "--db", str(db), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=PROCESS_TIMEOUT)
    assert process.returncode == 0, f"{process.args} exited {process.returncode}\n{out}\n{err}"
    return out


class TuiLikeReader(threading.Thread):
    """Reads (and codes) through the core queries the TUI uses until told to stop."""

    def __init__(self, db_path: Path, code: bool):
        super().__init__(daemon=True)
        self.db_path, self.code = db_path, code
        self.stop = threading.Event()
        self.errors: list[str] = []
        self.counts: list[int] = []
        self.coded: dict[int, str] = {}  # statement id -> stage coded by hand while writers ran
        self.rounds = 0

    def run(self) -> None:
        try:
            db = open_db(self.db_path)  # like the TUI: opened once, kept open
        except Exception as exc:  # noqa: BLE001 - any failure is the finding
            self.errors.append(f"open: {exc!r}")
            return
        stages = ["usage", "support", "retention"]
        while not self.stop.is_set() or self.rounds < 1:
            try:
                total = count_statements(db)
                self.counts.append(total)
                page = list(select_statements(db, StatementFilter(), limit=50, offset=max(0, total - 50)))
                list(select_statements(db, StatementFilter(search="delivery late"), limit=20))
                list(select_statements(db, StatementFilter(pain=True, stage="support"), limit=20))
                study_overview(db)
                if page:
                    context_turns(db, page[-1]["utterance_id"])
                if self.code and page and self.rounds % 3 == 0:
                    target = page[self.rounds % len(page)]["id"]
                    stage = stages[self.rounds % len(stages)]
                    set_human_code(db, target, "stage", stage, coder="tui")
                    self.coded[target] = stage
                    if self.rounds % 9 == 0:  # and an undo now and then, as a coder does
                        set_human_code(db, target, "emotion", ["relief"], coder="tui")
                        undo_last_correction(db, coder="tui")
            except Exception as exc:  # noqa: BLE001
                self.errors.append(repr(exc))
            self.rounds += 1
            time.sleep(0.02)
        db.close()


def seeded_db(tmp_path: Path, tagger, files: list[Path]) -> Path:
    from voicemap.importer import import_paths

    path = tmp_path / "study.db"
    db = open_db(path)
    report = import_paths(db, files, tagger=tagger)
    assert not report.failed
    db.close()
    return path


def check_after(path: Path, reader: TuiLikeReader) -> None:
    print(f"\n[concurrency] the reader ran {reader.rounds} rounds of queries, saw {len(set(reader.counts))} "
          f"different statement counts and coded {len(reader.coded)} statements while the writers ran")
    assert reader.errors == [], reader.errors[:5]
    db = open_db(path)
    final = count_statements(db)
    assert reader.counts == sorted(reader.counts), "a reader saw statements disappear"
    assert reader.counts[-1] == final, "the open reader did not pick up the new data"
    assert database_problems(db) == []
    for statement_id, stage in reader.coded.items():
        human = db.execute("select value from tags where statement_id = ? and dimension = 'stage' and origin = 'human' "
                           "and superseded_by is null", [statement_id]).fetchall()
        assert human, f"human code on statement {statement_id} lost"
    assert not db.execute("select count(*) from tags where dimension = 'emotion' and origin = 'human' "
                          "and value = 'relief'").fetchone()[0], "an undone code came back"


INTERVIEWS = sorted((SAMPLES / "interviews").glob("*.txt"))


def test_import_while_the_tui_reads_and_codes(tmp_path, tagger):
    path = seeded_db(tmp_path, tagger, INTERVIEWS[:1])
    reader = TuiLikeReader(path, code=True)
    reader.start()
    writer = voicemap(path, "import", *map(str, INTERVIEWS[1:]), str(SAMPLES / "survey_2026_q1.csv"))
    out = finish(writer)
    reader.stop.set()
    reader.join(timeout=60)
    assert "Done: 5 of 5 files imported" in out
    assert len(set(reader.counts)) >= 2, "the reader should have seen the study grow"
    assert reader.coded, "the reader should have coded statements while the import ran"
    check_after(path, reader)


def test_two_teammates_import_at_once_while_the_tui_reads(tmp_path, tagger):
    path = seeded_db(tmp_path, tagger, INTERVIEWS[:1])
    reader = TuiLikeReader(path, code=True)
    reader.start()
    writers = [voicemap(path, "import", *map(str, INTERVIEWS[1:3])),
               voicemap(path, "import", *map(str, INTERVIEWS[3:]), str(SAMPLES / "survey_2026_q1.csv"))]
    for writer in writers:
        finish(writer)
    reader.stop.set()
    reader.join(timeout=60)
    check_after(path, reader)
    db = open_db(path)
    assert db["sources"].count == 6


def test_retag_while_the_tui_codes(tmp_path, tagger):
    path = seeded_db(tmp_path, tagger, INTERVIEWS[:2])
    reader = TuiLikeReader(path, code=True)
    reader.start()
    finish(voicemap(path, "retag"))
    reader.stop.set()
    reader.join(timeout=60)
    check_after(path, reader)
    db = open_db(path)
    for statement_id, stage in reader.coded.items():  # the last human code of each statement is its effective code
        row = db.execute("select stage, origin from statements where id = ?", [statement_id]).fetchone()
        assert row == (stage, "human")


def test_first_open_of_a_new_or_old_database_by_several_at_once(tmp_path):
    """Two teammates opening a new study, or one made by an older voicemap, at the same moment."""
    fixture = Path(__file__).parent / "data" / "voicemap_schema_001.db"
    for name, start in (("new.db", None), ("old.db", fixture)):
        path = tmp_path / name
        if start:
            shutil.copyfile(start, path)
        barrier = threading.Barrier(4)
        errors: list[str] = []

        def open_it():
            barrier.wait()
            try:
                open_db(path).close()
            except Exception as exc:  # noqa: BLE001
                errors.append(repr(exc))

        threads = [threading.Thread(target=open_it) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == [], (name, errors)
        db = open_db(path)
        assert database_problems(db) == []
        assert len(list(tmp_path.glob(f"{name}.*.bak"))) == (1 if start else 0)


async def test_the_app_itself_sees_a_teammates_import(tmp_path, tagger, codebook):
    """The real app, open on a study, answers from what a concurrent `voicemap import` added."""
    import asyncio

    from voicemap.assistant import Assistant
    from voicemap.tui.app import make_app

    path = seeded_db(tmp_path, tagger, INTERVIEWS[:1])
    app = make_app(path, tagger_factory=lambda cb: tagger)

    async def ask(pilot, question: str) -> str:
        chat = pilot.app.chat
        chat.input.focus()
        chat.input.value = question
        before = len(chat.answers())
        await pilot.press("enter")
        for _ in range(1000):
            if len(chat.answers()) > before and chat.answers()[-1].source:
                break
            await pilot.pause(0.02)
        await pilot.app.workers.wait_for_complete()
        return chat.answers()[-1].source

    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        before = await ask(pilot, "overview")
        writer = voicemap(path, "import", *map(str, INTERVIEWS[1:3]))
        while writer.poll() is None:  # keep using the app while the import runs
            await ask(pilot, "top issues")
            await asyncio.sleep(0.05)
        finish(writer)
        after = await ask(pilot, "overview")
    expected = Assistant(open_db(path), codebook).ask("overview").markdown
    assert after == expected and after != before
