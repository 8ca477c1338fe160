"""The operation registry: the single source of truth for every tool.

Add an operation by writing its module in `operations/` and listing it here; the MCP server and the
Python module API pick it up from `OPERATIONS`.
"""

from __future__ import annotations

from typing import Any

from .operation import Operation
from .operations import (
    analyze_error_patterns,
    get_error_events,
    get_issue_details,
    get_project_health,
    get_project_stats,
    get_recent_issues,
    resolve_issue,
)

OPERATIONS: dict[str, Operation[Any, Any]] = {
    operation.name: operation
    for operation in (
        get_recent_issues.OPERATION,
        get_issue_details.OPERATION,
        get_error_events.OPERATION,
        resolve_issue.OPERATION,
        get_project_stats.OPERATION,
        get_project_health.OPERATION,
        analyze_error_patterns.OPERATION,
    )
}
