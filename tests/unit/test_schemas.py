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
from mcp_servers.sentry_monitor.src.registry import OPERATIONS
from mcp_servers.sentry_monitor.src.schemas import ENVELOPE_DEFS, _compact, output_schema

# All seven, compact JSON. The first five take 18,254 (24,074 before compaction); the two analysis tools return
# findings, groupings, a verdict with its reasons and thresholds, and take about 13,700 more.
OUTPUT_SCHEMAS_BUDGET_CHARS = 32_000


def _failure() -> ModuleOutput:
    return ModuleOutput(
        status=ModuleStatus.FAILURE,
        error=ErrorDetail(
            code="ISSUE_NOT_FOUND",
            message="No such issue.",
            category=ErrorCategory.NOT_FOUND,
            recovery_suggestion="Check the id.",
            details={"status_code": 404},
        ),
        side_effects=[SideEffect(kind="k", target="t", before={"a": 1}, description="d")],
        warnings=["w"],
        metadata=OutputMetadata(operation="x", duration_ms=1.5, api_calls=1),
    )


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_output_schema_is_valid_and_accepts_a_failure(name: str) -> None:
    schema = output_schema(OPERATIONS[name])
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(_failure().model_dump(mode="json"), schema)
    assert '"title": "' not in json.dumps(schema)


def test_shared_envelope_has_structure_but_no_descriptions() -> None:
    schema = output_schema(OPERATIONS["resolve-issue"])
    for name in ENVELOPE_DEFS:
        assert '"description": "' not in json.dumps(schema["$defs"][name]), name
    side_effect = schema["$defs"]["SideEffect"]
    assert side_effect["properties"]["description"] == {"type": "string"}  # a property, not an annotation
    issue = schema["$defs"]["IssueState"]["properties"]
    assert issue["short_id"] == {"type": ["string", "null"]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**_failure().model_dump(mode="json"), "status": "maybe"}, schema)


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
    assert total <= OUTPUT_SCHEMAS_BUDGET_CHARS
