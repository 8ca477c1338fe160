"""Tool schemas are compact (they cost the model's context) and still accept every output the tools give."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel, Field

from mcp_servers.framework.contracts import (
    ErrorCategory,
    ErrorDetail,
    ModuleOutput,
    ModuleStatus,
    OutputMetadata,
    SideEffect,
)
from mcp_servers.sentry_monitor.src.operations.registry import OPERATIONS
from mcp_servers.sentry_monitor.src.processor import structured_content
from mcp_servers.sentry_monitor.src.schemas import ENVELOPE, _compact, output_schema

# Compact JSON, per tool on average: 4,815 chars (five tools) before any compaction; 2,182 with the short
# envelope; about 1,000 with the result's fields one level deep.
OUTPUT_SCHEMA_BUDGET_CHARS_PER_TOOL = 1_300


def _failure(changed: bool = True) -> ModuleOutput:
    """A failure as a write tool gives it (a change recorded before the failure), or a read tool (none)."""
    return ModuleOutput(
        status=ModuleStatus.FAILURE,
        error=ErrorDetail(
            code="ISSUE_NOT_FOUND",
            message="No such issue.",
            category=ErrorCategory.NOT_FOUND,
            recovery_suggestion="Check the id.",
            details={"status_code": 404},
        ),
        side_effects=[SideEffect(kind="k", target="t", before={"a": 1}, description="d")] if changed else [],
        warnings=["w"],
        metadata=OutputMetadata(operation="x", duration_ms=1.5, api_calls=1),
    )


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_output_schema_is_valid_and_accepts_a_failure(name: str) -> None:
    schema = output_schema(OPERATIONS[name])
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(structured_content(_failure(changed=not OPERATIONS[name].read_only)), schema)
    assert '"title": "' not in json.dumps(schema)


def test_the_short_envelope_names_every_output_field_and_what_a_model_acts_on() -> None:
    schema = output_schema(OPERATIONS["resolve-issue"])
    envelope = set(ModuleOutput.model_fields) - {"metadata"}  # metadata goes to the result's _meta
    assert set(schema["properties"]) == envelope == set(schema["required"])
    assert set(ENVELOPE) | {"data", "side_effects"} == envelope
    named = ENVELOPE["error"]["description"].split(": ", 1)[1].rstrip(".").split(", ")
    assert set(named) <= set(ErrorDetail.model_fields) and "code" in named
    assert schema["properties"]["side_effects"]["items"]["properties"]["description"] == {"type": "string"}
    data = schema["properties"]["data"]["anyOf"][0]["properties"]
    assert data["issue"]["type"] == "object" and data["changed"]["type"] == "boolean"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**structured_content(_failure()), "status": "maybe"}, schema)


def test_read_only_tools_promise_no_side_effects() -> None:
    schema = output_schema(OPERATIONS["get-recent-issues"])
    empty: dict[str, Any] = {
        "status": "success",
        "data": {},
        "error": None,
        "side_effects": [],
        "warnings": [],
        "recommendations": [],
    }
    jsonschema.validate(empty, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**empty, "side_effects": [{"kind": "x"}]}, schema)
    with pytest.raises(jsonschema.ValidationError):  # the six envelope keys are always there
        jsonschema.validate({key: value for key, value in empty.items() if key != "warnings"}, schema)


def test_compact_keeps_references_and_descriptions_of_nullable_fields() -> None:
    class Inner(BaseModel):
        value: int

    class Outer(BaseModel):
        note: str | None = None
        inner: Inner | None = None

    class Limited(BaseModel):
        name: str | None = Field(default=None, max_length=3, description="At most three.")

    schema = _compact(Outer.model_json_schema())
    assert schema["properties"]["note"] == {"type": ["string", "null"]}  # absent already means null
    assert schema["properties"]["inner"]["anyOf"][0] == {"$ref": "#/$defs/Inner"}
    jsonschema.validate({"note": None, "inner": {"value": 1}}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"note": 3}, schema)
    limited = _compact(Limited.model_json_schema())["properties"]["name"]
    assert limited == {"type": ["string", "null"], "maxLength": 3, "description": "At most three."}
    jsonschema.validate({"name": None}, _compact(Limited.model_json_schema()))
    with pytest.raises(jsonschema.ValidationError):  # the string's limit is kept
        jsonschema.validate({"name": "four"}, _compact(Limited.model_json_schema()))


def test_output_schemas_stay_within_their_context_budget() -> None:
    total = sum(len(json.dumps(output_schema(op), separators=(",", ":"))) for op in OPERATIONS.values())
    assert total <= OUTPUT_SCHEMA_BUDGET_CHARS_PER_TOOL * len(OPERATIONS), total


# The tools added since the whole list was measured against the official server's (issue 13), and what each
# may cost at most, envelope included; the tools measured then must not grow.
ADDED_TOOLS = {"assign-issue", "list-assignees", "update-issues", "add-issue-note", "get-issue-tags"}
ADDED_TOOL_CHARS = 2_400
# The whole list with the 17 tools of issue 13: 31,729 characters, 1.21x the official's 26,143 for its 9 tools
# (about 1,870 a tool against its 2,900). A ceiling so that growth is a decision, not an accident.
WHOLE_LIST_CHARS = 32_000


def _tool_json(name: str) -> dict[str, Any]:
    from mcp_servers.sentry_monitor.src.server import tool_for

    tool: dict[str, Any] = tool_for(OPERATIONS[name]).model_dump(mode="json", by_alias=True, exclude_none=True)
    return tool


def test_the_measured_tools_list_costs_no_more_than_the_official_servers_and_added_tools_stay_small() -> None:
    """`make bench` measured @sentry/mcp-server 0.39.0's tools/list at 26,143 characters of compact JSON, and ours at
    26,036 before the lean results (issue 11): the tools measured then must not grow it, each tool added since
    stays under its own allowance, and the whole list under its ceiling."""
    measured = [_tool_json(name) for name in OPERATIONS if name not in ADDED_TOOLS]
    assert len(json.dumps({"tools": measured}, separators=(",", ":"))) <= 26_036
    for name in ADDED_TOOLS:
        assert len(json.dumps(_tool_json(name), separators=(",", ":"))) <= ADDED_TOOL_CHARS, name
    whole = [_tool_json(name) for name in OPERATIONS]
    assert len(json.dumps({"tools": whole}, separators=(",", ":"))) <= WHOLE_LIST_CHARS
