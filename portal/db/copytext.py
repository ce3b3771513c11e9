"""Values in PostgreSQL's COPY text format, formatted by hand: psycopg's per-row adaptation
costs several times more for the tens of thousands of rows an import or a recompute writes."""

from __future__ import annotations

from datetime import date, datetime

NULL = "\\N"
# Tab separates, newline ends a row, backslash escapes: each is escaped inside a value.
ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_value(value) -> str:
    """One value in COPY's text format."""
    if value is None:
        return NULL
    cls = value.__class__
    if cls is str:
        return value.translate(ESCAPES)
    if cls is bool:
        return "t" if value else "f"
    if cls is datetime or cls is date:
        return value.isoformat()
    return str(value)
