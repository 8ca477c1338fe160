"""`python -m bench.sandbox_host [--seed] [--bulk N]`: the local Sentry in its own process, driven over stdin.

The bench keeps the local Sentry out of its own process so that the Sentry's work never competes with
the bench's timing loop for one interpreter lock. It prints one JSON line (url, token, org, projects,
whether the fault plan exists), then answers one JSON line per command line:
`{"op": "add_fault", "fields": {...}}`, `clear_faults`, `fault_hits`, `requests`, `clear_requests`,
`reset`, `bulk` (`count`, `project`), `issues`, `stop`. Answers are `{"ok": true, "result": ...}` or
`{"ok": false, "error": "..."}`.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from typing import Any

from mcp_servers.sentry_sandbox import SandboxServer
from mcp_servers.sentry_sandbox.bulk import add_issues


def _issues(sandbox: SandboxServer) -> list[dict[str, Any]]:
    slugs = {project.id: project.slug for project in sandbox.store.projects}
    return [
        {
            "id": str(issue.id),
            "short_id": sandbox.store.short_id(issue),
            "project": slugs.get(issue.project_id),
            "status": issue.status,
            "events": len(issue.events),
        }
        for issue in sandbox.store.issues()
    ]


def _answer(sandbox: SandboxServer, command: dict[str, Any]) -> Any:
    op = command.get("op")
    faults: Any = sandbox  # the fault plan (branch `faults`) may not be merged yet: checked at start
    if op == "add_fault":
        return faults.add_fault(**command["fields"])
    if op == "clear_faults":
        return faults.clear_faults()
    if op == "fault_hits":
        return faults.fault_hits()
    if op == "requests":
        return sandbox.requests()
    if op == "clear_requests":
        return sandbox.clear_requests()
    if op == "reset":
        return sandbox.reset()
    if op == "bulk":
        added = add_issues(sandbox.store, int(command["count"]), project_slug=command.get("project", "backend"))
        gc.freeze()
        return len(added)
    if op == "issues":
        return _issues(sandbox)
    raise ValueError(f"unknown op {op!r}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seed", action="store_true", help="fill it with the sentry-sdk demo events")
    parser.add_argument("--bulk", type=int, default=0, help="then add this many synthetic issues to backend")
    args = parser.parse_args()
    with SandboxServer(port=0) as sandbox:
        if args.seed:
            sandbox.seed()
        if args.bulk:
            add_issues(sandbox.store, args.bulk)
        sandbox.store.snapshot()
        # The stored data lives as long as the process: keep it out of the collector's full passes, which
        # otherwise pause the local Sentry for ~0.3 s at 10,000 issues, in whichever side is being timed.
        gc.freeze()
        hello = {
            "url": sandbox.url,
            "token": sandbox.token,
            "org": sandbox.org_slug,
            "projects": {project.slug: project.id for project in sandbox.store.projects},
            "faults": hasattr(sandbox, "add_fault"),
        }
        print(json.dumps(hello), flush=True)
        for line in sys.stdin:
            command = json.loads(line)
            if command.get("op") == "stop":
                break
            try:
                reply = {"ok": True, "result": _answer(sandbox, command)}
            except Exception as exc:  # reported to the bench, which decides
                reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            print(json.dumps(reply, default=str), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
