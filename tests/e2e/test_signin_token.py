"""Sign-in where the server has no OAuth (GlitchTip): each user gives their own API token once, on our page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.conftest import SandboxPool
from tests.e2e.http_process import HttpServer
from tests.e2e.signin_flow import Browser, signed_in, signin_server
from tests.ledger import LEDGER

if TYPE_CHECKING:
    from mcp_servers.sentry_sandbox import SandboxServer

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def glitchtip(sandbox_pool: SandboxPool) -> SandboxServer:
    return sandbox_pool.get("glitchtip")


@pytest.fixture(scope="module")
def server(glitchtip: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServer]:
    folder = tmp_path_factory.mktemp("token-signin")
    sentry = (glitchtip.url, glitchtip.org_slug)
    with signin_server(sentry, folder / "server.log", folder / "state.sqlite3") as running:
        yield running
    LEDGER.scan_file(running.log)


async def test_a_user_signs_in_with_their_own_token_and_acts_as_themself(
    server: HttpServer, glitchtip: SandboxServer
) -> None:
    token = glitchtip.token_for("ben@example.com")
    LEDGER.secrets.add(token)
    browser = Browser(None, token=token)
    async with signed_in(server, browser) as client:
        result = await client.call_tool("get-recent-issues", {"project_slug": "backend", "limit": 2})
        refused = await client.call_tool("get-recent-issues", {"project_slug": "worker", "limit": 2})
    assert not result.is_error, result
    assert refused.is_error
    consent = next(page for page in browser.pages if 'name="token"' in page.text)
    assert "Your own API token for 127.0.0.1" in consent.text
    assert "signed in: ben@example.com (Sentry user 3) with Test Agent (full" in server.log_text()


async def test_a_wrong_token_or_an_outsider_cannot_sign_in(server: HttpServer, glitchtip: SandboxServer) -> None:
    wrong = Browser(None, token="not-a-token-at-all")
    with pytest.raises(Exception):  # noqa: B017 - no code came back to the client
        async with signed_in(server, wrong) as client:
            await client.list_tools()
    assert wrong.last_page().status_code == 400  # as the real GlitchTip: its /api/0/ names no user for the token
    assert "did not recognise this as a user&#x27;s own API token" in wrong.last_page().text
    outsider_token = glitchtip.token_for("omar@partner.example")
    LEDGER.secrets.add(outsider_token)
    outsider = Browser(None, token=outsider_token)
    with pytest.raises(Exception):  # noqa: B017
        async with signed_in(server, outsider) as client:
            await client.list_tools()
    assert outsider.last_page().status_code == 403 and "not a member" in outsider.last_page().text


async def test_a_revoked_api_token_ends_the_sign_in(server: HttpServer, glitchtip: SandboxServer) -> None:
    token = glitchtip.token_for("ana")
    LEDGER.secrets.add(token)
    async with signed_in(server, Browser(None, token=token)) as client:
        assert not (await client.call_tool("list-projects", {})).is_error
        assert glitchtip.tokens.revoke(token)
        ended = await client.call_tool("list-projects", {})
    error = dict(ended.structured_content or {})["error"]
    assert error["code"] == "NOT_AUTHENTICATED"
    assert "no longer accepts the API token you signed in with" in error["message"]
    assert "caller=si_" in server.log_text()  # the access log names the sign-in, never a token
