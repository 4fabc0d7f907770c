"""CSV cells that a spreadsheet opens as text, never as a formula (CSV/formula injection).

A ticket subject, a failure reason or a source id can start with "=", "+", "-", "@" or a tab; opened in a
spreadsheet such a cell runs as a formula. Both CSV exports (the web report download and
`manage.py migration report --format csv`) write every cell through `safe_cell`.
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text
