"""docs/deploy.md's environment file and systemd unit are settings the server takes, as the tests run them: the
nginx configuration is run by tests/replicas/cluster.py itself; here the others are read and loaded."""

from __future__ import annotations

import re
import shlex

from mcp_servers.sentry_monitor.__main__ import parse_flags
from mcp_servers.sentry_monitor.src.base.config import OPTIONS, load_settings
from mcp_servers.sentry_monitor.src.web.keys import digest_of
from mcp_servers.sentry_monitor.src.web.settings import HTTP_OPTIONS, load_http_settings
from tests.replicas.cluster import deploy_block

KNOWN = {option.env for option in (*OPTIONS, *HTTP_OPTIONS)}


def environment_file() -> dict[str, str]:
    block = deploy_block("ini", "SENTRY_MONITOR_REDIS_URL=")
    pairs = [line.split("=", 1) for line in block.splitlines() if line and not line.startswith("#")]
    return {name: value for name, value in pairs}


def test_the_documented_environment_file_names_only_real_settings_and_loads() -> None:
    env = environment_file()
    assert set(env) <= KNOWN, set(env) - KNOWN
    assert env["SENTRY_MONITOR_REDIS_URL"] == "redis://127.0.0.1:6379/0"
    # with the settings of the API-key mode (the section below it in the docs) it is a whole configuration
    env.update(SENTRY_AUTH_TOKEN="sntryu_" + "a" * 64, SENTRY_MONITOR_API_KEYS=digest_of("a key"))
    http = load_http_settings(env)
    assert (http.redis_url, http.public_url) == ("redis://127.0.0.1:6379/0", "https://mcp.example.com/mcp")
    assert load_settings(env).org == "your-org"


def test_the_documented_systemd_unit_starts_one_replica_per_port() -> None:
    unit = deploy_block("ini", "ExecStart=")
    found = re.search(r"^ExecStart=(\S+) (.*)$", unit, re.M)
    assert found is not None and found.group(1).endswith("/bin/sentry-error-monitor")
    flags = parse_flags(shlex.split(found.group(2).replace("%i", "8002")))
    env = {**environment_file(), "SENTRY_MONITOR_API_KEYS": digest_of("a key")}
    http = load_http_settings(env, flags)
    assert (flags["transport"], http.port, http.host) == ("http", 8002, "127.0.0.1")
    assert re.search(r"^EnvironmentFile=/etc/sentry-error-monitor/env$", unit, re.M)
    assert "sentry-error-monitor@8001 sentry-error-monitor@8002" in deploy_block("bash", "systemctl enable")
