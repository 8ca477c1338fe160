"""What every figure needs: the local Sentry, the servers under test, sessions and counted tool calls."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .clients import StdioSession, ToolAnswer
from .sandbox import REPO, LocalSentry
from .servers import Call, Server


@dataclass
class Bench:
    """One bench run: `sentry` (seeded), the servers (ours first), where logs go, and how many repeats."""

    sentry: LocalSentry
    servers_for: Callable[[LocalSentry], list[Server]]
    work_dir: Path
    quick: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def servers(self) -> list[Server]:
        """The servers under test pointed at the seeded local Sentry, ours first."""
        return self.servers_for(self.sentry)

    def runs(self, full: int, quick: int) -> int:
        return quick if self.quick else full

    def stderr_path(self, server: Server) -> Path:
        return self.work_dir / f"{server.name}.stderr.log"

    @asynccontextmanager
    async def session(self, server: Server) -> AsyncIterator[StdioSession]:
        """A started and initialized session of `server` (closed on exit)."""
        session = await StdioSession.spawn(server.command, server.env, REPO, self.stderr_path(server))
        try:
            await session.initialize()
            yield session
        finally:
            await session.close()

    async def counted_call(
        self, session: StdioSession, call: Call, sentry: LocalSentry | None = None
    ) -> tuple[ToolAnswer, list[dict[str, Any]]]:
        """One tool call and the Sentry API requests it made (the request log, cleared before)."""
        target = sentry or self.sentry
        await target.clear_requests()
        answer = await session.call(*call)
        return answer, await target.requests()

    async def busiest_issue(self, project: str = "backend") -> dict[str, Any]:
        """The unresolved issue of `project` with the most events: the one every issue figure reads."""
        issues = [i for i in await self.sentry.issues() if i["project"] == project and i["status"] == "unresolved"]
        return max(issues, key=lambda issue: (issue["events"], issue["short_id"]))
