"""The Claude Desktop `mcpServers` entry that points this checkout's server at a local Sentry."""

from __future__ import annotations

import sys
from typing import Any


def claude_desktop_entry(url: str, token: str, org: str) -> dict[str, Any]:
    """A `claude_desktop_config.json` fragment: this interpreter runs the server (installed in it)."""
    return {
        "mcpServers": {
            "sentry-error-monitor": {
                "command": sys.executable,
                "args": ["-m", "mcp_servers.sentry_monitor"],
                "env": {"SENTRY_AUTH_TOKEN": token, "SENTRY_URL": url, "SENTRY_ORG": org},
            }
        }
    }
