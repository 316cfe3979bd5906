"""The `q` filter: case-insensitive substring search over a record's searchable fields.

Each searchable record keeps `search_text`, its searchable fields case-folded by Python, so that
both databases fold case the same way (SQLite's lower() only folds ASCII). PostgreSQL indexes the
column with trigrams, which serves `LIKE '%term%'`; SQLite scans the workspace's rows.
"""

import re
from typing import Any

from sqlalchemy import ColumnElement

_NOT_DIGIT = re.compile(r"\D")


def search_text(*fields: str | None, phone: str | None = None) -> str:
    parts = [f for f in fields if f]
    if phone:
        # Digits alone as well, so "5551234" finds "+1 (555) 123-4".
        parts += [phone, _NOT_DIGIT.sub("", phone)]
    return " ".join(parts).casefold()


def like_pattern(q: str | None) -> str | None:
    """The LIKE pattern for `q`: case-folded, its wildcards escaped, as a substring."""
    if q is None:
        return None
    escaped = q.casefold().replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


def contains(column: Any, pattern: Any) -> ColumnElement[bool]:
    return column.like(pattern, escape="/")  # type: ignore[no-any-return]
