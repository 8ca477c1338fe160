"""A scripted Sentry for unit tests: an httpx MockTransport answering by path, logging requests."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from mcp_servers.sentry_monitor.src.base.config import Settings
from mcp_servers.sentry_monitor.src.processor import SentryErrorMonitorModule

TOKEN = "sntryu_" + "0123456789abcdef" * 4
Answer = httpx.Response | Callable[[httpx.Request], httpx.Response]


class ScriptedSentry:
    """Answers requests whose path ends with a registered suffix; anything else is a test failure (599)."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, str, list[Answer]]] = []
        self.requests: list[httpx.Request] = []

    def on(self, method: str, path_suffix: str, *answers: Answer) -> ScriptedSentry:
        """Answer in turn with `answers`; the last one repeats."""
        self.routes.append((method, path_suffix, list(answers)))
        return self

    def json(self, method: str, path_suffix: str, body: Any, headers: dict[str, str] | None = None) -> ScriptedSentry:
        return self.on(method, path_suffix, httpx.Response(200, json=body, headers=headers))

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        for method, suffix, answers in self.routes:
            if request.method == method and request.url.path.endswith(suffix):
                answer = answers.pop(0) if len(answers) > 1 else answers[0]
                return answer(request) if callable(answer) else answer
        return httpx.Response(599, text=f"unscripted {request.method} {request.url.path}")

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def paths(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]

    def module(self, **settings: Any) -> SentryErrorMonitorModule:
        values: dict[str, Any] = {
            "auth_token": TOKEN,
            "url": "https://sentry.example.com",
            "org": "acme",
            "timeout": 5.0,
            "retry_attempts": 3,
            "server": "sentry",  # a scripted Sentry; tests of the identification ask for "auto"
        }
        values.update(settings)
        return SentryErrorMonitorModule(Settings(**values), transport=self.transport)


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content) if request.content else None
