"""Markdown reports: pure functions from the database to a string; callers write files."""
