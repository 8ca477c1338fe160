"""`python -m mcp_servers.sentry_monitor --check` against GlitchTip: its verdict and what it says of the token."""

from __future__ import annotations

import pytest

from .expected import issue_id
from .glitchtip import GlitchTip, GlitchTipApi
from .tools import Tools, check

pytestmark = pytest.mark.anyio


async def test_check_says_ready_only_when_events_can_be_read(
    glitchtip: GlitchTip, tools: Tools, api: GlitchTipApi
) -> None:
    done = check(glitchtip)
    assert glitchtip.token not in done.stdout + done.stderr
    ready = done.stdout.rstrip().endswith("Result: ready.")
    event = await tools.call("get-event", issue_id=issue_id(api, "quantity"), event_id="latest")
    events = await tools.call("get-error-events", issue_id=issue_id(api, "quantity"), limit=3)
    assert ready == (not event.is_error and not events.is_error), done.stdout
    assert done.returncode == 0


def test_check_reads_the_token_scopes(glitchtip: GlitchTip, api: GlitchTipApi) -> None:
    scopes = api.token_scopes()
    assert {"org:read", "project:read", "event:read", "event:write"} <= set(scopes)
    done = check(glitchtip)
    assert glitchtip.token not in done.stdout + done.stderr
    assert "did not list the token's scopes" not in done.stdout
    assert "scopes present: org:read project:read event:read event:write" in done.stdout
