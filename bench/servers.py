"""The two servers under test, how to start them, and which of their tools answers the same question.

Each `Server` maps the bench's questions (one issue, a page of issues, an issue's events, one event,
resolve, project stats, the projects) to its own tool and arguments; None where it has no such tool. The official server
(`@sentry/mcp-server`, pinned) is installed with npm into `bench/.official/` (git-ignored).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .sandbox import REPO, LocalSentry

OFFICIAL_PACKAGE = "@sentry/mcp-server"
OFFICIAL_VERSION = "0.39.0"
OFFICIAL_DIR = REPO / "bench" / ".official"
OFFICIAL_ENTRY = OFFICIAL_DIR / "node_modules" / "@sentry" / "mcp-server" / "dist" / "index.js"

Call = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class Server:
    name: str
    label: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)

    def issue(self, issue: dict[str, Any], org: str) -> Call:
        raise NotImplementedError

    def recent(self, project: str, project_id: str, org: str, limit: int, cursor: str | None = None) -> Call | None:
        raise NotImplementedError

    def events(self, issue: dict[str, Any], org: str, limit: int) -> Call | None:
        raise NotImplementedError

    def resolve(self, issue: dict[str, Any], org: str) -> Call | None:
        raise NotImplementedError

    def stats(self, project: str, org: str) -> Call | None:
        raise NotImplementedError

    def event(self, issue: dict[str, Any], event_id: str, org: str) -> Call | None:
        raise NotImplementedError

    def projects(self, org: str) -> Call | None:
        raise NotImplementedError


class Ours(Server):
    def issue(self, issue: dict[str, Any], org: str) -> Call:
        return "get-issue-details", {"issue_id": issue["short_id"]}

    def recent(self, project: str, project_id: str, org: str, limit: int, cursor: str | None = None) -> Call | None:
        return "get-recent-issues", {"project_slug": project, "limit": limit, **({"cursor": cursor} if cursor else {})}

    def events(self, issue: dict[str, Any], org: str, limit: int) -> Call | None:
        return "get-error-events", {"issue_id": issue["short_id"], "limit": limit}

    def resolve(self, issue: dict[str, Any], org: str) -> Call | None:
        return "resolve-issue", {"issue_id": issue["short_id"]}

    def stats(self, project: str, org: str) -> Call | None:
        return "get-project-stats", {"project_slug": project, "period": "7d"}

    def event(self, issue: dict[str, Any], event_id: str, org: str) -> Call | None:
        return "get-event", {"issue_id": issue["short_id"], "event_id": event_id}

    def projects(self, org: str) -> Call | None:
        return "list-projects", {}


class Official(Server):
    def issue(self, issue: dict[str, Any], org: str) -> Call:
        return "get_sentry_resource", {
            "resourceType": "issue",
            "organizationSlug": org,
            "resourceId": issue["short_id"],
        }

    def recent(self, project: str, project_id: str, org: str, limit: int, cursor: str | None = None) -> Call | None:
        if cursor:
            return None  # search_issues has no cursor
        return "search_issues", {
            "organizationSlug": org,
            "projectSlugOrId": project_id,
            "query": "is:unresolved",
            "limit": limit,
        }

    def events(self, issue: dict[str, Any], org: str, limit: int) -> Call | None:
        arguments = {"organizationSlug": org, "issueId": issue["short_id"], "limit": limit}
        return "execute_sentry_tool", {"name": "search_issue_events", "arguments": arguments}

    def resolve(self, issue: dict[str, Any], org: str) -> Call | None:
        return "update_issue", {"organizationSlug": org, "issueId": issue["short_id"], "status": "resolved"}

    def stats(self, project: str, org: str) -> Call | None:
        return None

    def event(self, issue: dict[str, Any], event_id: str, org: str) -> Call | None:
        return "get_sentry_resource", {"resourceType": "event", "organizationSlug": org, "resourceId": event_id}

    def projects(self, org: str) -> Call | None:
        return "find_projects", {"organizationSlug": org}


def ours(sentry: LocalSentry) -> Server:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONPATH": str(REPO),
        "SENTRY_URL": sentry.url,
        "SENTRY_AUTH_TOKEN": sentry.token,
        "SENTRY_ORG": sentry.org,
    }
    return Ours("ours", "sentry-error-monitor (Python)", [sys.executable, "-m", "mcp_servers.sentry_monitor"], env)


def official(sentry: LocalSentry, home: Path) -> Server:
    command = [
        "node",
        str(OFFICIAL_ENTRY),
        f"--host={sentry.host}",
        "--insecure-http",
        f"--access-token={sentry.token}",
    ]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home)}
    return Official("official", f"{OFFICIAL_PACKAGE} {OFFICIAL_VERSION} (Node)", command, env)


def install_official() -> tuple[bool, str]:
    """Install the pinned official server with npm unless present; (ready, what happened or why not)."""
    installed = OFFICIAL_DIR / "node_modules" / "@sentry" / "mcp-server" / "package.json"
    if installed.is_file() and json.loads(installed.read_text())["version"] == OFFICIAL_VERSION:
        return True, f"{OFFICIAL_PACKAGE}@{OFFICIAL_VERSION} already installed in bench/.official/"
    if shutil.which("node") is None or shutil.which("npm") is None:
        return False, "node or npm not found: the official server was not measured"
    OFFICIAL_DIR.mkdir(parents=True, exist_ok=True)
    command = ["npm", "install", "--prefix", str(OFFICIAL_DIR), "--no-audit", "--no-fund", "--loglevel=error"]
    done = subprocess.run(
        [*command, f"{OFFICIAL_PACKAGE}@{OFFICIAL_VERSION}"], capture_output=True, text=True, check=False, timeout=600
    )
    if done.returncode != 0 or not OFFICIAL_ENTRY.is_file():
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        return False, f"npm install {OFFICIAL_PACKAGE}@{OFFICIAL_VERSION} failed ({tail[0]}): not measured"
    return True, f"installed {OFFICIAL_PACKAGE}@{OFFICIAL_VERSION} with npm into bench/.official/"
