"""Schema building blocks shared by every feature: strict input, safe text, tags, custom fields."""

import math
import re
import uuid
from collections.abc import Iterator
from dataclasses import KW_ONLY, dataclass
from typing import Annotated, Any, Generic, Literal, TypeVar

import orjson
from annotated_types import GroupedMetadata
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from app.core.errors import RuleViolation, field_error
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT

MAX_CUSTOM_FIELDS = 100
MAX_CUSTOM_FIELDS_BYTES = 16 * 1024
CUSTOM_FIELD_KEY = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"
_CUSTOM_FIELD_KEY = re.compile(CUSTOM_FIELD_KEY)


class Input(BaseModel):
    """Request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Query(BaseModel):
    """List parameters: an unknown or misspelt filter is an error, not ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def not_null(*fields: str) -> Any:
    """For PATCH bodies: these fields may be left out, but not set to null."""

    def check(cls: type, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null")
        return value

    return field_validator(*fields)(classmethod(check))


def _storable(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and lone surrogates cannot be encoded as UTF-8.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode()
    except UnicodeEncodeError as exc:
        raise ValueError("must be valid Unicode text") from exc
    return value


@dataclass(frozen=True, slots=True)
class Text(GroupedMetadata):
    """Trimmed text of bounded length that both databases can store (and that matches
    `pattern`), as metadata of a `str`: `Annotated[str, Text(200)]`.

    Pydantic unpacks it into string constraints followed by the storability check; the
    constraints must come before the validator, or pydantic drops them."""

    max_length: int
    _: KW_ONLY
    min_length: int = 1
    pattern: str | None = None

    def __iter__(self) -> Iterator[object]:
        yield from StringConstraints(
            strip_whitespace=True,
            min_length=self.min_length,
            max_length=self.max_length,
            pattern=self.pattern,
        )
        yield AfterValidator(_storable)


def _iso_8601(value: Any) -> Any:
    # Pydantic would also read numbers as Unix times; the API speaks ISO 8601 only.
    if isinstance(value, str) and not _ISO_DATE.match(value):
        raise ValueError("must be an ISO 8601 date-time with a time zone")
    if isinstance(value, int | float):
        raise ValueError("must be an ISO 8601 date-time string, not a number")
    return value


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]")
Timestamp = Annotated[AwareDatetime, BeforeValidator(_iso_8601)]


def _unique_tags(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(tags))


Tag = Annotated[str, Text(64)]
Tags = Annotated[list[Tag], Field(max_length=50), AfterValidator(_unique_tags)]


def _check_json(value: Any, depth: int = 0) -> None:
    if depth > 8:
        raise ValueError("must not nest deeper than 8 levels")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("numbers must be finite")
    if isinstance(value, str):
        _storable(value)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            _storable(key)
            _check_json(item, depth + 1)


def _custom_fields(fields: dict[str, Any]) -> dict[str, Any]:
    if len(fields) > MAX_CUSTOM_FIELDS:
        raise ValueError(f"at most {MAX_CUSTOM_FIELDS} custom fields are allowed")
    for key, value in fields.items():
        if not _CUSTOM_FIELD_KEY.match(key):
            raise ValueError(f"key {key!r} must match {CUSTOM_FIELD_KEY}")
        _check_json(value)
    if len(orjson.dumps(fields)) > MAX_CUSTOM_FIELDS_BYTES:
        raise ValueError(f"must not exceed {MAX_CUSTOM_FIELDS_BYTES} bytes as JSON")
    return fields


CustomFields = Annotated[
    dict[Annotated[str, StringConstraints(pattern=CUSTOM_FIELD_KEY)], Any],
    AfterValidator(_custom_fields),
    Field(
        description=f"Your own fields: up to {MAX_CUSTOM_FIELDS} keys matching "
        f"`{CUSTOM_FIELD_KEY}`, any JSON values, {MAX_CUSTOM_FIELDS_BYTES} bytes in all.",
        examples=[{"loyalty_tier": "gold", "newsletter": True}],
    ),
]


def merge_custom_fields(current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """PATCH semantics for custom fields: given keys are set, keys set to null are removed."""
    merged = {key: value for key, value in {**current, **patch}.items() if value is not None}
    try:
        return _custom_fields(merged)
    except ValueError as exc:
        raise RuleViolation(str(exc), errors=[field_error("/custom_fields", str(exc))]) from exc


class _ShownOnce:
    """Marks a response field that holds a secret shown only in the answer that created it."""


SHOWN_ONCE = _ShownOnce()


ShownOnce = Annotated[str | None, SHOWN_ONCE]
"""A secret in a response: in an Idempotency-Key replay it is null, since the service stores
no secret in clear (the replay cache keeps the answer without it). Describe the field with
`Field(description=shown_once(...))`."""


def shown_once(description: str) -> str:
    """The description of a `ShownOnce` field."""
    return f"{description} Null in an idempotent replay: shown only once."


def secret_fields(model: type[BaseModel]) -> tuple[str, ...]:
    return tuple(name for name, f in model.model_fields.items() if SHOWN_ONCE in f.metadata)


class ListQuery(Query):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Page size.")
    cursor: Annotated[str, Text(1024)] | None = Field(
        None, description="`next_cursor` of the previous page."
    )


class RecordListQuery(ListQuery):
    """Lists of customer records: paging plus the time ranges every record has (half-open)."""

    created_after: Timestamp | None = Field(None, description="Created at or after.")
    created_before: Timestamp | None = Field(None, description="Created strictly before.")
    updated_after: Timestamp | None = Field(None, description="Updated at or after.")
    updated_before: Timestamp | None = Field(None, description="Updated strictly before.")


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    data: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


class BatchItemResult(BaseModel):
    index: int = Field(description="Position of the item in the request.")
    status: Literal["created", "updated", "unchanged"]
    id: uuid.UUID
    version: int = Field(description="The record's version after the call.")


class BatchResult(BaseModel):
    results: list[BatchItemResult] = Field(description="One per item, in request order.")
    created: int
    updated: int
    unchanged: int


def batch_result(results: list[Any]) -> dict[str, Any]:
    counts = dict.fromkeys(("created", "updated", "unchanged"), 0)
    for result in results:
        counts[result.status] += 1
    items = [
        {"index": r.index, "status": r.status, "id": r.id, "version": r.version} for r in results
    ]
    return {"results": items, **counts}
