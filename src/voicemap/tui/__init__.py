"""The terminal app: the only package that imports Textual; everything it shows comes from the core."""
