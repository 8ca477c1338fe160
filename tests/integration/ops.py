"""Running one operation through the module API, as the integration tests do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mcp_servers.framework.contracts import ModuleInput, ModuleOutput
from mcp_servers.sentry_monitor.src.processor import SentryErrorMonitorModule

Factory = Callable[..., SentryErrorMonitorModule]


async def run(module: SentryErrorMonitorModule, operation: str, **parameters: Any) -> ModuleOutput:
    async with module:
        return await module.execute(ModuleInput(operation=operation, parameters=parameters))


def data(output: ModuleOutput) -> dict[str, Any]:
    assert output.ok, output.error
    assert output.data is not None
    return output.data
