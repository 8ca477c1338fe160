"""update-issues over stdio (`python -m mcp_servers.sentry_monitor`), against the local Sentry of two flavors."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mcp_servers.sentry_monitor.src.shared.results import records
from tests.conftest import SandboxPool, account_for_changes, issue_states
from tests.e2e.test_stdio import call, open_session, server_env, text_of

if TYPE_CHECKING:
    from mcp_servers.sentry_sandbox import SandboxServer

pytestmark = pytest.mark.anyio
ISSUES = "/api/0/organizations/sandbox/issues/"


def issue_requests(sandbox: SandboxServer, method: str) -> int:
    return sum(1 for r in sandbox.requests() if r["method"] == method and r["path"] == ISSUES)


@pytest.mark.parametrize("flavor", ["sentry", "glitchtip"])
async def test_a_dry_run_then_the_real_run_with_its_ids(sandbox_pool: SandboxPool, tmp_path: Path, flavor: str) -> None:
    sandbox = sandbox_pool.get(flavor)
    before = issue_states(sandbox)
    try:
        async for session in open_session(server_env(sandbox), tmp_path / "stderr.log"):
            sandbox.clear_requests()
            arguments = {"project_slug": "worker", "query": "is:unresolved", "status": "ignored", "max_issues": 3}
            dry = await call(session, "update-issues", arguments)
            assert not dry.is_error and dry.structured_content is not None, text_of(dry)
            data = dry.structured_content["data"]
            ids = data["issue_ids"]
            assert len(ids) == 3 and [row["id"] for row in records(data["changes"])] == ids
            assert text_of(dry).startswith("Dry run: 3 of 3 issues would become ignored:\n")
            assert f"Run again with dry_run=false and issue_ids={ids}." in text_of(dry)
            assert issue_states(sandbox) == before and issue_requests(sandbox, "PUT") == 0

            sandbox.clear_requests()
            real = await call(session, "update-issues", {"issue_ids": ids[:2], "status": "ignored", "dry_run": False})
            assert not real.is_error and real.structured_content is not None, text_of(real)
            assert issue_requests(sandbox, "GET") == 1 and issue_requests(sandbox, "PUT") == 1
            changed = {key for key, state in issue_states(sandbox).items() if before[key] != state}
            assert {str(key) for key in changed} == set(ids[:2])
            assert all(sandbox.store.issue(key).status == "ignored" for key in changed)  # type: ignore[union-attr]
            effects = real.structured_content["side_effects"]
            assert [effect["after"]["status"] for effect in effects] == ["ignored", "ignored"]
            text = text_of(real)
            assert text.startswith("2 of 2 issues are now ignored.\n")
            assert text.count("Changed: Archived forever: ") == 2
            assert f"Undo: update-issues(issue_ids={ids[:2]}, status='unresolved', dry_run=false)." in text
    finally:
        account_for_changes(sandbox, before)
        sandbox.reset()


async def test_read_only_mode_hides_update_issues(sandbox: SandboxServer, tmp_path: Path) -> None:
    env = server_env(sandbox, SENTRY_MONITOR_READ_ONLY="true")
    async for session in open_session(env, tmp_path / "stderr.log"):
        names = {tool.name for tool in (await session.list_tools()).tools}
        assert "update-issues" not in names and "get-recent-issues" in names
        refused = await call(session, "update-issues", {"issue_ids": ["1"], "status": "resolved", "dry_run": False})
        assert refused.is_error and refused.structured_content is not None
        assert refused.structured_content["error"]["code"] == "READ_ONLY"
