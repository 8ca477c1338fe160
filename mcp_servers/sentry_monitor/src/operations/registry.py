"""The operation registry: the single source of truth for every tool.

Add an operation by writing its module in `operations/` and listing it here; the MCP server and the
Python module API pick it up from `OPERATIONS`.
"""

from __future__ import annotations

from typing import Any

from . import (
    add_issue_note,
    analyze_error_patterns,
    assign_issue,
    get_error_events,
    get_event,
    get_issue_details,
    get_issue_tags,
    get_project_health,
    get_project_stats,
    get_recent_issues,
    ignore_issue,
    list_assignees,
    list_projects,
    resolve_issue,
    search_issues,
    unresolve_issue,
    update_issues,
)
from .operation import Operation

OPERATIONS: dict[str, Operation[Any, Any]] = {
    operation.name: operation
    for operation in (
        list_projects.OPERATION,
        get_recent_issues.OPERATION,
        search_issues.OPERATION,
        get_issue_details.OPERATION,
        get_issue_tags.OPERATION,
        get_event.OPERATION,
        get_error_events.OPERATION,
        resolve_issue.OPERATION,
        ignore_issue.OPERATION,
        unresolve_issue.OPERATION,
        update_issues.OPERATION,
        assign_issue.OPERATION,
        list_assignees.OPERATION,
        add_issue_note.OPERATION,
        get_project_stats.OPERATION,
        get_project_health.OPERATION,
        analyze_error_patterns.OPERATION,
    )
}
