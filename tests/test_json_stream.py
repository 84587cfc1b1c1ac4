"""A JSON review export is read record by record: same rows as parsing it whole, memory flat in its size.

Before, `json.loads` built every record first (a 500,000-review array took 338 MB more;
benchmarks/reader_memory.py). The streamed path must give exactly what the whole parse
gives — rows, row numbers, columns, skipped rows, and the same one-line error for a bad
file — so it is checked against that parse on generated files, hostile ones included.
"""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import voicemap.ingest.json_stream as json_stream
import voicemap.ingest.tabular as tabular
from voicemap.ingest import InputFileError, ReadOptions, read_path
from voicemap.ingest.tabular import read_table

EXAMPLES = settings(max_examples=150, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
TEXT = st.lists(st.sampled_from(list("ab c\"\\/{}[],:\n\r\t\x1b\x00\ufeffé😀") + ["\\u00e9", "late", "\ud800"]),
                max_size=8).map("".join)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2 ** 70), max_value=2 ** 70) | st.floats() | TEXT,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3),
    max_leaves=8,
)
RECORDS = st.lists(st.dictionaries(st.sampled_from(["body", "rating", "id", "date", "a.b", ""]) | TEXT, VALUES,
                                   max_size=5), max_size=6)


def table_or_error(path: Path, streamed: bool):
    """What `read_table` gives (or the error it raises), with or without the streaming path."""
    original = tabular.stream_json_records
    tabular.stream_json_records = original if streamed else (lambda *args: None)
    try:
        table = read_table(path)
        return table.rows, table.row_numbers, table.columns, table.skipped
    except InputFileError as exc:
        return str(exc)
    finally:
        tabular.stream_json_records = original


def uses_stream(path: Path) -> bool:
    from voicemap.ingest.decoding import TextStream
    from voicemap.settings import limits

    return json_stream.stream_json_records(path, TextStream(path), limits()) is not None


@EXAMPLES
@given(records=RECORDS, layout=st.sampled_from(["list", "wrapped", "indented", "two lists", "raw"]),
       raw=st.binary(max_size=200))
def test_streamed_records_equal_the_whole_parse(tmp_path_factory, records, layout, raw):
    if layout == "raw":
        data = b"[" + raw + b"]"
    else:
        value = {"list": records, "indented": records, "wrapped": {"meta": {"n": 1}, "reviews": records},
                 "two lists": {"a": records, "b": records}}[layout]
        data = json.dumps(value, indent=2 if layout == "indented" else None,
                          ensure_ascii=len(records) % 2 == 0).encode("utf-8", "surrogatepass")
    path = tmp_path_factory.mktemp("json") / "reviews.json"
    path.write_bytes(data)
    assert table_or_error(path, streamed=True) == table_or_error(path, streamed=False)


def test_ordinary_exports_take_the_streaming_path(tmp_path):
    records = [{"id": n, "rating": n % 5 + 1, "body": f"The box came late, week {n} 😀"} for n in range(50)]
    shapes = {"list.json": json.dumps(records), "wrapped.json": json.dumps({"count": 50, "reviews": records}),
              "indented.json": json.dumps(records, indent=4)}
    for name, text in shapes.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        assert uses_stream(path), name
        source = read_path(path, ReadOptions(kind="reviews"))
        assert [u.row_id for u in source.utterances] == [str(n) for n in range(50)]
        assert source.utterances[7].text == "The box came late, week 7 😀"
    single = tmp_path / "single.json"
    single.write_text(json.dumps(records[0]), encoding="utf-8")
    assert not uses_stream(single)  # one object is one record: parsed whole, as before
    assert len(read_path(single, ReadOptions(kind="reviews")).utterances) == 1


def peak_reading(path: Path) -> int:
    tracemalloc.start()
    try:
        source = read_table(path)
        assert source.rows
        del source
        table = tabular.open_table(path)
        count = sum(1 for _ in table.records())
        assert count
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("indent", [None, 2])
def test_memory_does_not_grow_with_the_number_of_records(tmp_path, indent):
    def export(n: int) -> Path:
        path = tmp_path / f"reviews{n}.json"
        records = [{"id": f"r{i}", "rating": 1 + i % 5, "content": f"The courier left box {i} at the wrong door."}
                   for i in range(n)]
        path.write_text(json.dumps(records, indent=indent), encoding="utf-8")
        return path

    small, large = export(2_000), export(40_000)
    tracemalloc.start()
    try:
        count = sum(1 for _ in tabular.open_table(small).records())
        small_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        count += sum(1 for _ in tabular.open_table(large).records())
        large_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 42_000
    # the large file is ~20x the small one and several MB; json.loads would hold all of it as objects
    assert large.stat().st_size > 3_000_000
    assert large_peak < small_peak + 1_000_000, f"{small_peak / 1e6:.1f} MB -> {large_peak / 1e6:.1f} MB"
