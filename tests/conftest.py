"""Shared fixtures: one seeded local Sentry per test session, and modules pointed at it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from mcp_servers.sentry_monitor.src.config import Settings
from mcp_servers.sentry_monitor.src.processor import SentryErrorMonitorModule

if TYPE_CHECKING:
    from mcp_servers.sentry_sandbox import SandboxServer

REPO = Path(__file__).resolve().parents[1]
SHARED_API = REPO.parent / "shared" / "sentry-api"


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxServer]:
    """The local Sentry on 127.0.0.1, seeded through the official sentry-sdk once per session."""
    from mcp_servers.sentry_sandbox import SandboxServer

    with SandboxServer(port=0) as server:
        server.seed()
        yield server


@pytest.fixture
def clean_sandbox(sandbox: SandboxServer) -> Iterator[SandboxServer]:
    """The sandbox with its seeded state restored and no faults after the test (for tests that change issues)."""
    sandbox.clear_requests()
    sandbox.clear_faults()
    yield sandbox
    sandbox.reset()
    sandbox.clear_faults()


def sandbox_settings(sandbox: SandboxServer, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "auth_token": sandbox.token,
        "url": sandbox.url,
        "org": sandbox.org_slug,
        "timeout": 10.0,
        "retry_attempts": 1,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def make_module(sandbox: SandboxServer) -> Callable[..., SentryErrorMonitorModule]:
    def factory(**overrides: Any) -> SentryErrorMonitorModule:
        return SentryErrorMonitorModule(sandbox_settings(sandbox, **overrides))

    return factory


def coverage_env() -> dict[str, str]:
    """Variables a subprocess needs to be measured by coverage (the SDK's stdio client passes few on)."""
    return {key: value for key, value in os.environ.items() if key.startswith("COVERAGE_")}
