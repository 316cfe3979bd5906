"""Schema building blocks shared by every feature: strict input, safe text, tags, custom fields."""

import math
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import KW_ONLY, dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Annotated, Any, Generic, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from annotated_types import GroupedMetadata
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StringConstraints,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from app.core.errors import RuleViolation, field_error
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT

MAX_CUSTOM_FIELDS = 100
MAX_CUSTOM_FIELDS_BYTES = 16 * 1024
CUSTOM_FIELD_KEY = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"
_CUSTOM_FIELD_KEY = re.compile(CUSTOM_FIELD_KEY)


class Input(BaseModel):
    """Request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # A field typed `X | None` only so that it may be left out says "or null" in the
        # schema; where `not_null` refuses null, the document must not offer it.
        schema = handler(core_schema)
        properties = handler.resolve_ref_schema(schema).get("properties", {})
        for name in _refusing_null(cls):
            key = cls.model_fields[name].alias or name
            if key in properties:
                properties[key] = _without_null(properties[key])
        return schema


class Query(BaseModel):
    """List parameters: an unknown or misspelt filter is an error, not ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


_REFUSES_NULL = "refuses_null"


def not_null(*fields: str) -> Any:
    """For PATCH bodies: these fields may be left out, but not set to null (nor does the OpenAPI
    document offer null for them; see Input)."""

    def check(cls: type, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null")
        return value

    setattr(check, _REFUSES_NULL, True)
    return field_validator(*fields)(classmethod(check))


def batch_key(name: str) -> Callable[[dict[str, Any]], None]:
    """`json_schema_extra` of a batch item matched by the field `name`: the document requires
    it, not null. The model leaves it optional, so that the service can name every item that
    lacks it in one answer, with the items' other faults."""

    def extra(schema: dict[str, Any]) -> None:
        schema["properties"][name] = _without_null(schema["properties"][name])
        schema["required"] = [*schema.get("required", ()), name]

    return extra


def _refusing_null(model: type[BaseModel]) -> list[str]:
    """The fields of the model (inherited ones too) that a `not_null` validator guards."""
    return [
        name
        for decorator in model.__pydantic_decorators__.field_validators.values()
        if getattr(decorator.func, _REFUSES_NULL, False)
        for name in decorator.info.fields
    ]


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    branches = [branch for branch in schema.get("anyOf", ()) if branch != {"type": "null"}]
    if len(branches) == len(schema.get("anyOf", ())):
        return schema
    rest = {key: value for key, value in schema.items() if key != "anyOf"}
    if rest.get("default", ...) is None:
        del rest["default"]
    if len(branches) == 1:
        return {**branches[0], **rest}
    return {"anyOf": branches, **rest}


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

    The length and `pattern` hold for the text as sent, as the OpenAPI document states them
    (trimming first would take "  x" past a `maxLength` of 1); the trimmed text must still be
    `min_length` long. Constraints come before the validators, or pydantic drops them.
    """

    max_length: int
    _: KW_ONLY
    min_length: int = 1
    pattern: str | None = None

    def __iter__(self) -> Iterator[object]:
        yield from StringConstraints(
            strip_whitespace=False,
            min_length=self.min_length,
            max_length=self.max_length,
            pattern=self.pattern,
        )
        yield AfterValidator(_trimmed(self.min_length))
        yield AfterValidator(_storable)


def _trimmed(min_length: int) -> Callable[[str], str]:
    def trim(value: str) -> str:
        value = value.strip()
        if len(value) < min_length:
            raise ValueError(
                "must not be blank"
                if min_length == 1
                else f"must have at least {min_length} characters besides spaces"
            )
        return value

    return trim


def _iso_8601(value: Any) -> Any:
    # Pydantic would also read numbers as Unix times; the API speaks ISO 8601 only.
    if isinstance(value, str) and not _ISO_DATE.match(value):
        raise ValueError("must be an ISO 8601 date-time with a time zone")
    if isinstance(value, int | float):
        raise ValueError("must be an ISO 8601 date-time string, not a number")
    return value


def _utc_in_range(value: datetime) -> datetime:
    # Times are stored and compared in UTC; near the ends of the calendar an offset can push the
    # UTC form outside the years 1 to 9999 (0001-01-01T00:00:00+01:00), which no column holds.
    try:
        value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("must fall within the years 1 to 9999 once converted to UTC") from exc
    return value


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]")
Timestamp = Annotated[AwareDatetime, BeforeValidator(_iso_8601), AfterValidator(_utc_in_range)]


def _in_the_past(value: datetime) -> datetime:
    if value > datetime.now(UTC):
        raise ValueError("must not be in the future")
    return value.astimezone(UTC)


# A time brought from another system (an import's history): not in the future, kept in UTC.
PastTimestamp = Annotated[Timestamp, AfterValidator(_in_the_past)]


@dataclass(frozen=True, slots=True, init=False)
class DecimalNumber(GroupedMetadata):
    """A decimal of at most `max_digits` digits, `decimal_places` of them after the point, sent
    as a JSON number or as a plain decimal string ("129.90"), as metadata of a Decimal:
    `Annotated[Decimal, DecimalNumber(15, 4, ge=0)]`; `bounds` are `ge`, `gt`, `le`, `lt`.

    The OpenAPI document states the limits: a pattern for the string, bounds for the number. The
    pattern is also what the server checks, so the document is exact: strings the Decimal type
    would read besides (" 1e3", "1_000", digits of other scripts) are refused.
    """

    metadata: tuple[object, ...]

    def __init__(self, max_digits: int, decimal_places: int, **bounds: Any) -> None:
        whole = max_digits - decimal_places
        lower = [bounds[name] for name in ("ge", "gt") if bounds.get(name) is not None]
        sign = "" if lower and min(lower) >= 0 else "-?"
        fraction = rf"(\.[0-9]{{1,{decimal_places}}}0*)?" if decimal_places else r"(\.0*)?"
        pattern = rf"^{sign}0*[0-9]{{1,{whole}}}{fraction}$"
        limits = _DecimalLimits(pattern, 10**whole, decimal_places)
        field = Field(max_digits=max_digits, decimal_places=decimal_places, **bounds)
        metadata = (*field.metadata, BeforeValidator(limits.check_text), limits)
        object.__setattr__(self, "metadata", metadata)

    def __iter__(self) -> Iterator[object]:
        yield from self.metadata


@dataclass(frozen=True, slots=True)
class _DecimalLimits:
    pattern: str
    magnitude: int  # every value lies strictly within plus or minus this
    places: int

    def check_text(self, value: Any) -> Any:
        if isinstance(value, str) and not re.fullmatch(self.pattern, value):
            raise ValueError(
                f"must be a decimal number such as 129.90, below {self.magnitude} "
                f"with at most {self.places} decimal places"
            )
        return value

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        if handler.mode != "validation":
            return schema
        for branch in schema.get("anyOf", ()):
            if branch.get("type") == "string":
                branch["pattern"] = self.pattern
            elif branch.get("type") == "number":
                if not {"maximum", "exclusiveMaximum"} & branch.keys():
                    branch["exclusiveMaximum"] = self.magnitude
                if not {"minimum", "exclusiveMinimum"} & branch.keys():
                    branch["exclusiveMinimum"] = -self.magnitude
        return schema


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


_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")


def zone_of(name: str) -> tzinfo:
    """The time zone an IANA name (`Europe/Paris`) or a fixed offset (`+01:00`) names."""
    offset = _OFFSET.match(name)
    if offset is None:
        return ZoneInfo(name)
    sign, hours, minutes = offset.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    return timezone(-delta if sign == "-" else delta)


def _known_zone(name: str) -> str:
    try:
        zone_of(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            "must be an IANA time zone name (Europe/Paris) or an offset (+01:00)"
        ) from exc
    return name


TimeZoneName = Annotated[
    str,
    Text(64, pattern=r"^[A-Za-z0-9_+\-/:]+$"),
    AfterValidator(_known_zone),
    Field(
        examples=["Europe/Paris", "+05:30"],
        description="An IANA time zone name, or a fixed offset from UTC.",
    ),
]


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
