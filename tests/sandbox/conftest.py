"""The sandbox tests share the session's seeded local Sentry; each starts and ends in the seeded state."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from mcp_servers.sentry_sandbox import SandboxServer
from tests.sandbox.sandbox_helpers import api_client


@pytest.fixture
def api(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    """An API client with the full token; before and after, the sandbox is reset (quota windows included), no faults."""
    sandbox.reset()
    sandbox.clear_faults()
    with api_client(sandbox) as client:
        yield client
    sandbox.reset()
    sandbox.clear_faults()
