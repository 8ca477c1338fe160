"""The HTTP gate in front of a signed-in user's calls: no token, a renewal Sentry cannot answer now, the audit line."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from mcp.server.auth.middleware.auth_context import auth_context_var
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken

from mcp_servers.framework.contracts import ModuleInput, ModuleOutput, SideEffect
from mcp_servers.sentry_monitor.src.base.config import Settings
from mcp_servers.sentry_monitor.src.processor import SentryErrorMonitorModule
from mcp_servers.sentry_monitor.src.sentry import SentryClient
from mcp_servers.sentry_monitor.src.web.gate import HttpGate
from mcp_servers.sentry_monitor.src.web.metrics import Metrics
from mcp_servers.sentry_monitor.src.web.signin.callers import SignedInCallers
from mcp_servers.sentry_monitor.src.web.signin.provider import SCOPES
from mcp_servers.sentry_monitor.src.web.signin.sentry_oauth import SentryGrant, SentryOAuth, SentryUser
from mcp_servers.sentry_monitor.src.web.signin.signins import SignIns
from mcp_servers.sentry_monitor.src.web.signin.store import SignInStore
from mcp_servers.sentry_monitor.src.web.signin.vault import Vault

pytestmark = pytest.mark.anyio
SETTINGS = Settings(auth_token="", url="https://sentry.example.com", org="acme")
ANA = SentryUser("2", "Ana Lima", "ana@example.com")


@pytest.fixture
async def signins(tmp_path: Path) -> AsyncIterator[SignIns]:
    store = SignInStore(tmp_path / "s.sqlite3")
    yield SignIns(store, Vault(Fernet.generate_key().decode()))
    await store.close()


def gate_for(signins: SignIns, token_answer: httpx.Response) -> HttpGate:
    sentry = SentryOAuth(SETTINGS, "id", "secret", "https://m/cb", httpx.MockTransport(lambda _: token_answer))
    return HttpGate(Metrics(), 8, SignedInCallers(signins, sentry, "https://m/mcp"))


def as_caller(subject: str | None) -> None:
    token = AccessToken(token="h", client_id="client-1", scopes=list(SCOPES), subject=subject)
    auth_context_var.set(AuthenticatedUser(token) if subject else None)


async def never(client: SentryClient | None) -> ModuleOutput:
    raise AssertionError("the call must not run")


async def test_a_call_without_a_sign_in_never_runs_with_the_module_token(signins: SignIns) -> None:
    as_caller(None)
    output = await gate_for(signins, httpx.Response(500)).admit(
        SentryErrorMonitorModule(SETTINGS), "list-projects", {}, never
    )
    assert output.error is not None and output.error.code == "NOT_AUTHENTICATED"
    assert output.error.details["sign_in"] == "https://m/mcp"


async def test_a_renewal_sentry_cannot_answer_now_keeps_the_sign_in(signins: SignIns) -> None:
    expiring = SentryGrant("old-access-token", "refresh-token-1", time.time() + 5, ("event:read",))
    signin = await signins.create(ANA, ("client-1", "Claude"), False, "sentry-oauth", "acme", expiring)
    as_caller(signin.id)
    async with SentryErrorMonitorModule(SETTINGS) as module:
        gate = gate_for(signins, httpx.Response(503))
        output = await gate.admit(module, "list-projects", {}, never)
    assert output.error is not None and (output.error.code, output.error.retryable) == ("SENTRY_UNAVAILABLE", True)
    assert await signins.grant(signin.id) == expiring  # not ended: the next call tries again


async def test_a_write_is_audited_with_the_user_and_its_issues(
    signins: SignIns, caplog: pytest.LogCaptureFixture
) -> None:
    grant = SentryGrant("access-token", "refresh-token", time.time() + 3600, ("event:write",))
    signin = await signins.create(ANA, ("client-1", "Claude"), False, "sentry-oauth", "acme", grant)
    as_caller(signin.id)
    async with SentryErrorMonitorModule(SETTINGS) as module:
        base = await module.execute(ModuleInput(operation="nope", parameters={}))

        async def resolved(client: SentryClient | None) -> ModuleOutput:
            assert client is not None and client.settings.auth_token == "access-token"
            effect = SideEffect(kind="issue_status_changed", target="issue:1", description="resolved")
            return base.model_copy(update={"error": None, "side_effects": [effect]})

        with caplog.at_level(logging.INFO, logger="sentry_monitor.audit"):
            await gate_for(signins, httpx.Response(500)).admit(
                module, "update-issues", {"issue_ids": ["1", "2"]}, resolved
            )
    assert "audit: ana@example.com (Sentry user 2) ran update-issues on 1, 2: " in caplog.text
    assert "changed: issue:1" in caplog.text


async def test_a_request_sentry_refuses_is_sent_again_once_with_the_renewed_token() -> None:
    seen: list[str] = []

    def sentry(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["authorization"])
        if request.headers["authorization"] != "Bearer renewed-token":
            return httpx.Response(401, json={"detail": "Invalid token"})
        return httpx.Response(200, json=[{"slug": "backend", "name": "Backend", "id": "1", "platform": "python"}])

    async def renew(client: SentryClient, stale: str) -> None:
        assert stale == "revoked-token"
        client.settings = replace(client.settings, auth_token="renewed-token")

    async with SentryErrorMonitorModule(SETTINGS, transport=httpx.MockTransport(sentry)) as module:
        client = module.client_for("revoked-token", renew=renew)
        output = await module.execute(ModuleInput(operation="list-projects", parameters={}), client=client)
    assert output.ok, output.error
    assert seen == ["Bearer revoked-token", "Bearer renewed-token"]  # once refused, once sent again
