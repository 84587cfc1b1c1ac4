"""Peak memory of reading a review export, by format and size: does it grow with the file?

Each measurement runs in a fresh process that opens the file with voicemap's reader and
takes every utterance, without tagging or storing (the import's memory is measured by
perf.py; this isolates the reader). Prints a Markdown table of the growth in peak RSS
over the process's own start (Linux: it reads /proc/self/status).

    python benchmarks/reader_memory.py --sizes 20000,100000,500000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import statements  # noqa: E402

FORMATS = {
    ".json": lambda records: json.dumps(records),  # one line, as most exporters write it
    ".json (wrapped, indented)": lambda records: json.dumps({"reviews": records}, indent=2),
    ".jsonl": lambda records: "\n".join(json.dumps(record) for record in records),
}

# VmHWM, not ru_maxrss: a child started by fork+exec inherits its parent's ru_maxrss on Linux.
_CHILD = """
import sys, time
from voicemap.ingest import ReadOptions, stream_path
def status_mb(field):
    with open("/proc/self/status") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith(field + ":")) / 1024
start = status_mb("VmRSS")
began = time.perf_counter()
count = sum(1 for _ in stream_path(sys.argv[1], ReadOptions(kind="reviews")).utterances)
print(count, status_mb("VmHWM") - start, time.perf_counter() - began)
"""


def write_reviews(path: Path, n: int, render) -> Path:
    texts = statements(min(n, 20_000))
    records = [{"review_id": f"r{i}", "rating": 1 + i % 5, "date": f"2026-01-{1 + i % 28:02d}",
                "content": texts[i % len(texts)]} for i in range(n)]
    path.write_text(render(records), encoding="utf-8")
    return path


def measure(path: Path) -> tuple[int, float, float]:
    out = subprocess.run([sys.executable, "-c", _CHILD, str(path)], check=True, capture_output=True, text=True)
    count, grown, seconds = out.stdout.split()
    return int(count), float(grown), float(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20000,100000,500000", help="records per file, comma-separated")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    print("| format | records | file MB | peak RSS growth MB | seconds |")
    print("|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        for name, render in FORMATS.items():
            for n in sizes:
                path = write_reviews(Path(folder) / f"reviews{n}{name.split()[0]}", n, render)
                count, grown, seconds = measure(path)
                assert count == n, f"{path.name}: read {count} of {n} records"
                print(f"| {name} | {n:,} | {path.stat().st_size / 1e6:.0f} | {grown:.0f} | {seconds:.1f} |", flush=True)
                path.unlink()


if __name__ == "__main__":
    main()
