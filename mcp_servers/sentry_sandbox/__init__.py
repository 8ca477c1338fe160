"""A local Sentry for tests and the demo: the Sentry web API, fed by real sentry-sdk events.

`SandboxServer` serves it on 127.0.0.1; `python -m mcp_servers.sentry_sandbox` runs it in the foreground.
"""

from .server import SandboxError, SandboxServer
from .store import SandboxStore

__all__ = ["SandboxError", "SandboxServer", "SandboxStore"]
