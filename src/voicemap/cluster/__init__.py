"""Recurring issues: clustering statements, naming, storing and editing clusters, scoring them.

Nothing is imported here on purpose: scikit-learn takes about a second to import, and
`voicemap --help`, the TUI and the other commands should not pay for it. Import the
module you need: `run.cluster_pain_points`, `issues.load_issues`, `edits.rename_cluster`…
"""
