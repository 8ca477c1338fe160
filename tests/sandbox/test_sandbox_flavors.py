"""What the sentry-legacy flavor answers differently from the sentry flavor (issue 6); glitchtip grouping.

The glitchtip flavor's API is tested in test_sandbox_glitchtip.py.
"""

from __future__ import annotations

import httpx
import pytest

from mcp_servers.sentry_sandbox import SandboxServer
from mcp_servers.sentry_sandbox.server import SandboxError
from tests.conftest import SandboxPool
from tests.sandbox.sandbox_helpers import api_client

ISSUES = "organizations/sandbox/issues/"


def client(pool: SandboxPool, flavor: str) -> tuple[SandboxServer, httpx.Client]:
    sandbox = pool.get(flavor)
    return sandbox, api_client(sandbox)


def test_glitchtip_groups_by_title(sandbox_pool: SandboxPool) -> None:
    titles = [issue.latest.digest.title for issue in sandbox_pool.get("glitchtip").store.issues()]
    assert len(titles) == len(set(titles)) and len(titles) > len(sandbox_pool.get("sentry").store.issues())


def test_legacy_names_substatuses_the_older_way(sandbox_pool: SandboxPool) -> None:
    sandbox, api = client(sandbox_pool, "sentry-legacy")
    archived = api.get(ISSUES, params={"query": "is:ignored"}).json()
    assert archived and {issue["substatus"] for issue in archived} == {"until_escalating"}
    issue_id = sandbox.store.issues()[0].id
    refused = api.put(f"{ISSUES}{issue_id}/", json={"status": "ignored", "substatus": "archived_forever"})
    assert refused.status_code == 400 and list(refused.json()) == ["substatus"]
    try:
        taken = api.put(f"{ISSUES}{issue_id}/", json={"status": "ignored", "substatus": "forever"})
        assert taken.json()["substatus"] == "forever"
    finally:
        sandbox.reset()
    assert api.get(f"{ISSUES}{issue_id}/events/recommended/").status_code == 404
    assert api.get(f"{ISSUES}{issue_id}/events/latest/").status_code == 200
    assert api.get(ISSUES, params={"project": "backend"}).status_code == 400


def test_an_unknown_flavor_is_refused() -> None:
    with pytest.raises(SandboxError, match="unknown flavor"):
        SandboxServer(flavor="bugsnag")
