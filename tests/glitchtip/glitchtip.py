"""A real GlitchTip for the tier: its prerequisites, `../shared/glitchtip/up` and `down`, and its own API.

`up` (beside this repository, in `shared/glitchtip/`) runs GlitchTip from its source archive on loopback and
prints `URL= TOKEN= DSN= ORG= PROJECT=` lines. The tier runs it on ports of its own (GT_PORT, GT_PG_PORT,
GT_REDIS_PORT, defaults below) and in a folder of its own (GT_HOME), so a GlitchTip someone runs on the
default ports is left alone; the folder is kept between runs (later `up`s take seconds, not minutes). Each
session gets an organization of its own, so the events it sends are the only ones the tools can see.

The token is a secret: it is never printed, and neither is `GET /api/0/`, whose body echoes it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from glob import glob
from pathlib import Path
from typing import Any, TypeVar

import httpx

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "glitchtip"
UP = SHARED / "up"
DOWN = SHARED / "down"
PROJECT = "backend"
DEFAULT_PORTS = {"GT_PORT": "18765", "GT_PG_PORT": "15433", "GT_REDIS_PORT": "16380"}
UP_TIMEOUT_SECONDS = 900.0  # the first `up` extracts, syncs GlitchTip's dependencies and migrates
STORE_DEADLINE_SECONDS = 120.0  # GlitchTip's worker stores events a few seconds after they arrive
T = TypeVar("T")


def settings() -> dict[str, str]:
    """The GT_* variables `up` and `down` get: the tier's ports and folder unless the environment sets them."""
    values = {name: os.environ.get(name) or default for name, default in DEFAULT_PORTS.items()}
    values["GT_HOME"] = os.environ.get("GT_HOME") or str(
        Path(tempfile.gettempdir()) / f"glitchtip-tier-{values['GT_PORT']}"
    )
    return values


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def postgres_bin() -> str | None:
    """Where `up` will find PostgreSQL (the same search as `up`), or None when it will not."""
    chosen = os.environ.get("PG_BIN")
    if chosen:
        return chosen if os.access(Path(chosen) / "initdb", os.X_OK) else None
    if shutil.which("pg_config"):
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        if found and os.access(Path(found) / "initdb", os.X_OK):
            return found
    initdb = shutil.which("initdb")
    if initdb:
        return str(Path(initdb).resolve().parent)
    installed = sorted(glob("/usr/lib/postgresql/*/bin/initdb"))
    return str(Path(installed[-1]).parent) if installed else None


def missing_parts() -> list[str]:
    """What this machine lacks to run the tier, each said with how to provide it; empty when nothing."""
    missing = []
    if not UP.is_file() or not DOWN.is_file():
        missing.append(f"{SHARED} (GlitchTip's source archive and its up/down scripts) is absent")
    if postgres_bin() is None:
        where = f"PG_BIN={os.environ['PG_BIN']} has no initdb" if os.environ.get("PG_BIN") else "no pg_config or initdb"
        missing.append(f"PostgreSQL is absent ({where}; install postgresql or set PG_BIN)")
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    if not (shutil.which("redis-server") or shutil.which("valkey-server") or (root and shutil.which("apt-get"))):
        missing.append("redis-server is absent (install redis-server; `up` does it only as root)")
    if not shutil.which("curl"):
        missing.append("curl is absent (`up` polls GlitchTip with it)")
    return missing


@dataclass(frozen=True)
class GlitchTip:
    """A running GlitchTip as `up` printed it, and which web-page mode it runs in."""

    url: str
    token: str = field(repr=False)
    dsn: str = field(repr=False)
    org: str
    project: str
    frontend: bool

    def server_env(self) -> dict[str, str]:
        """What `python -m mcp_servers.sentry_monitor` needs to talk to it."""
        return {
            "SENTRY_URL": self.url,
            "SENTRY_AUTH_TOKEN": self.token,
            "SENTRY_ORG": self.org,
            "PYTHONPATH": str(REPO),
        }


def up(org: str, frontend: bool) -> tuple[GlitchTip, float]:
    """Run `up` (idempotent: what runs is kept; a changed GT_FRONTEND restarts only the web) and parse it."""
    env = {**os.environ, **settings(), "GT_ORG": org, "GT_PROJECT": PROJECT, "GT_FRONTEND": "1" if frontend else "0"}
    _ports_are_ours(env)
    started = time.monotonic()
    done = subprocess.run(
        [str(UP)], env=env, cwd=REPO, capture_output=True, text=True, timeout=UP_TIMEOUT_SECONDS, check=False
    )
    took = time.monotonic() - started
    if done.returncode != 0:  # stdout holds the token: only stderr is shown
        raise RuntimeError(f"{UP} failed ({done.returncode}) after {took:.0f} s:\n{done.stderr[-3000:]}")
    values = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    wanted = ("URL", "TOKEN", "DSN", "ORG", "PROJECT")
    if any(not values.get(key) for key in wanted):
        raise RuntimeError(f"{UP} printed no {' '.join(key for key in wanted if not values.get(key))} line")
    glitchtip = GlitchTip(values["URL"], values["TOKEN"], values["DSN"], values["ORG"], values["PROJECT"], frontend)
    return glitchtip, took


def down() -> float:
    started = time.monotonic()
    subprocess.run(
        [str(DOWN)], env={**os.environ, **settings()}, cwd=REPO, capture_output=True, timeout=120, check=False
    )
    return time.monotonic() - started


def _ports_are_ours(env: dict[str, str]) -> None:
    """Fail clearly when a port is taken by something other than this tier's own GlitchTip."""
    home = Path(env["GT_HOME"])
    own = {
        "GT_PORT": home / "web.pid",
        "GT_REDIS_PORT": home / "redis.pid",
        "GT_PG_PORT": home / "pg/data/postmaster.pid",
    }
    for name, pid_file in own.items():
        port = int(env[name])
        with socket.socket() as probe:
            taken = probe.connect_ex(("127.0.0.1", port)) == 0
        if taken and not _alive(pid_file):
            raise RuntimeError(
                f"127.0.0.1:{port} ({name}) is in use by something other than the tier's GlitchTip in {home}: "
                f"set {name} (and GT_HOME) to a free port"
            )


def _alive(pid_file: Path) -> bool:
    try:
        os.kill(int(pid_file.read_text().split()[0]), 0)
    except (OSError, ValueError, IndexError):
        return False
    return True


class GlitchTipApi:
    """GlitchTip's own API, read directly: where the tests get the numbers the tools must agree with."""

    def __init__(self, glitchtip: GlitchTip) -> None:
        self.glitchtip = glitchtip
        self.org = glitchtip.org
        self.project = glitchtip.project
        self._client = httpx.Client(
            base_url=f"{glitchtip.url}/api/0/",
            headers={"Authorization": f"Bearer {glitchtip.token}"},
            timeout=30.0,
        )

    def close(self) -> None:
        self._client.close()

    def get(self, path: str, **params: Any) -> Any:
        response = self._client.get(path, params=params)
        response.raise_for_status()
        return response.json()

    def all_pages(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every row of a list, following GlitchTip's Link header (it pages by `limit` and `cursor`)."""
        rows: list[dict[str, Any]] = []
        url: str | None = path
        query: dict[str, Any] | None = {"limit": 100, **params}
        while url:
            response = self._client.get(url, params=query)
            response.raise_for_status()
            rows.extend(response.json())
            following = response.links.get("next", {})
            url = following.get("url") if following.get("results") == "true" else None
            query = None
        return rows

    def issues(self, **params: Any) -> list[dict[str, Any]]:
        """The project's issues (default: unresolved, newest last-seen first, as GlitchTip sorts them)."""
        return self.all_pages(f"projects/{self.org}/{self.project}/issues/", **{"query": "is:unresolved", **params})

    def org_issues(self, **params: Any) -> list[dict[str, Any]]:
        return self.all_pages(f"organizations/{self.org}/issues/", **params)

    def issue(self, issue_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.get(f"issues/{issue_id}/")
        return result

    def tags(self, issue_id: str) -> dict[str, dict[str, int]]:
        """An issue's tags: key -> value -> events."""
        return {
            tag["key"]: {value["value"]: value["count"] for value in tag["topValues"]}
            for tag in self.get(f"issues/{issue_id}/tags/")
        }

    def users(self, issue_id: str) -> int:
        """Distinct users of an issue, as its `user.id` tag counts them."""
        return len(self.tags(issue_id).get("user.id", {}))

    def events(self, issue_id: str) -> list[dict[str, Any]]:
        """An issue's events, newest first."""
        return self.all_pages(f"issues/{issue_id}/events/")

    def event(self, issue_id: str, event_id: str = "latest") -> dict[str, Any]:
        result: dict[str, Any] = self.get(f"issues/{issue_id}/events/{event_id}/")
        return result

    def project_id(self) -> int:
        return int(self.get(f"projects/{self.org}/{self.project}/")["id"])

    def hourly_errors(self, start: str, end: str) -> list[tuple[str, int]]:
        """Accepted errors per hour (GlitchTip's hourly buckets are right; its daily ones are not)."""
        answer = self.get(
            f"organizations/{self.org}/stats_v2/",
            category="error",
            interval="1h",
            field="sum(quantity)",
            project=self.project_id(),
            start=start,
            end=end,
        )
        counts = answer["groups"][0]["series"]["sum(quantity)"]
        return [(moment, int(count or 0)) for moment, count in zip(answer["intervals"], counts, strict=True)]

    def token_scopes(self) -> list[str]:
        """The scopes `GET /api/0/` lists for the token; nothing else of that body (it echoes the token) leaves."""
        scopes: list[str] = self.get("")["auth"]["scopes"]
        return scopes

    def set_status(self, issue_id: str, status: str) -> None:
        self._client.put(f"issues/{issue_id}/", json={"status": status}).raise_for_status()

    def comments(self, issue_id: str) -> list[dict[str, Any]]:
        """An issue's comments (notes), newest first: `id`, `data.text`, `user`, `dateCreated`."""
        return self.all_pages(f"issues/{issue_id}/comments/")

    def delete_comment(self, issue_id: str, comment_id: str) -> None:
        self._client.delete(f"issues/{issue_id}/comments/{comment_id}/").raise_for_status()


def wait_until(what: str, probe: Callable[[], T | None], deadline_seconds: float = STORE_DEADLINE_SECONDS) -> T:
    """Poll `probe` until it answers something other than None; fail with `what` after the deadline."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        result = probe()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"GlitchTip did not show {what} within {deadline_seconds:.0f} s")
        time.sleep(0.5)
