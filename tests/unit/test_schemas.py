"""Tool schemas are compact (they cost the model's context) and still accept every output the tools give."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel

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

    schema = _compact(Outer.model_json_schema())
    assert schema["properties"]["note"] == {"type": ["string", "null"], "default": None}
    assert schema["properties"]["inner"]["anyOf"][0] == {"$ref": "#/$defs/Inner"}
    jsonschema.validate({"note": None, "inner": {"value": 1}}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"note": 3}, schema)


def test_output_schemas_stay_within_their_context_budget() -> None:
    total = sum(len(json.dumps(output_schema(op), separators=(",", ":"))) for op in OPERATIONS.values())
    assert total <= OUTPUT_SCHEMA_BUDGET_CHARS_PER_TOOL * len(OPERATIONS), total


ISSUE_11_TOOLS = 12
ADDED_TOOL_CHARS = 1_800


def test_the_whole_tools_list_costs_no_more_context_than_the_official_servers() -> None:
    """`make bench` measured @sentry/mcp-server 0.39.0's tools/list at 26,143 characters of compact JSON, and ours at
    26,036 before the lean results (issue 11), with 12 tools: the lean shape's schema must not grow it. A tool added
    since (issue 13) costs at most ADDED_TOOL_CHARS, its envelope schema (about 1,000) included: a short description
    and terse parameters."""
    from mcp_servers.sentry_monitor.src.server import tool_for

    tools = [tool_for(op).model_dump(mode="json", by_alias=True, exclude_none=True) for op in OPERATIONS.values()]
    budget = 26_036 + ADDED_TOOL_CHARS * (len(tools) - ISSUE_11_TOOLS)
    assert len(json.dumps({"tools": tools}, separators=(",", ":"))) <= budget
