"""JSON responses written straight from database rows.

Rows leave the database already valid (the schema wrote them), so they are not validated again
on the way out: orjson writes UUIDs and UTC datetimes natively, and Decimals as strings.
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from uuid import UUID

import orjson
from starlette.responses import Response

_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


def _default(value: Any) -> Any:
    if isinstance(value, Decimal | UUID):  # UUID: asyncpg's own subclass, unknown to orjson
        return str(value)
    if isinstance(value, Mapping):  # SQLAlchemy RowMapping
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(content: Any) -> bytes:
    return orjson.dumps(content, default=_default, option=_OPTIONS)


class JSONBody(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)


def json_response(
    content: Any, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return JSONBody(content, status_code=status_code, headers=headers)


def record_response(
    record: Mapping[str, Any], status_code: int = 200, location: str | None = None
) -> Response:
    """One record, with its version as the ETag (and where it lives, when just created)."""
    headers = {"ETag": f'"{record["version"]}"'}
    if location is not None:
        headers["Location"] = location
    return JSONBody(record, status_code=status_code, headers=headers)


def page_response(data: list[Any], next_cursor: str | None) -> Response:
    return JSONBody({"data": data, "next_cursor": next_cursor})


def no_content(headers: Mapping[str, str] | None = None) -> Response:
    return Response(status_code=204, headers=headers)
