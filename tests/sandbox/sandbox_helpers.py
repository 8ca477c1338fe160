"""Shared helpers for the sandbox tests: a seeded server, an API client and the published spec."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from mcp_servers.sentry_sandbox import SandboxServer

SPEC_PATH = Path(__file__).resolve().parents[2] / "../shared/sentry-api/openapi-derefed.json"
LINK_RE = re.compile(r'<([^>]*)>; rel="(\w+)"; results="(true|false)"; cursor="([^"]*)"')


def api_client(sandbox: SandboxServer, token: str | None = None) -> httpx.Client:
    """An httpx client on `<url>/api/0/` with a Bearer token (the full one by default)."""
    return httpx.Client(
        base_url=f"{sandbox.url}/api/0/",
        headers={"Authorization": f"Bearer {token or sandbox.token}"},
        timeout=10,
    )


def links(response: httpx.Response) -> dict[str, tuple[str, bool, str]]:
    """The `Link` header by rel: `(url, results, cursor)`."""
    return {
        rel: (url, results == "true", cursor) for url, rel, results, cursor in LINK_RE.findall(response.headers["Link"])
    }


@functools.cache
def _spec() -> dict[str, Any] | None:
    if not SPEC_PATH.is_file():
        return None
    spec: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    return spec


def _nullable_to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 `nullable: true` -> JSON Schema `type: [..., "null"]` (recursively)."""
    if isinstance(node, list):
        return [_nullable_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _nullable_to_json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        if "type" in converted:
            kind = converted["type"]
            converted["type"] = [*kind, "null"] if isinstance(kind, list) else [kind, "null"]
        if "enum" in converted and None not in converted["enum"]:
            converted["enum"] = [*converted["enum"], None]
    return converted


def response_schema(path: str, method: str = "get") -> dict[str, Any]:
    """The 200 response schema of an operation in the published spec (skips when the spec is absent)."""
    spec = _spec()
    if spec is None:
        pytest.skip(f"published Sentry OpenAPI spec not found at {SPEC_PATH.resolve()}")
    operation = spec["paths"][path][method]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    converted: dict[str, Any] = _nullable_to_json_schema(schema)
    return converted


def relax(schema: dict[str, Any], nullable: tuple[str, ...] = (), optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """Allow null for / drop from `required` the named top-level (or array item) properties."""
    target = schema["items"] if schema.get("type") == "array" else schema
    for name in nullable:
        prop = target["properties"].setdefault(name, {})
        kind = prop.get("type", "object")
        prop["type"] = [*kind, "null"] if isinstance(kind, list) else [kind, "null"]
    target["required"] = [name for name in target.get("required", []) if name not in optional]
    return schema


def assert_matches_spec(body: Any, schema: dict[str, Any]) -> None:
    """Validate `body` against `schema`; the assertion message lists every violation."""
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message[:300]}" for e in errors[:20])
