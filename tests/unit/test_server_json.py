"""server.json is valid for the MCP registry and matches the package."""

from __future__ import annotations

import copy
import json
import tomllib
from typing import Any

import jsonschema
import pytest

from mcp_servers.sentry_monitor.src.base.config import OPTIONS
from mcp_servers.sentry_monitor.src.base.version import __version__
from tests.conftest import REPO

SCHEMA = json.loads((REPO / "tests" / "data" / "server-schema-2025-12-11.json").read_text())
SERVER = json.loads((REPO / "server.json").read_text())
VALIDATOR = jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


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


@pytest.mark.parametrize(
    "breakage",
    [
        lambda s: s.update(version=None) or s.pop("version"),
        lambda s: s.update(name="no-slash"),
        lambda s: s.update(description="x" * 101),
        lambda s: s["packages"][0].update(version="latest"),
        lambda s: s["packages"][0].pop("transport"),
        lambda s: s["packages"][0]["environmentVariables"].append({"description": "no name"}),
    ],
)
def test_the_schema_rejects_what_the_registry_rejects(breakage: Any) -> None:
    broken = copy.deepcopy(SERVER)
    breakage(broken)
    assert list(VALIDATOR.iter_errors(broken))
