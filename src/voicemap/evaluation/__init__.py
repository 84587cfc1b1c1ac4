"""Measuring the tagger against public, human-labelled feedback (issue 6).

Each labelled set is imported through the normal import path into a throw-away
database, its tags are read back, aggregated per input row and compared with the
human labels. The data lives outside the project (`../shared/eval/data/`) and is
only read at run time: nothing from it is copied into the repository.
"""
