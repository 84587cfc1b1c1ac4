"""Where one statement's time goes: each pipeline component, building tags, and each import step.

CPU microseconds per statement, one process, on a sample of the corpus. The tagger's
components are timed one at a time over Docs the previous ones produced, exactly in
pipeline order; the import steps (read, segment, stage, copy in) are timed with tags
already made, so they show the importer's own cost without the tagger's.
"""

from __future__ import annotations

import time
from pathlib import Path


def _cpu(action) -> float:
    started = time.process_time()
    action()
    return time.process_time() - started


def component_costs(texts: list[str]) -> list[tuple[str, float]]:
    """(component, µs per statement) for the default tagger, plus `doc_to_tags`."""
    from voicemap.nlp.tagger import Tagger, doc_to_tags

    tagger = Tagger(quiet=True)
    nlp = tagger.nlp
    docs = []
    out = [("tokenizer", _cpu(lambda: docs.extend(nlp.make_doc(t) for t in texts)))]
    for name, component in nlp.pipeline:
        if hasattr(component, "pipe"):
            out.append((name, _cpu(lambda: docs.__setitem__(slice(None), list(component.pipe(docs, batch_size=256))))))
        else:
            out.append((name, _cpu(lambda: docs.__setitem__(slice(None), [component(d) for d in docs]))))
    out.append(("doc_to_tags (tagger.py)", _cpu(lambda: [doc_to_tags(d) for d in docs])))
    return [(name, seconds / len(texts) * 1e6) for name, seconds in out]


def import_step_costs(csv_path: Path, db_path: Path) -> list[tuple[str, float]]:
    """(step, µs per statement) of an import whose tags are already known."""
    from voicemap.ingest import ReadOptions, read_path
    from voicemap.nlp.segment import split_statements
    from voicemap.nlp.tagger import Tagger
    from voicemap.store import open_db
    from voicemap.store.write import StagedSource, TaggedStatement

    options = ReadOptions(kind="survey", text_columns=["what_could_we_improve"], id_column="respondent_id")
    list(split_statements(["Warm up the segmenter once. It is built on first use."]))  # steady state, not start-up
    found: dict = {}
    read = _cpu(lambda: found.update(source=read_path(csv_path, options)))
    source = found["source"]
    segment = _cpu(lambda: found.update(groups=list(split_statements([u.text for u in source.utterances]))))
    groups = found["groups"]
    statements = sum(len(g) for g in groups)
    sample = list(Tagger(quiet=True).tag_texts([s.text for g in groups[:200] for s in g]))
    if db_path.exists():
        db_path.unlink()
    db = open_db(db_path)
    staged = StagedSource(db, source)

    def stage() -> None:
        counter = iter(range(statements))
        items = [(u, [TaggedStatement(s, sample[next(counter) % len(sample)]) for s in g])
                 for u, g in zip(source.utterances, groups)]
        for start in range(0, len(items), 512):
            staged.add(items[start:start + 512])

    def commit() -> None:
        with db.atomic():
            staged.commit("benchmark", None)

    costs = [("read (ingest)", read), ("segment (segment.py)", segment), ("stage rows (write.py)", _cpu(stage)),
             ("copy into the study: ids, participants, FTS, indexes", _cpu(commit))]
    staged.drop()
    db.close()
    return [(name, seconds / statements * 1e6) for name, seconds in costs]
