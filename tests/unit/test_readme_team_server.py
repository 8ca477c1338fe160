"""The README's Team server section says what the code does: its settings, metrics and error codes."""

from __future__ import annotations

import re
from pathlib import Path

from mcp_servers.sentry_monitor.src.base.errors import CallerBusy, NotAuthenticated
from mcp_servers.sentry_monitor.src.web.metrics import Metrics
from mcp_servers.sentry_monitor.src.web.settings import HTTP_OPTIONS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
TEAM_SERVER = README.split("## Team server\n", 1)[1].split("\n## ", 1)[0]
SETTING_ROW = re.compile(r"^\| `(SENTRY_[A-Z_]+)` \| ([^|]+) \| ([^|]+) \| (.+) \|$")


def test_the_settings_table_has_every_http_setting_with_its_flag_and_default() -> None:
    rows = {match[1]: match for line in TEAM_SERVER.splitlines() if (match := SETTING_ROW.match(line))}
    assert set(rows) == {option.env for option in HTTP_OPTIONS}
    for option in HTTP_OPTIONS:
        row = rows[option.env]
        assert row[2].strip() == (f"`{option.flag}`" if option.flag else "(env only)"), option.env
        default = row[3].strip()
        assert default == f"`{option.default}`" if option.default else default in ("—", "(off)"), option.env


def test_every_metric_and_the_busy_error_are_documented() -> None:
    metrics = list(Metrics().registry.collect())
    assert len(metrics) == 9
    for metric in metrics:
        exposed = f"{metric.name}_total" if metric.type == "counter" else metric.name  # as /metrics names it
        assert re.search(rf"`{exposed}[`{{]", TEAM_SERVER), exposed
    assert f"`{CallerBusy.code}`" in TEAM_SERVER
    assert re.search(rf"^\| `{CallerBusy.code}` \| rate_limit \| error \| yes \|", README, flags=re.MULTILINE)


def test_the_sign_in_error_is_documented_as_the_code_raises_it() -> None:
    error = NotAuthenticated
    retryable = "yes" if error.retryable else "no"
    columns = f"`{error.code}` \\| {error.category.value} \\| {error.status.value} \\| {retryable}"
    row = rf"^\| {columns} \| .*`details\.sign_in`"
    assert re.search(row, README, flags=re.MULTILINE)
    assert f"`{error.code}`" in TEAM_SERVER
