"""server.json is valid for the MCP registry and matches the package."""

from __future__ import annotations

import copy
import json
import re
import tomllib
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest

from mcp_servers.sentry_monitor.src.base.config import OPTIONS
from mcp_servers.sentry_monitor.src.base.version import __version__
from mcp_servers.sentry_monitor.src.web.app import MCP_PATH
from tests.conftest import REPO

SCHEMA = json.loads((REPO / "tests" / "data" / "server-schema-2025-12-11.json").read_text())
SERVER = json.loads((REPO / "server.json").read_text())
VALIDATOR = jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
TEMPLATE_VARIABLE = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)\}")


def test_server_json_is_valid_and_matches_the_package() -> None:
    VALIDATOR.validate(SERVER)
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    (package,) = SERVER["packages"]
    assert package["identifier"] == project["name"]
    assert SERVER["version"] == package["version"] == project["version"] == __version__
    variables = {variable["name"]: variable for variable in package["environmentVariables"]}
    assert set(variables) == {option.env for option in OPTIONS}
    assert variables["SENTRY_AUTH_TOKEN"]["isSecret"] and variables["SENTRY_AUTH_TOKEN"]["isRequired"]
    assert f"mcp-name: {SERVER['name']}" in (REPO / "README.md").read_text()


def test_the_remotes_are_the_team_server_with_a_key_or_with_sign_in() -> None:
    VALIDATOR.validate(SERVER)
    remote, signing_in = SERVER["remotes"]
    # With sign-in (SENTRY_MONITOR_AUTH=oauth), the same URL and no header: the client gets a 401 and signs in.
    assert signing_in["url"] == remote["url"] and "headers" not in signing_in
    assert set(signing_in["variables"]) == {"host"} and "sign in" in signing_in["variables"]["host"]["description"]
    assert remote["type"] == "streamable-http"
    url = urlsplit(remote["url"])
    assert url.scheme == "https" and url.path == MCP_PATH and not url.query  # behind a TLS proxy, at /mcp
    # Every {variable} of the URL template is declared and required: a client can fill in the whole URL.
    assert set(TEMPLATE_VARIABLE.findall(remote["url"])) == set(remote["variables"]) == {"host"}
    assert all(variable["isRequired"] for variable in remote["variables"].values())
    (header,) = remote["headers"]
    assert header["name"] == "Authorization" and header["isRequired"] and header["isSecret"]
    assert header["value"].startswith("Bearer {")  # what the server's bearer middleware reads
    assert set(TEMPLATE_VARIABLE.findall(header["value"])) == set(header["variables"])
    assert all(variable["isSecret"] and variable["isRequired"] for variable in header["variables"].values())


@pytest.mark.parametrize(
    "breakage",
    [
        lambda s: s.update(version=None) or s.pop("version"),
        lambda s: s.update(name="no-slash"),
        lambda s: s.update(description="x" * 101),
        lambda s: s["packages"][0].update(version="latest"),
        lambda s: s["packages"][0].pop("transport"),
        lambda s: s["packages"][0]["environmentVariables"].append({"description": "no name"}),
        lambda s: s["remotes"][0].update(url="mcp.example.com/mcp"),
        lambda s: s["remotes"][0].update(type="websocket"),
        lambda s: s["remotes"][0].pop("url"),
        lambda s: s["remotes"][0]["headers"][0].pop("name"),
        lambda s: s["remotes"][0]["headers"][0].update(isSecret="yes"),
        lambda s: s["remotes"][0]["variables"]["host"].update(isRequired="true"),
    ],
)
def test_the_schema_rejects_what_the_registry_rejects(breakage: Any) -> None:
    broken = copy.deepcopy(SERVER)
    breakage(broken)
    assert list(VALIDATOR.iter_errors(broken))
