"""64 parallel issue lookups through two modules standing for two replicas of the team server, sharing one rate
gate and one route-forms memory through a real redis-server, against a local Sentry that limits the issue
details route as Sentry does (5 a second per token, method and route, in fixed one-second windows)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import pytest

from mcp_servers.framework.contracts import ModuleInput
from mcp_servers.sentry_monitor.src.processor import SentryErrorMonitorModule
from mcp_servers.sentry_monitor.src.sentry import capabilities
from mcp_servers.sentry_monitor.src.sentry.rate_gate import RateHeaders
from mcp_servers.sentry_monitor.src.web.replicas.connection import SharedRedis
from mcp_servers.sentry_monitor.src.web.replicas.forms import RedisForms
from mcp_servers.sentry_monitor.src.web.replicas.rate_gate import RedisRateGate
from tests.conftest import sandbox_settings
from tests.redis_server import running_redis

if TYPE_CHECKING:
    from mcp_servers.sentry_sandbox import SandboxServer

pytestmark = pytest.mark.anyio
PARALLEL = 64
ISSUE_ROUTE = r"/issues/[^/]+/$"
ISSUE_ENDPOINT = "GET organizations/sandbox/issues/*"


class Learning:
    """Whether either replica has told the shared gate the issue route's limit yet, and how many turns on that
    route the replicas took before (those go out unpaced: no limit is known)."""

    def __init__(self) -> None:
        self.told = False
        self.turns_before = 0


class CountingGate(RedisRateGate):
    """A replica's gate that counts, in `learning`, the issue-route turns it took before the limit was told."""

    def __init__(self, shared: SharedRedis, learning: Learning) -> None:
        super().__init__(shared)
        self.learning = learning

    async def wait_turn(self, scope: str, endpoint: str) -> None:
        await super().wait_turn(scope, endpoint)
        self.learning.turns_before += endpoint == ISSUE_ENDPOINT and not self.learning.told

    async def heard(self, scope: str, endpoint: str, headers: RateHeaders) -> None:
        await super().heard(scope, endpoint, headers)
        self.learning.told |= endpoint == ISSUE_ENDPOINT


@asynccontextmanager
async def replica(
    sandbox: SandboxServer, redis_url: str, learning: Learning
) -> AsyncIterator[SentryErrorMonitorModule]:
    """A module wired as a replica of the team server is: its gate and forms memory in the shared Redis."""
    shared = SharedRedis(redis_url)
    module = SentryErrorMonitorModule(sandbox_settings(sandbox, timeout=60.0, retry_attempts=3))
    module.share(gate=CountingGate(shared, learning), forms=RedisForms(shared))
    try:
        async with module:
            yield module
    finally:
        await shared.aclose()


async def test_64_parallel_lookups_on_two_replicas_learn_the_limit_together(
    clean_sandbox: SandboxServer, tmp_path: Path
) -> None:
    clean_sandbox.add_fault("sentry_rate_limit", ISSUE_ROUTE, rate=5)
    capabilities.forget_server(sandbox_settings(clean_sandbox).api_base)
    learning = Learning()
    statuses: list[str] = []
    with running_redis(tmp_path) as redis_server:
        async with AsyncExitStack() as stack:
            modules = [
                await stack.enter_async_context(replica(clean_sandbox, redis_server.url, learning)) for _ in "AB"
            ]

            async def one(index: int) -> None:
                issue = f"BACKEND-{1 + index % 8}"
                output = await modules[index % 2].execute(
                    ModuleInput(operation="get-issue-details", parameters={"issue_id": issue})
                )
                assert output.ok, output.error
                statuses.append(output.status.value)

            started = anyio.current_time()
            with anyio.fail_after(90):
                async with anyio.create_task_group() as group:
                    for index in range(PARALLEL):
                        group.start_soon(one, index)
            elapsed = anyio.current_time() - started
    limited = clean_sandbox.fault_hits()[0]["hits"]
    unpaced = learning.turns_before
    print(
        f"{len(statuses)} lookups over two replicas in {elapsed:.1f} s: the local Sentry answered {limited} 429s; "
        f"{unpaced} requests passed the gate before the first answer told the limit"
    )
    assert statuses == ["success"] * PARALLEL
    # Only the requests that passed the gate before the first answer told the limit go out unpaced: 5 of them
    # fit Sentry's window, the rest are answered 429. Once the limit is known both replicas take turns on Redis's
    # clock (the sends the answers say this window used counted, held until the reset when none remain), so a
    # retried request is paced, not limited again, but for one that crosses a window's end in flight (sent in
    # one second, counted in the next): a few more at the most.
    assert limited <= max(0, unpaced - 5) + 5
