"""What the seed asks of a running sandbox outside sentry-sdk: DSNs, flavor, issue updates, a broken envelope."""

from __future__ import annotations

from typing import Any

import httpx


class Api:
    """The few API calls the seed makes (only with `--token`)."""

    def __init__(self, url: str, token: str) -> None:
        self.client = httpx.Client(base_url=f"{url}/api/0/", headers={"Authorization": f"Bearer {token}"}, timeout=10)

    def find_issue(self, project_id: str, text: str) -> str | None:
        response = self.client.get(
            "organizations/sandbox/issues/", params={"project": project_id, "query": text, "groupStatsPeriod": ""}
        )
        response.raise_for_status()
        found = response.json()
        return str(found[0]["id"]) if found else None

    def update(self, issue_id: str, body: dict[str, Any]) -> None:
        self.client.put(f"organizations/sandbox/issues/{issue_id}/", json=body).raise_for_status()


def archived_until_escalating(url: str) -> str:
    """The substatus name the sandbox's flavor takes (an older Sentry's lacks the `archived_` prefix)."""
    flavor = httpx.get(f"{url}/_sandbox/info", timeout=10).json().get("flavor")
    return "until_escalating" if flavor == "sentry-legacy" else "archived_until_escalating"


def send_invalid_envelope(url: str, project_id: str, dsn: str) -> int:
    """Post an envelope whose event is not JSON (outcome `invalid`); returns the response status."""
    key = dsn.split("://", 1)[1].split("@", 1)[0]
    item = b'{"event_id": "0000", "message": this is not json'
    body = b'{"event_id":"' + b"f" * 32 + b'"}\n' + b'{"type":"event","length":%d}\n' % len(item) + item + b"\n"
    response = httpx.post(
        f"{url}/api/{project_id}/envelope/",
        content=body,
        headers={
            "Content-Type": "application/x-sentry-envelope",
            "X-Sentry-Auth": f"Sentry sentry_key={key}, sentry_version=7, sentry_client=seed/1.0",
        },
    )
    return response.status_code


def find_dsns(url: str | None, pairs: list[str]) -> tuple[str, dict[str, str]]:
    """The sandbox URL and the DSN of each project, from `--dsn SLUG=DSN` pairs, else asked of the sandbox.

    Raises SystemExit when neither gives DSNs of both `backend` and `worker`.
    """
    dsns = dict(pair.split("=", 1) for pair in pairs)
    if url and not {"backend", "worker"} <= dsns.keys():
        info = httpx.get(f"{url}/_sandbox/info", timeout=10).json()
        dsns = {p["slug"]: p["dsn"] for p in info["projects"]} | dsns
    if not {"backend", "worker"} <= dsns.keys():
        raise SystemExit("need --url of a running sandbox or --dsn backend=... --dsn worker=...")
    if not url:
        scheme, rest = dsns["backend"].split("://", 1)
        url = f"{scheme}://{rest.split('@', 1)[1].rsplit('/', 1)[0]}"
    return url, dsns
