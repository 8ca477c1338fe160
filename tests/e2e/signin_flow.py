"""A team server whose users sign in (`SENTRY_MONITOR_AUTH=oauth` or `user-token`), and a browser that signs in.

`Browser` does what a person does in their browser when the MCP SDK's OAuth client opens the sign-in: our consent
page (approve, full or read-only), then the local Sentry's own consent page as one of its users, back to our
callback, which sends the browser to the client's redirect URI with our code.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import socket
import ssl
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

import anyio
import httpx
import httpx2
from cryptography.fernet import Fernet
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken
from pydantic import AnyUrl

from tests.e2e.http_process import HttpServer, fetch, http_server
from tests.ledger import LEDGER

if TYPE_CHECKING:
    from mcp_servers.sentry_sandbox import SandboxServer

CLIENT_REDIRECT = "http://127.0.0.1:33418/callback"  # where the MCP client listens (never reached: read from the 302)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# Registers the server's callback URL as an OAuth application of the Sentry it signs in with: (client id, secret).
OAuthApp = Callable[[str], tuple[str, str]]


def sandbox_app(sandbox: SandboxServer) -> OAuthApp:
    def register(callback: str) -> tuple[str, str]:
        app = sandbox.add_oauth_app([callback], name="Team MCP")
        return app.client_id, app.client_secret

    return register


@contextmanager
def signin_server(
    sentry: tuple[str, str],
    log: Path,
    state: Path,
    *args: str,
    oauth_app: OAuthApp | None = None,
    **env: str,
) -> Iterator[HttpServer]:
    """A team server for the Sentry at `sentry` (URL, organization) whose users sign in: through its OAuth
    application (`oauth_app`), else with their own API tokens. On a known port: its public URL is needed first."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = {
        "SENTRY_URL": sentry[0],
        "SENTRY_ORG": sentry[1],
        "SENTRY_MONITOR_STATE_FILE": str(state),
        **sign_in_settings(base, oauth_app),
        **env,
    }
    with http_server(None, log, [], "--port", str(port), *args, **settings) as running:
        yield running


def sign_in_settings(base: str, oauth_app: OAuthApp | None) -> dict[str, str]:
    """What a server at `base` needs for users to sign in: through `oauth_app` (registered here with the server's
    callback), else with their own API tokens; its secrets join the ledger."""
    settings = {
        "SENTRY_MONITOR_AUTH": "oauth" if oauth_app else "user-token",
        "SENTRY_MONITOR_PUBLIC_URL": f"{base}/mcp",
        "SENTRY_MONITOR_SECRET_KEY": Fernet.generate_key().decode(),
    }
    if oauth_app is not None:
        client_id, secret = oauth_app(f"{base}/signin/callback")
        settings.update(SENTRY_OAUTH_CLIENT_ID=client_id, SENTRY_OAUTH_CLIENT_SECRET=secret)
        LEDGER.secrets.add(secret)
    LEDGER.secrets.add(settings["SENTRY_MONITOR_SECRET_KEY"])
    return settings


class MemoryStorage:
    """The MCP client's token storage; every token it is given joins the ledger (no log may show one)."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        LEDGER.secrets.update(t for t in (tokens.access_token, tokens.refresh_token) if t)
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        if client_info.client_secret:
            LEDGER.secrets.add(client_info.client_secret)
        self.client = client_info


class Browser:
    """The user's browser: `user` is who is signed in to Sentry, `access` what they pick on our consent page."""

    def __init__(
        self,
        user: str | None = "ana",
        access: str = "full",
        token: str | None = None,
        verify: ssl.SSLContext | None = None,
    ) -> None:
        """`verify`: the TLS trust of a server behind a proxy with a test certificate."""
        self.user = user
        self.access = access
        self.token = token  # user-token mode: the API token pasted on our page
        self.http = httpx.AsyncClient(timeout=30, verify=verify or True)  # keeps cookies, as a browser does
        self.pages: list[httpx.Response] = []
        self.landed: str | None = None

    async def open(self, authorize_url: str) -> None:
        """The SDK's redirect handler: from our /authorize to the client's redirect URI."""
        consent = await self._get(authorize_url)
        request_id = parse_qs(urlsplit(str(consent.url)).query)["request"][0]
        form = {"request": request_id, "action": "approve", "access": self.access}
        if self.token is not None:
            form["token"] = self.token
        answer = await self._post(str(consent.url).split("?")[0], form)
        if answer.status_code == 303:  # on to Sentry's consent page, as `user`
            sentry_page = await self._get(answer.headers["location"])
            query = {key: values[0] for key, values in parse_qs(urlsplit(str(sentry_page.url)).query).items()}
            answer = await self._post(
                str(sentry_page.url).split("?")[0], {**query, "user": self.user or "", "op": "approve"}
            )
            if answer.status_code == 302 and "/signin/callback" in answer.headers["location"]:
                answer = await self._get(answer.headers["location"], follow=False)
        if answer.status_code == 302 and answer.headers["location"].startswith(CLIENT_REDIRECT):
            self.landed = answer.headers["location"]

    async def code(self) -> AuthorizationCodeResult:
        """The SDK's callback handler: the code our server sent the browser back with."""
        assert self.landed is not None, f"the sign-in did not come back: {[p.status_code for p in self.pages]}"
        query = parse_qs(urlsplit(self.landed).query)
        return AuthorizationCodeResult(code=query["code"][0], state=query.get("state", [None])[0])

    async def _get(self, url: str, follow: bool = True) -> httpx.Response:
        response = await self.http.get(url, follow_redirects=False)
        while (
            follow
            and response.status_code in (302, 303)
            and not response.headers["location"].startswith(CLIENT_REDIRECT)
            and "/oauth/authorize/" not in response.headers["location"]
        ):
            response = await self.http.get(response.headers["location"], follow_redirects=False)
        self.pages.append(response)
        return response

    async def _post(self, url: str, form: dict[str, str]) -> httpx.Response:
        response = await self.http.post(url, data=form, follow_redirects=False)
        self.pages.append(response)
        return response

    def last_page(self) -> httpx.Response:
        return self.pages[-1]


def client_metadata(name: str = "Test Agent") -> OAuthClientMetadata:
    return OAuthClientMetadata(
        client_name=name,
        redirect_uris=[AnyUrl(CLIENT_REDIRECT)],
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
    )


@asynccontextmanager
async def signed_in(
    server: HttpServer | str,
    browser: Browser,
    mode: str = "legacy",
    storage: MemoryStorage | None = None,
    verify: ssl.SSLContext | None = None,
) -> AsyncIterator[Client]:
    """The SDK's streamable-HTTP client with its OAuth client provider, signing in through `browser` to `server`
    (a server of the tests, or an MCP URL)."""
    url = server if isinstance(server, str) else server.url
    auth = OAuthClientProvider(url, client_metadata(), storage or MemoryStorage(), browser.open, browser.code)
    async with (
        httpx2.AsyncClient(auth=auth, timeout=60, verify=verify or True) as http,
        Client(streamable_http_client(url, http_client=http), mode=mode) as client,
    ):
        yield client


async def register(server: HttpServer, name: str = "Hand-made client") -> dict[str, Any]:
    """Dynamic client registration (RFC 7591), by hand."""
    answer = await fetch("POST", f"{server.base}/register", json={**client_metadata(name).model_dump(mode="json")})
    assert answer.status_code == 201, answer.text
    registered = dict(answer.json())
    LEDGER.secrets.add(registered["client_secret"])
    return registered


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_url(server: HttpServer, client_id: str, challenge: str, redirect: str = CLIENT_REDIRECT) -> str:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": "s1",
        "resource": server.url,
    }
    return f"{server.base}/authorize?{urlencode(query)}"


async def token_request(server: HttpServer, client: dict[str, Any], **form: str) -> httpx.Response:
    credentials = {"client_id": client["client_id"], "client_secret": client["client_secret"]}
    return await fetch("POST", f"{server.base}/token", data={**credentials, **form})


async def calls_near_a_renewal(
    url: str, sandbox: SandboxServer, calls: int = 8, verify: ssl.SSLContext | None = None
) -> tuple[list[Any], int]:
    """`calls` parallel calls of a user whose Sentry token is about to expire: their results, and how many times
    the local Sentry renewed it meanwhile."""
    lifetime = sandbox.oauth_token_lifetime
    sandbox.oauth_token_lifetime = 61.0  # within the server's 60 s margin a second later: renewed before use
    try:
        async with signed_in(url, Browser("chloe@example.com", verify=verify), verify=verify) as client:
            await anyio.sleep(1.2)
            before = sandbox.oauth_stats.refreshes
            results: list[Any] = []

            async def one() -> None:
                results.append(await client.call_tool("get-recent-issues", {"project_slug": "worker", "limit": 1}))

            async with anyio.create_task_group() as group:
                for _ in range(calls):
                    group.start_soon(one)
            return results, sandbox.oauth_stats.refreshes - before
    finally:
        sandbox.oauth_token_lifetime = lifetime
