"""SIGKILL at any moment of an import, a re-tag or a clustering run loses nothing.

Real `python -m voicemap` processes are killed at random moments, over and over, on
study databases that already hold a researcher's human codes. After every kill the
database must pass SQLite's integrity check and voicemap's own (no half-imported
source, no orphan rows, every statement fully tagged), hold only whole versions of
each file, and keep every human code; then re-running the command must finish the
rest and give exactly what an uninterrupted run gives.

The test runs for a time budget (VOICEMAP_KILL_TEST_SECONDS, default 45 s, with a
floor of a few kills per command) on two lanes in parallel, so the number of kills
adapts to the machine; with `-s` it prints how many kill points it tried and the
state each kill left (VOICEMAP_KILL_TEST_SEED replays a run's random choices). For a
longer soak, raise the budget and lift pytest's per-test timeout: `--timeout=0`.
"""

from __future__ import annotations

import csv
import io
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlite_utils import Database

from voicemap.store.backup import backup_database
from voicemap.store.integrity import database_problems

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_feedback"
BUDGET = float(os.environ.get("VOICEMAP_KILL_TEST_SECONDS", "45"))
LANES = 2
MIN_KILLS_PER_LANE = {"import": 2, "retag": 2, "cluster": 2}  # however slow the machine, per lane
PROCESS_TIMEOUT = 300
SEED = int(os.environ.get("VOICEMAP_KILL_TEST_SEED", str(random.SystemRandom().randrange(10**6))))


@dataclass
class Timing:
    first_output: float  # seconds until the command first reports progress (start-up, then real work)
    duration: float


def voicemap(db: Path, log: Path, *args: str) -> subprocess.Popen:
    with log.open("w") as out:  # the child keeps its own handle
        return subprocess.Popen([sys.executable, "-m", "voicemap", "--db", str(db), *args],
                                env={**os.environ, "PYTHONUNBUFFERED": "1"}, stdout=out, stderr=subprocess.STDOUT)


def wait_for_output(process: subprocess.Popen, log: Path) -> None:
    while process.poll() is None and log.stat().st_size == 0:
        time.sleep(0.005)


def run_to_end(db: Path, *args: str) -> Timing:
    log = db.with_suffix(".log")
    started = time.monotonic()
    process = voicemap(db, log, *args)
    wait_for_output(process, log)
    first_output = time.monotonic() - started
    process.wait(timeout=PROCESS_TIMEOUT)
    assert process.returncode == 0, f"voicemap {' '.join(args)} failed:\n{log.read_text()[-2000:]}"
    return Timing(first_output, time.monotonic() - started)


def make_inputs(folder: Path) -> list[Path]:
    """Many small files (two interviews, the reviews and survey in slices): many commits per run."""
    folder.mkdir()
    files = []
    for interview in sorted((SAMPLES / "interviews").glob("*.txt"))[:2]:
        files.append(folder / interview.name)
        shutil.copyfile(interview, files[-1])
    lines = (SAMPLES / "app_reviews.jsonl").read_text(encoding="utf-8").splitlines()
    for start in range(0, len(lines), 6):
        files.append(folder / f"reviews_{start:03d}.jsonl")
        files[-1].write_text("\n".join(lines[start:start + 6]) + "\n", encoding="utf-8")
    rows = list(csv.reader(io.StringIO((SAMPLES / "survey_2026_q1.csv").read_text(encoding="utf-8"))))
    for start in range(1, len(rows), 25):
        buffer = io.StringIO()
        csv.writer(buffer).writerows([rows[0], *rows[start:start + 25]])
        files.append(folder / f"survey_{start:03d}.csv")
        files[-1].write_text(buffer.getvalue(), encoding="utf-8")
    return files


def human_codes(conn: sqlite3.Connection) -> set[tuple]:
    return set(conn.execute(
        "select s.text, t.dimension, t.value, t.coder, t.created_at from tags t join statements s on s.id = t.statement_id "
        "where t.origin = 'human' and t.superseded_by is null").fetchall())


def source_versions(conn: sqlite3.Connection) -> dict[str, tuple[int, int]]:
    return {name: (utterances, statements) for name, utterances, statements in
            conn.execute("select name, utterances, statements from sources").fetchall()}


@dataclass
class Expected:
    """What a whole study looks like, from uninterrupted runs."""

    versions: dict[str, set[tuple[int, int]]]  # file name -> the (utterances, statements) of each whole version
    final: dict[str, tuple[int, int]]
    codes: set[tuple]
    effective: dict[str, str]  # text of a human-coded statement -> its human stage
    cluster_names: set[tuple] = field(default_factory=set)  # (cluster id, name a researcher gave it)


def problems_after_kill(db_path: Path, expected: Expected) -> list[str]:
    """Everything wrong with a database a killed process left behind (empty: nothing)."""
    conn = sqlite3.connect(str(db_path), timeout=30)
    try:
        check = conn.execute("PRAGMA integrity_check").fetchall()
        if check != [("ok",)]:
            return [f"integrity_check: {check[:3]}"]
        problems = list(database_problems(Database(conn)))
        for name, version in source_versions(conn).items():
            if version not in expected.versions.get(name, set()):
                problems.append(f"{name}: {version} is not a whole version of the file ({expected.versions.get(name)})")
        half = conn.execute("select count(*) from statements s where not exists (select 1 from tags t where "
                            "t.statement_id = s.id)").fetchone()[0]
        if half:
            problems.append(f"{half} statements without any tag")
        codes = human_codes(conn)
        if codes != expected.codes:
            problems.append(f"human codes changed: lost {expected.codes - codes}, gained {codes - expected.codes}")
        for text, stage in expected.effective.items():
            row = conn.execute("select stage, origin from statements where text = ?", [text]).fetchone()
            if row != (stage, "human"):
                problems.append(f"effective code of {text[:40]!r} is {row}, not ({stage!r}, 'human')")
        if "cluster_runs" in {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}:
            names = set(conn.execute("select id, human_label from clusters where human_label is not null").fetchall())
            if names != expected.cluster_names:
                problems.append(f"cluster names changed: {expected.cluster_names} became {names}")
            for run_id, clustered, clusters, members, distinct in conn.execute(
                    "select r.id, r.clustered, r.clusters, count(m.statement_id), count(distinct m.cluster_id) "
                    "from cluster_runs r left join cluster_members m on m.run_id = r.id group by r.id").fetchall():
                if (clustered, clusters) != (members, distinct):
                    problems.append(f"cluster run {run_id} is half-written: {members} of {clustered} members")
        return problems
    finally:
        conn.close()


@dataclass
class Tally:
    kills: int = 0
    finished_before_kill: int = 0
    completions: int = 0
    landed: Counter = field(default_factory=Counter)  # how many files were committed when the kill came
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def work_left(db: Path, expected: Expected) -> float:
    """Share of the input's statements not yet imported (re-runs skip whole files already in)."""
    conn = sqlite3.connect(str(db))
    try:
        versions = source_versions(conn)
    finally:
        conn.close()
    total = sum(statements for _, statements in expected.final.values())
    done = sum(versions[name][1] for name, version in expected.final.items() if versions.get(name) == version)
    return max(0.1, 1 - done / total)


def kill_once(db: Path, args: list[str], timing: Timing, rng: random.Random, expected: Expected, tally: Tally,
              label) -> None:
    """Start the command and SIGKILL it: a third of the time at any moment, else once it is doing real work.

    A resumed import has less left to do than a clean one, so its window shrinks to the work left.
    """
    log = db.with_suffix(".log")
    work = max(0.05, (timing.duration - timing.first_output) * (work_left(db, expected) if args[0] == "import" else 1.0))
    started = time.monotonic()
    process = voicemap(db, log, *args)
    if rng.random() < 1 / 3:
        delay = rng.uniform(0.1, (timing.first_output + work) * 1.05)
    else:
        wait_for_output(process, log)
        delay = time.monotonic() - started + rng.uniform(0, work)
    try:
        process.wait(timeout=max(0.0, delay - (time.monotonic() - started)))
        with tally.lock:
            tally.finished_before_kill += 1
            if process.returncode != 0:
                tally.failures.append(f"{args} exited {process.returncode}: {log.read_text()[-500:]}")
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
        with tally.lock:
            tally.kills += 1
    problems = problems_after_kill(db, expected)
    with tally.lock:
        tally.landed[label(db)] += 1
        tally.failures += [f"after killing {args[0]} at {delay:.2f}s: {p}" for p in problems]


def kill_lane(seed_db: Path, work: Path, lane: int, args: list[str], timing: Timing, deadline: float,
              expected: Expected, tally: Tally, label) -> None:
    """Kill, check, kill again on the same database; then let a run finish and compare with a clean run."""
    rng = random.Random(SEED + lane + len(args[0]))
    cycle, kills = 0, 0
    least = MIN_KILLS_PER_LANE.get(args[0], 2)
    while not tally.failures and (kills < least or time.monotonic() + 2 * timing.duration < deadline):
        cycle += 1
        db = work / f"{args[0]}-lane{lane}-cycle{cycle}.db"
        backup_database(seed_db, db)
        for _ in range(rng.randint(2, 4)):
            if kills >= least and time.monotonic() + 2 * timing.duration >= deadline:
                break
            kill_once(db, args, timing, rng, expected, tally, label)
            kills += 1
        run_to_end(db, *args)
        conn = sqlite3.connect(str(db))
        final = source_versions(conn)
        conn.close()
        problems = problems_after_kill(db, expected)
        with tally.lock:
            tally.completions += 1
            if final != expected.final:
                tally.failures.append(f"re-run after kills ended with {final}, a clean run gives {expected.final}")
            tally.failures += [f"after the re-run: {p}" for p in problems]


def run_lanes(seed_db: Path, work: Path, args: list[str], timing: Timing, seconds: float, expected: Expected,
              label) -> Tally:
    tally = Tally()
    deadline = time.monotonic() + seconds

    def lane(number: int) -> None:
        try:
            kill_lane(seed_db, work, number, args, timing, deadline, expected, tally, label)
        except Exception as exc:  # noqa: BLE001 - reported with the other failures
            tally.failures.append(f"lane {number}: {exc!r}")

    lanes = [threading.Thread(target=lane, args=(number,)) for number in range(LANES)]
    for thread in lanes:
        thread.start()
    for thread in lanes:
        thread.join()
    return tally


def report(what: str, tally: Tally, seconds: float) -> None:
    def order(state: str) -> tuple:
        head = state.split("/")[0].split()[0]
        return (int(head) if head.isdigit() else -1, state)

    landed = ", ".join(f"{k}: {n}" for k, n in sorted(tally.landed.items(), key=lambda kv: order(kv[0])))
    print(f"\n[kill test, seed {SEED}] {what}: {tally.kills} kills + {tally.finished_before_kill} runs that finished "
          f"first, {tally.completions} re-runs to the end, in {seconds:.0f}s; state at each check: {landed}")


@pytest.fixture(scope="module")
def study(tmp_path_factory, tagger):
    """A seeded study (one interview imported and hand-coded), and an input folder that changes that interview."""
    from voicemap.importer import import_paths
    from voicemap.store import open_db
    from voicemap.store.coding import set_human_code, undo_last_correction

    work = tmp_path_factory.mktemp("kill")
    files = make_inputs(work / "input")
    seed_db = work / "seed.db"
    db = open_db(seed_db)
    assert not import_paths(db, files[:1], tagger=tagger).failed
    coded = db.execute("select id, text from statements order by id limit 3 offset 5").fetchall()
    for (statement_id, _), stage in zip(coded, ["support", "retention", "usage"]):
        set_human_code(db, statement_id, "stage", stage, coder="ana")
    set_human_code(db, coded[0][0], "emotion", ["frustration", "anxiety"], coder="ben")
    set_human_code(db, coded[1][0], "pain_category", "delivery", coder="ana")
    undo_last_correction(db, coder="ana")
    db.close()
    seed_versions = source_versions(sqlite3.connect(str(seed_db)))
    with files[0].open("a", encoding="utf-8") as handle:  # the interview changed: the import must replace it whole
        handle.write("[00:30:00] Maria: One more thing. The new recipe cards arrived soaked and unreadable.\n")
    return {"work": work, "files": files, "seed": seed_db, "seed_versions": seed_versions,
            "effective": {text: stage for (_, text), stage in zip(coded, ["support", "retention", "usage"])}}


def expected_from(db_path: Path, earlier: dict[str, tuple[int, int]], effective: dict[str, str]) -> Expected:
    conn = sqlite3.connect(str(db_path))
    final, codes = source_versions(conn), human_codes(conn)
    conn.close()
    versions = {name: {version} for name, version in final.items()}
    for name, version in earlier.items():
        versions.setdefault(name, set()).add(version)
    return Expected(versions, final, codes, effective)


def test_sigkill_during_import_retag_and_cluster_loses_nothing(study):
    from voicemap.cli import main

    work, seed_db = study["work"], study["seed"]
    end = time.monotonic() + BUDGET
    commands = ["import"] + [c for c in ("retag", "cluster") if c in main.commands]
    shares = {"import": 2, "retag": 1, "cluster": 1}

    def seconds_for(command: str) -> float:
        """This command's share of what is left of the budget (later commands still need a clean run each)."""
        left = commands[commands.index(command):]
        remaining = end - time.monotonic() - 5.0 * (len(left) - 1)
        return max(3.0, remaining * shares[command] / sum(shares[c] for c in left))

    # a clean run of the import gives what every killed-and-resumed one must end with
    clean = work / "clean-import.db"
    backup_database(seed_db, clean)
    import_args = ["import", str(work / "input")]
    timing = run_to_end(clean, *import_args)
    expected = expected_from(clean, study["seed_versions"], study["effective"])
    assert problems_after_kill(clean, expected) == []
    before = human_codes(sqlite3.connect(str(seed_db)))
    assert expected.codes == before and len(before) >= 4  # the clean replace carried every human code over

    def files_committed(db: Path) -> str:
        conn = sqlite3.connect(str(db))
        versions = source_versions(conn)
        conn.close()
        done = sum(versions.get(name) == version for name, version in expected.final.items())
        return f"{done}/{len(expected.final)} files"

    started = time.monotonic()
    tally = run_lanes(seed_db, work, import_args, timing, seconds_for("import"), expected, files_committed)
    report("import", tally, time.monotonic() - started)
    assert not tally.failures, "\n".join(tally.failures[:10])
    assert tally.kills >= LANES and tally.completions >= LANES

    for command in commands[1:]:
        # later commands start from the clean, fully imported study; a first clean run times them
        # retag --all: a plain retag of an unchanged codebook has nothing to do, and the lane must kill real writes
        args = [command] + {"cluster": ["--min-size", "2"], "retag": ["--all"]}.get(command, [])
        base = work / f"clean-{command}.db"
        backup_database(clean, base)
        timing = run_to_end(base, *args)
        if command == "cluster":  # a researcher names a cluster: the name must survive killed re-runs
            from voicemap.cluster.edits import rename_cluster
            from voicemap.store import open_db

            db = open_db(base)
            first = db.execute("select id from clusters order by id limit 1").fetchone()
            assert first, "the sample study should give at least one cluster"
            rename_cluster(db, first[0], "Late boxes (named by Ana)", coder="ana")
            db.close()
            expected.cluster_names = {(first[0], "Late boxes (named by Ana)")}
        assert problems_after_kill(base, expected) == []
        started_at = sqlite3.connect(str(base)).execute("select max(created_at) from tags").fetchone()[0]

        def phase(db: Path, command=command, started_at=started_at) -> str:
            conn = sqlite3.connect(str(db))
            try:
                if command == "retag":
                    fresh, total = conn.execute(
                        "select count(distinct statement_id) filter (where created_at > ?), count(distinct statement_id) "
                        "from tags where origin != 'human'", [started_at]).fetchone()
                    return "none re-tagged" if not fresh else "all re-tagged" if fresh == total else "part re-tagged"
                return f"{conn.execute('select count(*) from cluster_runs').fetchone()[0]} cluster runs"
            finally:
                conn.close()

        started = time.monotonic()
        tally = run_lanes(base, work, args, timing, seconds_for(command), expected, phase)
        report(command, tally, time.monotonic() - started)
        assert not tally.failures, "\n".join(tally.failures[:10])
        assert tally.kills >= LANES
