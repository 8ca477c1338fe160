from __future__ import annotations

import pytest
from pydantic import ValidationError

from mcp_servers.framework import contracts
from mcp_servers.framework.contracts import (
    ErrorCategory,
    ErrorDetail,
    ModuleInput,
    ModuleOutput,
    ModuleStatus,
    OutputMetadata,
    SideEffect,
)


def test_contracts_export_the_public_models() -> None:
    for name in ("ModuleInput", "ModuleOutput", "ModuleStatus", "ErrorCategory", "ErrorDetail", "SideEffect"):
        assert name in contracts.__all__


def test_module_input_defaults_to_no_parameters() -> None:
    assert ModuleInput(operation="get-recent-issues").parameters == {}


def test_statuses_and_categories_have_the_documented_values() -> None:
    assert [s.value for s in ModuleStatus] == ["success", "partial_success", "failure", "error"]
    assert {c.value for c in ErrorCategory} == {
        "validation",
        "configuration",
        "authentication",
        "authorization",
        "not_found",
        "rate_limit",
        "timeout",
        "network",
        "upstream",
        "internal",
    }


def test_module_output_round_trips_through_json() -> None:
    output = ModuleOutput(
        status=ModuleStatus.FAILURE,
        error=ErrorDetail(
            code="ISSUE_NOT_FOUND",
            message="no",
            category=ErrorCategory.NOT_FOUND,
            recovery_suggestion="list issues",
            details={"status_code": 404},
        ),
        side_effects=[
            SideEffect(kind="k", target="issue:1", before={"status": "a"}, after={"status": "b"}, description="d")
        ],
        metadata=OutputMetadata(operation="x", duration_ms=1.5, api_calls=1),
    )
    again = ModuleOutput.model_validate_json(output.model_dump_json())
    assert again == output
    assert not again.ok
    assert again.error is not None and again.error.retryable is False


def test_partial_success_counts_as_ok() -> None:
    output = ModuleOutput(
        status="partial_success", data={}, metadata=OutputMetadata(operation="x", duration_ms=0, api_calls=0)
    )
    assert output.ok


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError):
        ModuleInput.model_validate({"operation": "x", "params": {}})
