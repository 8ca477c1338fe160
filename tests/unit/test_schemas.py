"""Tool schemas are compact (they cost the model's context) and still accept every output the tools give."""

from __future__ import annotations

import json

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
    jsonschema.validate(_failure(changed=not OPERATIONS[name].read_only).model_dump(mode="json"), schema)
    assert '"title": "' not in json.dumps(schema)


def test_the_short_envelope_names_every_output_field_and_what_a_model_acts_on() -> None:
    schema = output_schema(OPERATIONS["resolve-issue"])
    assert set(schema["properties"]) == set(ModuleOutput.model_fields)
    assert set(ENVELOPE) | {"data", "side_effects"} == set(ModuleOutput.model_fields)
    assert set(ENVELOPE["error"]["properties"]) < set(ErrorDetail.model_fields)
    assert schema["properties"]["side_effects"]["items"]["properties"]["description"] == {"type": "string"}
    data = schema["properties"]["data"]["anyOf"][0]["properties"]
    assert data["issue"]["type"] == "object" and data["changed"]["type"] == "boolean"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**_failure().model_dump(mode="json"), "status": "maybe"}, schema)


def test_read_only_tools_promise_no_side_effects() -> None:
    schema = output_schema(OPERATIONS["get-recent-issues"])
    jsonschema.validate({"status": "success", "side_effects": [], "metadata": {}}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"status": "success", "side_effects": [{"kind": "x"}], "metadata": {}}, schema)


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


def test_the_whole_tools_list_costs_no_more_context_than_the_official_servers() -> None:
    """`make bench` measured @sentry/mcp-server 0.39.0's tools/list at 26,143 characters of compact JSON."""
    from mcp_servers.sentry_monitor.src.server import tool_for

    tools = [tool_for(op).model_dump(mode="json", by_alias=True, exclude_none=True) for op in OPERATIONS.values()]
    assert len(json.dumps({"tools": tools}, separators=(",", ":"))) <= 26_143
