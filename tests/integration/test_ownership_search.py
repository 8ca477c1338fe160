"""Sentry's ownership searches through get-recent-issues and search-issues: `is:unassigned`, `assigned:me`,
`assigned_or_suggested:`; on GlitchTip (no assignees) they are refused instead of answering no issues."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from mcp_servers.sentry_monitor.src.shared.results import records
from tests.integration.ops import Factory, data, run
from tests.sandbox.sandbox_helpers import api_client

if TYPE_CHECKING:
    from mcp_servers.sentry_sandbox import SandboxServer


pytestmark = pytest.mark.anyio


def _assign(sandbox: SandboxServer, short_id: str, actor: str) -> None:
    """Assign as the web UI does (the sandbox's token acts as user 1, Sandbox User)."""
    with api_client(sandbox) as api:
        response = api.put(f"organizations/{sandbox.org_slug}/issues/{short_id}/", json={"assignedTo": actor})
        assert response.status_code == 200, response.text


async def _short_ids(make_module: Factory, operation: str, **parameters: Any) -> set[str]:
    result = data(await run(make_module(), operation, limit=100, **parameters))
    return {str(issue["short_id"]) for issue in records(result.get("issues"))}


async def test_assigned_unassigned_and_suggested(make_module: Factory, clean_sandbox: SandboxServer) -> None:
    _assign(clean_sandbox, "BACKEND-1", "user:1")  # the token's own user: `me`
    _assign(clean_sandbox, "BACKEND-2", "team:1")  # backend-devs
    every = await _short_ids(make_module, "get-recent-issues", project_slug="backend")
    assert {"BACKEND-1", "BACKEND-2"} < every

    mine = await _short_ids(make_module, "get-recent-issues", project_slug="backend", query="assigned:me")
    assert mine == {"BACKEND-1"}
    unassigned = await _short_ids(make_module, "get-recent-issues", project_slug="backend", query="is:unassigned")
    assert unassigned == every - {"BACKEND-1", "BACKEND-2"}
    team = await _short_ids(make_module, "search-issues", query="is:unresolved assigned:#backend-devs")
    assert team == {"BACKEND-2"}

    # Suggested: the payments issues are backend-devs' by an ownership rule, though nobody was assigned them.
    owned = {short_id for short_id in every if _suggests(clean_sandbox, short_id, "team:1")}
    assert owned - {"BACKEND-2"}, "the seeded data should have an issue that an ownership rule gives backend-devs"
    suggested = await _short_ids(
        make_module, "get-recent-issues", project_slug="backend", query="assigned_or_suggested:#backend-devs"
    )
    assert suggested == owned | {"BACKEND-2"}


def _suggests(sandbox: SandboxServer, short_id: str, actor: str) -> bool:
    with api_client(sandbox) as api:
        issue = api.get(f"organizations/{sandbox.org_slug}/issues/{short_id}/", params={"expand": "owners"}).json()
    return any(owner["owner"] == actor for owner in issue.get("owners") or [])


@pytest.mark.parametrize("query", ["is:unassigned", "assigned:me", "assigned_or_suggested:me", "!is:resolved"])
async def test_glitchtip_refuses_ownership_searches_before_asking(
    query: str, sandbox_pool: Any, make_glitchtip_module: Factory
) -> None:
    glitchtip: SandboxServer = sandbox_pool.get("glitchtip")
    glitchtip.clear_requests()
    output = await run(make_glitchtip_module(), "search-issues", query=query)
    assert output.error is not None and output.error.code == "UNSUPPORTED_BY_SERVER", output.error
    assert "match nothing" in output.error.message
    assert not [r for r in glitchtip.requests() if "/issues/" in r["path"]]


@pytest.fixture
def make_glitchtip_module(sandbox_pool: Any) -> Factory:
    from mcp_servers.sentry_monitor.src.processor import SentryErrorMonitorModule
    from tests.conftest import sandbox_settings

    glitchtip = sandbox_pool.get("glitchtip")
    return lambda **overrides: SentryErrorMonitorModule(sandbox_settings(glitchtip, **overrides))
