"""Interchange with the tools researchers already use: QDA software and spreadsheets.

`qdpx` writes a REFI-QDA project (NVivo, ATLAS.ti, MAXQDA, QualCoder open it),
`qdc` writes and reads REFI-QDA codebooks, `matrix` writes the code matrix
spreadsheet. None of them touches the database: they read it and return bytes or
text for the caller to write.
"""
