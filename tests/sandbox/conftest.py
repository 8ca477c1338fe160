"""The sandbox tests share the session's seeded local Sentry; each starts and ends in the seeded state."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from mcp_servers.sentry_sandbox import SandboxServer
from tests.conftest import SandboxPool
from tests.sandbox.sandbox_helpers import api_client


@pytest.fixture(scope="module")
def glitchtip(sandbox_pool: SandboxPool) -> SandboxServer:
    """The session's local Sentry of the glitchtip flavor."""
    return sandbox_pool.get("glitchtip")


@pytest.fixture(scope="module")
def legacy(sandbox_pool: SandboxPool) -> SandboxServer:
    """The session's local Sentry of the sentry-legacy flavor."""
    return sandbox_pool.get("sentry-legacy")


@pytest.fixture
def api(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    """An API client with the full token; before and after, the sandbox is reset (quota windows included), no faults."""
    with clean_api(sandbox) as client:
        yield client


@contextmanager
def clean_api(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    sandbox.reset()
    sandbox.clear_faults()
    try:
        with api_client(sandbox) as client:
            yield client
    finally:
        sandbox.reset()
        sandbox.clear_faults()
