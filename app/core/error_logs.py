"""Error logs without record values.

An exception's message may quote the data it failed on: SQLAlchemy appends the statement's
parameters, PostgreSQL's DETAIL repeats a row's values ("Key (email)=(ada@example.com) already
exists"), asyncpg names the argument it could not encode. So the service logs unexpected errors
as their traceback (files, lines and code) and the type of each exception in the chain, with the
database's error code where there is one, but never a message.
"""

import traceback

HEADER = "Traceback (most recent call last; exception messages withheld):\n"


def withheld_traceback(exc: BaseException) -> str:
    """The traceback of `exc` and of its causes, oldest first, without their messages."""
    parts = []
    for error in reversed(_chain(exc)):
        frames = "".join(traceback.format_tb(error.__traceback__))
        parts.append(f"{HEADER}{frames}{_name(error)}\n")
    return "\nwhich led to\n\n".join(parts)


def _chain(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    return chain


def _name(error: BaseException) -> str:
    kind = type(error)
    name = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    # Codes, not text: asyncpg's SQLSTATE, sqlite3's result code name.
    code = getattr(error, "sqlstate", None) or getattr(error, "sqlite_errorname", None)
    return f"{name} [{code}]" if isinstance(code, str) else name
