"""The lean result form: what says nothing is left out, measured facts never are, and the shortest result
every tool can give still validates against its outputSchema and reads back as its model."""

from __future__ import annotations

import types
import typing
from typing import Any, Literal

import jsonschema
import pytest
from pydantic import BaseModel

from mcp_servers.framework.contracts import ModuleOutput, ModuleStatus, OutputMetadata
from mcp_servers.sentry_monitor.src.operations.get_issue_details import IssueDetail
from mcp_servers.sentry_monitor.src.operations.registry import OPERATIONS
from mcp_servers.sentry_monitor.src.processor import structured_content
from mcp_servers.sentry_monitor.src.schemas import output_schema
from mcp_servers.sentry_monitor.src.shared.events import ExceptionInfo
from mcp_servers.sentry_monitor.src.shared.issues import IssueSummary
from mcp_servers.sentry_monitor.src.shared.results import Result, records, table, to_seconds


def minimal(model: type[BaseModel]) -> BaseModel:
    """`model` with its required fields only, each at its smallest value."""
    return model(
        **{name: _smallest(field.annotation) for name, field in model.model_fields.items() if field.is_required()}
    )


def _smallest(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _smallest(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return _smallest(next(arg for arg in typing.get_args(annotation) if arg is not type(None)))
    if origin is Literal:
        return typing.get_args(annotation)[0]
    if origin in (list, dict):
        return origin()
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return minimal(annotation)
    return {str: "x", int: 0, float: 0.0, bool: False}[annotation]


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_a_result_with_every_optional_field_absent_validates_and_reads_back(name: str) -> None:
    operation = OPERATIONS[name]
    data = minimal(operation.result).model_dump(mode="json")
    output = ModuleOutput(
        status=ModuleStatus.SUCCESS, data=data, metadata=OutputMetadata(operation=name, duration_ms=1, api_calls=1)
    )
    jsonschema.validate(structured_content(output), output_schema(operation))
    assert operation.result.model_validate(data).model_dump(mode="json") == data
    assert operation.render_data(data)  # the text renders from the lean data alone


def test_counts_of_zero_and_false_facts_stay_and_what_says_nothing_goes() -> None:
    issue = IssueSummary(id="1", title="KeyError: 'id'", count=0, user_count=0, is_unhandled=False, culprit="")
    assert issue.model_dump(mode="json") == {
        "id": "1",
        "title": "KeyError: 'id'",
        "count": 0,
        "user_count": 0,
        "is_unhandled": False,
    }
    crash = ExceptionInfo(type="E", frames=[], frames_omitted=0, handled=False)
    assert crash.model_dump(mode="json") == {"type": "E", "handled": False}  # 0 frames omitted is the default


def test_timestamps_are_kept_to_the_second_in_utc() -> None:
    assert to_seconds("2026-11-30T10:04:05.123456Z") == "2026-11-30T10:04:05Z"
    assert to_seconds("2026-11-30T11:04:05+01:00") == "2026-11-30T10:04:05Z"
    assert to_seconds("2026-11-30T10:04:05") == "2026-11-30T10:04:05Z"
    assert to_seconds("yesterday") == "yesterday"  # unreadable: kept as Sentry sent it
    detail = IssueDetail(id="1", title="t", count=1, user_count=1, last_seen="2026-11-30T10:04:05.999+00:00")
    assert detail.model_dump(mode="json")["last_seen"] == "2026-11-30T10:04:05Z"


class Row(Result):
    name: str
    kind: str | None = None
    size: int


class Rows(Result):
    rows: table(Row, "Rows.") = []  # type: ignore[valid-type]


def test_a_table_says_its_columns_once_and_what_every_row_shares_once() -> None:
    listed = Rows(rows=[Row(name="a", kind="x", size=0), Row(name="b", size=2), Row(name="c", kind="x", size=0)])
    data = listed.model_dump(mode="json")
    assert data == {
        "rows": {"columns": ["name", "kind", "size"], "rows": [["a", "x", 0], ["b", None, 2], ["c", "x", 0]]}
    }
    same = Rows(rows=[Row(name="a", kind="x", size=1), Row(name="b", kind="x", size=1)]).model_dump(mode="json")
    assert same == {"rows": {"columns": ["name"], "rows": [["a"], ["b"]], "common": {"kind": "x", "size": 1}}}
    assert Rows.model_validate(data) == listed and records(same["rows"])[1] == {"kind": "x", "size": 1, "name": "b"}
    assert Rows(rows=[]).model_dump(mode="json") == {} and records(None) == []
