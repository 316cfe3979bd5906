"""Which database failures a request can do something about.

* Retryable: PostgreSQL ended the transaction to break a deadlock (SQLSTATE 40P01) or a
  serialization conflict (40001), or a service found a concurrent change that it must not
  overwrite (`Retry`). Nothing was committed, so the unit of work runs the request again.
* Unavailable: the database cannot be reached: a refused or dropped connection, a server
  shutting down or starting up, no connection free in time, an SQLite file locked past the
  busy timeout. The answer is a 503 with `Retry-After`, never a 500.
"""

import sqlite3
from collections.abc import Iterator

from sqlalchemy import exc as sa

RETRYABLE_STATES = frozenset({"40001", "40P01"})
# Connection exceptions, operator intervention (shutdown, "cannot connect now"), and
# insufficient resources (too many connections).
UNAVAILABLE_CLASSES = ("08", "57P", "53")
_SQLITE_BUSY = ("database is locked", "database table is locked", "unable to open database")


class Retry(Exception):
    """A concurrent change that this request must not overwrite: run the request again."""


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        if isinstance(orig, BaseException):
            yield orig
        current = current.__cause__ or current.__context__


def sqlstate(exc: BaseException) -> str | None:
    for error in _chain(exc):
        state = getattr(error, "sqlstate", None)
        if isinstance(state, str):
            return state
    return None


def is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, Retry):
        return True
    return sqlstate(exc) in RETRYABLE_STATES


def is_unavailable(exc: BaseException) -> bool:
    for error in _chain(exc):
        if isinstance(error, sa.TimeoutError | ConnectionError | TimeoutError):
            return True
        if isinstance(error, sa.DBAPIError) and error.connection_invalidated:
            return True
        if isinstance(error, OSError) and not isinstance(error, FileNotFoundError):
            return True
        if isinstance(error, sqlite3.OperationalError) and str(error).startswith(_SQLITE_BUSY):
            return True
        if type(error).__name__ in ("ConnectionDoesNotExistError", "InterfaceError") and (
            "connection" in str(error) and "closed" in str(error)
        ):
            return True
    state = sqlstate(exc)
    return state is not None and state.startswith(UNAVAILABLE_CLASSES)
