"""The local Sentry's OAuth 2 authorization-code grant, over loopback as the team server will use it.

Each test has its own unseeded local Sentry (OAuth needs no events; the projects and people are there).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from mcp_servers.sentry_sandbox import SandboxServer
from mcp_servers.sentry_sandbox.oauth import OAuthApp, OAuthStats

CALLBACK = "http://127.0.0.1:8765/oauth/callback"
OTHER_CALLBACK = "http://localhost:8765/oauth/callback"
SCOPES = "org:read project:read event:read"
PROJECTS = "/api/0/organizations/sandbox/projects/"
INVALID_TOKEN = {"detail": "Invalid token"}


@pytest.fixture
def sentry() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


@pytest.fixture
def app(sentry: SandboxServer) -> OAuthApp:
    return sentry.add_oauth_app([CALLBACK, OTHER_CALLBACK])


@pytest.fixture
def web(sentry: SandboxServer) -> Iterator[httpx.Client]:
    """A browser-like client on the local Sentry that does not follow redirects."""
    with httpx.Client(base_url=sentry.url, timeout=10, follow_redirects=False) as client:
        yield client


def _authorize(app: OAuthApp, **overrides: str) -> dict[str, str]:
    fields = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": CALLBACK,
        "scope": SCOPES,
        "state": "st-42",
    }
    fields.update(overrides)
    return fields


def _query(response: httpx.Response) -> dict[str, list[str]]:
    return parse_qs(urlsplit(response.headers["location"]).query)


def _code(web: httpx.Client, app: OAuthApp, user: str, **overrides: str) -> str:
    """Approve as `user`; the code of the redirect."""
    response = web.post("/oauth/authorize/", data={**_authorize(app, **overrides), "user": user, "op": "approve"})
    assert response.status_code == 302
    return _query(response)["code"][0]


def _exchange(web: httpx.Client, app: OAuthApp, code: str, redirect_uri: str = CALLBACK) -> httpx.Response:
    return web.post(
        "/oauth/token/",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": app.client_id,
            "client_secret": app.client_secret,
        },
    )


def _refresh(web: httpx.Client, app: OAuthApp, refresh_token: str) -> httpx.Response:
    return web.post(
        "/oauth/token/",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": app.client_id,
            "client_secret": app.client_secret,
        },
    )


def _sign_in(web: httpx.Client, app: OAuthApp, user: str) -> dict[str, Any]:
    response = _exchange(web, app, _code(web, app, user))
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _get(web: httpx.Client, path: str, token: str) -> httpx.Response:
    return web.get(path, headers={"Authorization": f"Bearer {token}"})


def _project_slugs(web: httpx.Client, token: str) -> list[str]:
    """The projects the token may read: Sentry lists every project, each saying `hasAccess`."""
    response = _get(web, PROJECTS, token)
    assert response.status_code == 200
    return sorted(project["slug"] for project in response.json() if project["hasAccess"])


# -- the whole flow ---------------------------------------------------------------------------------


def test_consent_page_names_the_app_and_scopes_and_posts_back(web: httpx.Client, app: OAuthApp) -> None:
    response = web.get("/oauth/authorize/", params=_authorize(app, scope="org:read,event:read"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "Sentry Error Monitor is requesting access" in page
    assert "<li>org:read</li><li>event:read</li>" in page
    assert '<form method="post" action="/oauth/authorize/">' in page
    for field in ('name="user"', 'name="op" value="approve"', 'name="op" value="deny"'):
        assert field in page
    assert f'name="client_id" value="{app.client_id}"' in page
    assert f'name="redirect_uri" value="{CALLBACK}"' in page
    assert 'name="scope" value="org:read event:read"' in page
    assert 'name="state" value="st-42"' in page
    assert 'name="response_type" value="code"' in page


def test_code_flow_as_ana_reaches_backend_and_worker(sentry: SandboxServer, web: httpx.Client, app: OAuthApp) -> None:
    approved = web.post("/oauth/authorize/", data={**_authorize(app), "user": "ana", "op": "approve"})
    assert approved.status_code == 302
    assert approved.headers["location"].startswith(CALLBACK + "?code=")
    query = _query(approved)
    assert query["state"] == ["st-42"] and len(query["code"][0]) == 64
    before = datetime.now(UTC)
    response = _exchange(web, app, query["code"][0])
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "expires_in", "expires_at", "token_type", "scope", "user"}
    assert (body["token_type"], body["scope"], body["expires_in"]) == (
        "bearer",
        "event:read org:read project:read",
        2592000,
    )
    assert body["user"] == {"id": "2", "name": "Ana Lima", "email": "ana@example.com"}
    assert body["expires_at"].endswith("Z")
    expires_at = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert abs(expires_at - (before + timedelta(days=30))) < timedelta(seconds=5)
    assert len(body["access_token"]) == 64 and len(body["refresh_token"]) == 64
    assert _project_slugs(web, body["access_token"]) == ["backend", "worker"]
    root = _get(web, "/api/0/", body["access_token"]).json()
    assert root["auth"] == {"scopes": ["event:read", "org:read", "project:read"]}
    assert root["user"]["email"] == "ana@example.com"
    assert sentry.oauth_stats == OAuthStats(code_exchanges=1, refreshes=0, refused=0)


def test_code_flow_as_ben_reaches_only_backend(web: httpx.Client, app: OAuthApp) -> None:
    body = _sign_in(web, app, "ben@example.com")
    assert body["user"] == {"id": "3", "name": "Ben Okafor", "email": "ben@example.com"}
    assert _project_slugs(web, body["access_token"]) == ["backend"]
    worker = _get(web, "/api/0/projects/sandbox/worker/", body["access_token"])
    assert worker.status_code == 403
    assert worker.json() == {"detail": "You do not have permission to perform this action."}


def test_token_has_only_the_granted_scopes(web: httpx.Client, app: OAuthApp) -> None:
    code = _code(web, app, "ana", scope="org:read")
    token = _exchange(web, app, code).json()["access_token"]
    assert _get(web, "/api/0/organizations/sandbox/issues/", token).status_code == 403
    assert _get(web, PROJECTS, token).status_code == 200


def test_client_credentials_by_http_basic(web: httpx.Client, app: OAuthApp) -> None:
    basic = base64.b64encode(f"{app.client_id}:{app.client_secret}".encode()).decode()
    response = web.post(
        "/oauth/token/",
        data={"grant_type": "authorization_code", "code": _code(web, app, "ana"), "redirect_uri": CALLBACK},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200
    assert response.json()["user"]["id"] == "2"


def test_missing_redirect_uri_is_the_first_registered(web: httpx.Client, app: OAuthApp) -> None:
    fields = {key: value for key, value in _authorize(app).items() if key != "redirect_uri"}
    page = web.get("/oauth/authorize/", params=fields)
    assert page.status_code == 200 and f'name="redirect_uri" value="{CALLBACK}"' in page.text
    approved = web.post("/oauth/authorize/", data={**fields, "user": "ana", "op": "approve"})
    assert approved.headers["location"].startswith(CALLBACK + "?code=")
    token = web.post(
        "/oauth/token/",
        data={
            "grant_type": "authorization_code",
            "code": _query(approved)["code"][0],
            "client_id": app.client_id,
            "client_secret": app.client_secret,
        },
    )
    assert token.status_code == 200


def test_second_redirect_uri_is_accepted_and_must_be_repeated(web: httpx.Client, app: OAuthApp) -> None:
    code = _code(web, app, "ana", redirect_uri=OTHER_CALLBACK)
    assert _exchange(web, app, code, CALLBACK).json() == {
        "error": "invalid_grant",
        "error_description": "invalid redirect URI",
    }
    assert _exchange(web, app, code, OTHER_CALLBACK).status_code == 200


# -- authorization refused ------------------------------------------------------------------------


def test_deny_redirects_with_access_denied(web: httpx.Client, app: OAuthApp) -> None:
    response = web.post("/oauth/authorize/", data={**_authorize(app), "user": "ana", "op": "deny"})
    assert response.status_code == 302
    assert response.headers["location"] == f"{CALLBACK}?error=access_denied&state=st-42"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_unknown_client_id_is_an_error_page_without_redirect(web: httpx.Client, app: OAuthApp, method: str) -> None:
    fields = _authorize(app, client_id="0" * 64)
    if method == "GET":
        response = web.get("/oauth/authorize/", params=fields)
    else:
        response = web.post("/oauth/authorize/", data={**fields, "user": "ana", "op": "approve"})
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>Invalid client_id</h1>" in response.text


@pytest.mark.parametrize("redirect_uri", ["http://evil.example/cb", CALLBACK + "/", CALLBACK + "?x=1"])
def test_unregistered_redirect_uri_is_an_error_page_without_redirect(
    web: httpx.Client, app: OAuthApp, redirect_uri: str
) -> None:
    for response in (
        web.get("/oauth/authorize/", params=_authorize(app, redirect_uri=redirect_uri)),
        web.post(
            "/oauth/authorize/", data={**_authorize(app, redirect_uri=redirect_uri), "user": "ana", "op": "approve"}
        ),
    ):
        assert response.status_code == 400
        assert "location" not in response.headers
        assert "<h1>Invalid redirect_uri</h1>" in response.text


def test_unsupported_response_type_and_unknown_scope_redirect_with_an_error(web: httpx.Client, app: OAuthApp) -> None:
    token = web.get("/oauth/authorize/", params=_authorize(app, response_type="token"))
    assert token.status_code == 302
    assert token.headers["location"] == f"{CALLBACK}?error=unsupported_response_type&state=st-42"
    scope = web.get("/oauth/authorize/", params=_authorize(app, scope="org:read org:everything"))
    assert scope.status_code == 302
    assert scope.headers["location"] == f"{CALLBACK}?error=invalid_scope&state=st-42"
    posted = web.post("/oauth/authorize/", data={**_authorize(app, scope="nope"), "user": "ana", "op": "approve"})
    assert posted.headers["location"] == f"{CALLBACK}?error=invalid_scope&state=st-42"


def test_without_state_the_redirect_has_none(web: httpx.Client, app: OAuthApp) -> None:
    fields = {key: value for key, value in _authorize(app).items() if key != "state"}
    response = web.post("/oauth/authorize/", data={**fields, "user": "ana", "op": "deny"})
    assert response.headers["location"] == f"{CALLBACK}?error=access_denied"


@pytest.mark.parametrize(
    ("user", "op", "title"),
    [
        ("nobody@example.com", "approve", "No such user"),
        ("", "approve", "No such user"),
        ("ana", "maybe", "Invalid op"),
    ],
)
def test_approval_needs_a_known_user_and_an_op(
    web: httpx.Client, app: OAuthApp, user: str, op: str, title: str
) -> None:
    response = web.post("/oauth/authorize/", data={**_authorize(app), "user": user, "op": op})
    assert response.status_code == 400
    assert "location" not in response.headers
    assert f"<h1>{title}</h1>" in response.text


# -- the token endpoint refuses -------------------------------------------------------------------


def test_a_code_is_used_once(sentry: SandboxServer, web: httpx.Client, app: OAuthApp) -> None:
    code = _code(web, app, "ana")
    assert _exchange(web, app, code).status_code == 200
    again = _exchange(web, app, code)
    assert again.status_code == 400
    assert again.json() == {"error": "invalid_grant", "error_description": "invalid grant"}
    assert sentry.oauth_stats == OAuthStats(code_exchanges=1, refreshes=0, refused=1)


def test_an_expired_code_is_refused(sentry: SandboxServer, web: httpx.Client, app: OAuthApp) -> None:
    sentry.oauth.code_lifetime_s = 0.0
    response = _exchange(web, app, _code(web, app, "ana"))
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant", "error_description": "grant expired"}


def test_a_code_of_another_app_is_refused(sentry: SandboxServer, web: httpx.Client, app: OAuthApp) -> None:
    other = sentry.add_oauth_app([CALLBACK], name="Other")
    response = _exchange(web, other, _code(web, app, "ana"))
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant", "error_description": "invalid grant"}


@pytest.mark.parametrize(
    ("credentials", "headers"),
    [
        ({"client_secret": "f" * 64}, {}),
        ({"client_id": "", "client_secret": ""}, {}),
        ({"client_id": "nope"}, {}),
        ({"client_id": "", "client_secret": ""}, {"Authorization": "Basic not-base64!"}),
    ],
)
def test_bad_client_credentials_are_invalid_client(
    sentry: SandboxServer, web: httpx.Client, app: OAuthApp, credentials: dict[str, str], headers: dict[str, str]
) -> None:
    fields = {
        "grant_type": "authorization_code",
        "code": _code(web, app, "ana"),
        "redirect_uri": CALLBACK,
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        **credentials,
    }
    response = web.post("/oauth/token/", data=fields, headers=headers)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client", "error_description": "invalid client_id or client_secret"}
    assert sentry.oauth_stats.refused == 1


def test_other_grant_types_are_unsupported(web: httpx.Client, app: OAuthApp) -> None:
    response = web.post(
        "/oauth/token/",
        data={"grant_type": "password", "client_id": app.client_id, "client_secret": app.client_secret},
    )
    assert response.status_code == 400
    assert response.json() == {"error": "unsupported_grant_type"}


# -- refresh, expiry, revocation ------------------------------------------------------------------


def test_refresh_rotates_both_tokens(sentry: SandboxServer, web: httpx.Client, app: OAuthApp) -> None:
    first = _sign_in(web, app, "ana")
    response = _refresh(web, app, first["refresh_token"])
    assert response.status_code == 200
    second = response.json()
    assert second["access_token"] != first["access_token"] and second["refresh_token"] != first["refresh_token"]
    assert (second["scope"], second["user"]["id"], second["expires_in"]) == (first["scope"], "2", 2592000)
    assert _project_slugs(web, second["access_token"]) == ["backend", "worker"]
    old = _get(web, PROJECTS, first["access_token"])
    assert (old.status_code, old.json()) == (401, INVALID_TOKEN)
    reused = _refresh(web, app, first["refresh_token"])
    assert reused.status_code == 400
    assert reused.json() == {"error": "invalid_grant", "error_description": "invalid refresh token"}
    assert sentry.oauth_stats == OAuthStats(code_exchanges=1, refreshes=1, refused=1)


def test_refresh_needs_the_same_app_and_a_token(sentry: SandboxServer, web: httpx.Client, app: OAuthApp) -> None:
    first = _sign_in(web, app, "ana")
    other = sentry.add_oauth_app([CALLBACK], name="Other")
    assert _refresh(web, other, first["refresh_token"]).json()["error"] == "invalid_grant"
    assert _refresh(web, app, "").json() == {"error": "invalid_request", "error_description": "missing refresh_token"}
    assert _get(web, PROJECTS, first["access_token"]).status_code == 200


def test_an_expired_access_token_is_refused_and_can_be_refreshed(
    sentry: SandboxServer, web: httpx.Client, app: OAuthApp
) -> None:
    sentry.oauth_token_lifetime = 1.0
    assert sentry.oauth_token_lifetime == 1.0
    body = _sign_in(web, app, "ana")
    assert body["expires_in"] == 1
    assert _get(web, PROJECTS, body["access_token"]).status_code == 200
    time.sleep(1.2)
    for path in (PROJECTS, "/api/0/"):
        expired = _get(web, path, body["access_token"])
        assert (expired.status_code, expired.json()) == (401, {"detail": "Token expired"})
    sentry.oauth_token_lifetime = 60
    renewed = _refresh(web, app, body["refresh_token"]).json()
    assert renewed["expires_in"] == 60
    assert _project_slugs(web, renewed["access_token"]) == ["backend", "worker"]
    assert _get(web, PROJECTS, sentry.token).status_code == 200  # the sandbox's own tokens never expire


def test_revoke_stops_a_users_tokens_only(sentry: SandboxServer, web: httpx.Client, app: OAuthApp) -> None:
    ana, ben = _sign_in(web, app, "ana"), _sign_in(web, app, "ben@example.com")
    assert sentry.revoke_oauth_tokens("ana@example.com") == 1
    for path in (PROJECTS, "/api/0/"):
        revoked = _get(web, path, ana["access_token"])
        assert (revoked.status_code, revoked.json()) == (401, INVALID_TOKEN)
    assert _refresh(web, app, ana["refresh_token"]).json()["error"] == "invalid_grant"
    assert _project_slugs(web, ben["access_token"]) == ["backend"]
    assert sentry.revoke_oauth_tokens("2") == 0
    with pytest.raises(KeyError):
        sentry.revoke_oauth_tokens("nobody@example.com")


def test_without_refresh_tokens_the_answer_has_none(sentry: SandboxServer, web: httpx.Client, app: OAuthApp) -> None:
    sentry.oauth_refresh_tokens = False
    assert sentry.oauth_refresh_tokens is False
    body = _sign_in(web, app, "ana")
    assert "refresh_token" not in body
    assert set(body) == {"access_token", "expires_in", "expires_at", "token_type", "scope", "user"}
    assert sentry.revoke_oauth_tokens("ana") == 1
    assert _get(web, PROJECTS, body["access_token"]).status_code == 401


# -- applications and flavors ---------------------------------------------------------------------


def test_an_app_has_hex_credentials_and_needs_a_redirect_uri(sentry: SandboxServer) -> None:
    app = sentry.add_oauth_app(["http://127.0.0.1/cb"], name="Team server")
    assert (app.name, app.redirect_uris) == ("Team server", ("http://127.0.0.1/cb",))
    for value in (app.client_id, app.client_secret):
        assert len(value) == 64 and int(value, 16) >= 0
    with pytest.raises(ValueError, match="redirect URI"):
        sentry.add_oauth_app([])


def test_legacy_flavor_serves_oauth() -> None:
    with SandboxServer(flavor="sentry-legacy") as legacy, httpx.Client(base_url=legacy.url, timeout=10) as web:
        app = legacy.add_oauth_app([CALLBACK])
        body = _sign_in(web, app, "ben@example.com")
        assert _project_slugs(web, body["access_token"]) == ["backend"]


@pytest.mark.parametrize("flavor", ["glitchtip", "glitchtip-nofrontend"])
def test_glitchtip_has_no_oauth_routes(flavor: str) -> None:
    with SandboxServer(flavor=flavor) as glitchtip, httpx.Client(base_url=glitchtip.url, timeout=10) as web:
        app = glitchtip.add_oauth_app([CALLBACK])
        authorize = web.get("/oauth/authorize/", params=_authorize(app))
        token = web.post("/oauth/token/", data={"grant_type": "authorization_code", "code": "x"})
    assert (authorize.status_code, token.status_code) == (404, 404)
    assert "Page not found" in authorize.text and "Page not found" in token.text
