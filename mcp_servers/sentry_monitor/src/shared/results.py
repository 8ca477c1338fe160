"""The `Result` base every tool's result builds on, and the lean form a model reads.

A result is serialized once, for both the Python API (`ModuleOutput.data`) and MCP (`structuredContent`),
written for a model reading it: a field that says nothing is left out (None, an empty string, list or
object, or a value equal to the field's declared default), so that what is there is what is known.
Measured numbers and fact booleans are declared without a default (required) and are never left out: a
count of 0 is a fact. What is left out reads back as its default, so lean data validates as its model.
Timestamps are UTC to the second (`2026-11-30T10:04:05Z`). A list of many objects of one kind can be sent
as one table (`table`), its field names once instead of once per row.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    WithJsonSchema,
    model_serializer,
)

MAX_TEXT_CHARS = 500


class Result(BaseModel):
    """Base of every result model: a field it does not declare is refused; its lean form leaves out what says
    nothing (see the module's docstring)."""

    model_config = ConfigDict(extra="forbid")

    @model_serializer(mode="wrap")
    def _lean(self, serialize: SerializerFunctionWrapHandler) -> Any:
        data = serialize(self)
        if not isinstance(data, dict):
            return data
        for key, default in _optional_fields(type(self)):
            if key not in data:
                continue
            value = data[key]
            if isinstance(value, dict) and value and not isinstance(getattr(self, key, None), Result):
                value = data[key] = {k: v for k, v in value.items() if v is not None}  # a mapping of facts
            if value is None or value == default or (not value and isinstance(value, str | list | dict)):
                del data[key]
        return data


@cache
def _optional_fields(model: type[Result]) -> tuple[tuple[str, Any], ...]:
    """A result class's fields that may be left out (not required), each with its default: worked out once."""
    return tuple(
        (field.alias or name, field.get_default(call_default_factory=True))
        for name, field in model.model_fields.items()
        if not field.is_required()
    )


def to_seconds(value: str | None) -> str | None:
    """An ISO 8601 timestamp as UTC to the second, `Z`-suffixed; anything unreadable is kept as it is."""
    if not value:
        return value
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


Timestamp = Annotated[str, AfterValidator(to_seconds)]
"""An ISO 8601 timestamp, kept as UTC to the second: Sentry's microseconds help no triage."""

R = TypeVar("R", bound=Result)
TABLE_DESCRIPTION = "A table: `columns` names each row's cells (null: unknown); `common`: cells every row shares."


def records(value: Any) -> Any:
    """The list of objects a table stands for, each without its unknown cells (a list stays as it is): how a
    caller of the Python API or an MCP client reads `data["issues"]` back as one dict per issue."""
    if value is None:
        return []
    if not isinstance(value, dict):
        return value
    columns, common = value.get("columns") or [], value.get("common") or {}
    return [
        {**common, **{column: cell for column, cell in zip(columns, row, strict=False) if cell is not None}}
        for row in value.get("rows") or []
    ]


def _table_of(items: list[Result]) -> dict[str, Any]:
    if not items:
        return {}  # nothing to say: left out like an empty list
    records = [item.model_dump(mode="json") for item in items]
    columns = list(dict.fromkeys(key for record in records for key in record))
    common: dict[str, Any] = {}
    if len(records) > 1:
        common = {
            column: records[0][column]
            for column in columns
            if all(column in record and record[column] == records[0][column] for record in records)
        }
    columns = [column for column in columns if column not in common]
    table: dict[str, Any] = {"columns": columns, "rows": [[record.get(c) for c in columns] for record in records]}
    return {**table, "common": common} if common else table


def table(model: type[R], description: str) -> Any:
    """A list of `model` objects sent as one table (see TABLE_DESCRIPTION), read back from one as a list.

    Use as a field's type: `issues: table(IssueSummary, "The issues.") = Field(default_factory=list)`.
    """
    schema = {"type": "object", "description": f"{description} {TABLE_DESCRIPTION}"}
    return Annotated[
        list[model],  # type: ignore[valid-type]
        BeforeValidator(records),
        PlainSerializer(_table_of, return_type=dict[str, Any]),
        WithJsonSchema(schema),
    ]


def text(value: Any, limit: int = MAX_TEXT_CHARS) -> str | None:
    """A value as bounded text (None and empty stay None)."""
    if value is None or value == "":
        return None
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def change_pct(current: int, previous: int) -> float | None:
    """Percent change from `previous` to `current`, to one decimal; None when `previous` is 0."""
    return round((current - previous) / previous * 100, 1) if previous else None
