"""Unit tests share one scripted Sentry URL: each starts with nothing learned about it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mcp_servers.sentry_monitor.src.sentry import capabilities

SCRIPTED_API = "https://sentry.example.com/api/0/"


@pytest.fixture(autouse=True)
def unknown_scripted_server() -> Iterator[None]:
    capabilities.forget_server(SCRIPTED_API)
    yield
    capabilities.forget_server(SCRIPTED_API)
