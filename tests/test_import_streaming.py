"""Big files stream through the import: memory stays flat, and a late error still stores nothing of the file."""

from __future__ import annotations

import csv
import tracemalloc

import pytest

from voicemap.domain import Tags
from voicemap.importer import import_paths
from voicemap.ingest import ReadOptions, read_path, stream_path
from voicemap.store import open_db

ANSWERS = ["The courier was late again and nobody answered my emails.",
           "Love the recipes. The portions are generous.",
           "I could not cancel my subscription in the app, so I called support.",
           "Checkout froze twice when I tried to apply the discount code."]
OPTIONS = ReadOptions(kind="survey", text_columns=["answer"], id_column="respondent_id")


class QuickTagger:
    """Tags every statement the same, instantly: these tests are about reading and storing, not tagging."""

    def tag_texts(self, texts, batch_size=256):
        for text in texts:
            yield Tags(sentiment="negative", sentiment_score=-0.5, pain="late" in text)


def write_survey(path, rows: int, last_row: list[str] | None = None):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["respondent_id", "segment", "answer"])
        for number in range(rows):
            writer.writerow([f"R{number:05d}", ("family", "couple")[number % 2], ANSWERS[number % len(ANSWERS)]])
        if last_row:
            writer.writerow(last_row)
    return path


def counts(db) -> dict[str, int]:
    return {t: db[t].count for t in ("sources", "utterances", "statements", "tags", "participants", "corrections")}


@pytest.fixture
def study(tmp_path, sample_dir):
    """A study that already holds a source, so a failed import must leave it exactly as it was."""
    db = open_db(tmp_path / "study.db")
    report = import_paths(db, [sample_dir / "survey_2026_q1.csv"], tagger=QuickTagger(), workers=1)
    assert not report.failed
    return db


def test_an_error_on_the_last_row_stores_nothing_of_the_file(tmp_path, study, monkeypatch):
    rows = 3_000
    path = write_survey(tmp_path / "big.csv", rows, last_row=["R99999", "family", "One row too many."])
    monkeypatch.setenv("VOICEMAP_MAX_ROWS", str(rows))  # the row after the limit is the file's last
    before = counts(study)
    seen = []
    report = import_paths(study, [path], OPTIONS, tagger=QuickTagger(), workers=1,
                          progress=lambda name, done, total: seen.append(done))
    result = report.files[0]
    assert result.status == "failed"
    assert result.error.startswith(f"{path}: has more than 3,000 rows") and "\n" not in result.error
    assert max(seen) >= 2_500  # the error came late: most of the file had been tagged and staged
    assert counts(study) == before
    assert not study.execute("select name from sqlite_temp_master where type = 'table'").fetchall()


def test_a_failed_reimport_keeps_the_version_already_in_the_study(tmp_path, study, monkeypatch):
    path = write_survey(tmp_path / "big.csv", 2_000)
    assert import_paths(study, [path], OPTIONS, tagger=QuickTagger(), workers=1).files[0].status == "imported"
    before = counts(study)
    first_text = study.execute("select text from statements order by id desc limit 1").fetchone()[0]
    write_survey(path, 2_000, last_row=["R99999", "family", "A changed file whose last row breaks a limit."])
    monkeypatch.setenv("VOICEMAP_MAX_ROWS", "2000")
    report = import_paths(study, [path], OPTIONS, tagger=QuickTagger(), workers=1)
    assert report.files[0].status == "failed" and report.files[0].error.startswith(str(path))
    assert counts(study) == before  # the old version was not deleted before the new one was complete
    assert study.execute("select text from statements order by id desc limit 1").fetchone()[0] == first_text


def test_a_bad_last_line_of_json_lines_stores_nothing(tmp_path, study):
    path = tmp_path / "reviews.jsonl"
    lines = [f'{{"review_id": "{n}", "body": "{ANSWERS[n % 4]}", "rating": 2}}' for n in range(2_000)]
    path.write_text("\n".join(lines) + '\n{"review_id": "2000", "body": "cut off mid-reco\n', encoding="utf-8")
    before = counts(study)
    result = import_paths(study, [path], tagger=QuickTagger(), workers=1).files[0]
    assert result.status == "failed"
    assert result.error.startswith(f"{path}: line 2001 is not valid JSON")
    assert counts(study) == before


def test_a_tagging_failure_on_the_last_statement_stores_nothing(tmp_path, study):
    path = write_survey(tmp_path / "big.csv", 2_000)

    class FailsAtTheEnd(QuickTagger):
        def tag_texts(self, texts, batch_size=256):
            for number, tags in enumerate(super().tag_texts(texts, batch_size), start=1):
                if number == 2_000:
                    raise MemoryError("simulated: out of memory on the last statement")
                yield tags

    before = counts(study)
    result = import_paths(study, [path], OPTIONS, tagger=FailsAtTheEnd(), workers=1).files[0]
    assert result.status == "failed" and "out of memory on the last statement" in result.error
    assert counts(study) == before
    assert not study.execute("select name from sqlite_temp_master where type = 'table'").fetchall()


def test_reading_is_lazy(tmp_path):
    stream = stream_path(write_survey(tmp_path / "big.csv", 20_000), OPTIONS)
    first = [next(stream.utterances) for _ in range(10)]
    assert [u.row_id for u in first] == [f"R{n:05d}" for n in range(10)]
    assert 0 < stream.position() < 0.1  # ten answers taken, the rest of the file not read yet
    rest = sum(1 for _ in stream.utterances)
    assert rest == 20_000 - 10 and stream.position() == 1.0


def test_streamed_and_whole_reads_agree(tmp_path):
    path = write_survey(tmp_path / "big.csv", 1_000, last_row=["", "", ""])
    with open(path, "a", encoding="utf-8") as handle:
        handle.write('R77777,family,"an answer, with a comma\nand a line break"\nR88888,couple\n')
    whole = read_path(path, OPTIONS)
    stream = stream_path(path, OPTIONS)
    assert list(stream.utterances) == whole.utterances
    assert stream.source.skipped == whole.skipped == ["row 1004: no answer in answer"]


def _peak_import_memory(tmp_path, rows: int) -> int:
    path = write_survey(tmp_path / f"survey_{rows}.csv", rows)
    db = open_db(tmp_path / f"study_{rows}.db")
    tracemalloc.start()
    try:
        report = import_paths(db, [path], OPTIONS, tagger=QuickTagger(), workers=1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.statements >= rows
    return peak


def test_import_memory_does_not_grow_with_the_file(tmp_path, monkeypatch):
    import voicemap.ingest.decoding as decoding

    monkeypatch.setattr(decoding, "BLOCK", 16_384)  # both files span several of the blocks the reader holds
    small, big = _peak_import_memory(tmp_path, 600), _peak_import_memory(tmp_path, 4_000)
    # Holding the file would cost about 1.4 MB per 1,000 answers (about 5 MB more here).
    assert big - small < 1_500_000, f"{small / 1e6:.1f} MB for 600 answers, {big / 1e6:.1f} MB for 4,000"


def test_progress_knows_the_total_before_the_file_is_read(tmp_path):
    path = write_survey(tmp_path / "big.csv", 4_000)
    calls = []
    import_paths(open_db(None), [path], OPTIONS, tagger=QuickTagger(), workers=1,
                 progress=lambda name, done, total: calls.append((done, total)))
    statements = calls[-1][0]
    assert calls[0][0] == 0 and abs(calls[0][1] - statements) <= statements * 0.02  # the first line's total
    assert all(done <= total for done, total in calls) and calls[-1] == (statements, statements)
    assert len(calls) >= 4  # a line per batch, not one at the end


def test_worker_processes_read_a_stream_only_a_few_chunks_ahead(blank_tagger):
    from voicemap.nlp.parallel import ParallelTagger

    texts = [f"{ANSWERS[n % len(ANSWERS)]} ({n})" for n in range(1_500)]
    pulled = []

    def stream():
        for text in texts:
            pulled.append(text)
            yield text

    with ParallelTagger(blank_tagger, workers=2, min_parallel=50, chunk_size=16) as pool:
        assert pool.wait_ready(120)
        tags = pool.tag_texts(stream())
        first = [next(tags) for _ in range(10)]
        assert len(pulled) <= 150  # the size test, then a few chunks per worker in flight: not the whole input
        spread = first + list(tags)
        assert pool.tagged_in_workers > 1_000
    assert spread == list(blank_tagger.tag_texts(texts))
