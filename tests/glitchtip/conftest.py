"""The GlitchTip tier's fixtures: one real GlitchTip per session, seeded once, in both web-page modes.

`glitchtip` is parametrized over GlitchTip's two web-page modes: `frontend` (GT_FRONTEND=1, the released
image: unknown `/api/0/organizations/{org}/issues/...` routes answer 200 text/html) and `no-frontend`
(GT_FRONTEND=0: they answer an HTML 500). Each test using it runs in both; switching restarts only the web.

Without `../shared/glitchtip`, PostgreSQL, redis-server or curl every test is skipped, saying what is
missing; with CI=true, test_prerequisites fails instead. GT_KEEP_RUNNING=1 leaves GlitchTip up at the end.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.ledger import LEDGER

from . import send_events
from .glitchtip import REPO, GlitchTip, GlitchTipApi, down, in_ci, missing_parts, up, wait_until
from .tools import Tools, serve

HERE = Path(__file__).resolve().parent
MODES = {"frontend": True, "no-frontend": False}
FRONTEND_BUG = "glitchtip_frontend_bug"
TIMINGS: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{FRONTEND_BUG}(reason): a known bug seen only with GT_FRONTEND=1: xfail(strict=True) in that mode only",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    mine = [item for item in items if HERE in Path(str(item.path)).parents]
    missing = missing_parts()
    for item in mine:
        if missing and item.path.name != "test_prerequisites.py":
            item.add_marker(pytest.mark.skip(reason="GlitchTip tier: " + "; ".join(missing)))
        bug = item.get_closest_marker(FRONTEND_BUG)
        params = getattr(item, "callspec", None)
        if bug is not None and params is not None and params.params.get("glitchtip") == "frontend":
            # first, so that its reason is the one shown where a mode-independent bug is marked too
            item.add_marker(pytest.mark.xfail(strict=True, reason=bug.kwargs["reason"]), append=False)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TIMINGS:
        terminalreporter.write_sep("-", "GlitchTip tier timings")
        for line in TIMINGS:
            terminalreporter.write_line(line)


class Run:
    """The session's GlitchTip: its own organization, the web-page mode it runs in now, its stored events.

    The first `ensure` brings GlitchTip up in the mode asked for and sends the known events; a later one
    in the other mode runs `up` again, which restarts only GlitchTip's web.
    """

    def __init__(self, org: str) -> None:
        self.org = org
        self.current: GlitchTip | None = None
        self.sent_at: datetime | None = None

    def ensure(self, frontend: bool) -> GlitchTip:
        if self.current is not None and self.current.frontend == frontend:
            return self.current
        self.current, took = up(self.org, frontend)
        LEDGER.secrets.add(self.current.token)
        TIMINGS.append(f"up (GT_FRONTEND={int(frontend)}): {took:.1f} s")
        if self.sent_at is None:
            self.send_events(self.current)
        return self.current

    def send_events(self, glitchtip: GlitchTip) -> None:
        """Send the known events with sentry-sdk (a process of its own) and wait until GlitchTip stored them."""
        started = time.monotonic()
        sent = subprocess.run(
            [sys.executable, "-m", "tests.glitchtip.send_events", glitchtip.dsn],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert sent.returncode == 0, f"sending the events failed:\n{sent.stderr[-3000:]}"
        self.sent_at = datetime.now(UTC)
        api = GlitchTipApi(glitchtip)
        try:
            wait_until(f"the {send_events.TOTAL_EVENTS} events sent", lambda: stored(api))
        finally:
            api.close()
        TIMINGS.append(f"{send_events.TOTAL_EVENTS} events sent and stored: {time.monotonic() - started:.1f} s")


def stored(api: GlitchTipApi) -> int | None:
    """The number of events stored when all the sent ones are (issues, counts and tags), else None."""
    issues = api.issues()
    events = sum(int(issue["count"]) for issue in issues)
    if len(issues) != len(send_events.PLAN) or events != send_events.TOTAL_EVENTS:
        return None
    for issue in issues:  # tags are written with the events; checked so no test reads them half-written
        if sum(api.tags(issue["id"]).get("environment", {}).values()) != int(issue["count"]):
            return None
    return events


@pytest.fixture(scope="session")
def glitchtip_run() -> Iterator[Run]:
    """This session's GlitchTip (an organization of its own), stopped with `down` at the end."""
    missing = missing_parts()
    if missing:
        reason = "GlitchTip tier: " + "; ".join(missing)
        if in_ci():
            pytest.fail(reason + " (CI=true: a missing part fails the tier)", pytrace=False)
        pytest.skip(reason)
    run = Run(org=f"tier-{datetime.now(UTC):%Y%m%d-%H%M%S}-{os.getpid()}")
    try:
        yield run
    finally:
        if run.current is not None and os.environ.get("GT_KEEP_RUNNING") != "1":
            TIMINGS.append(f"down: {down():.1f} s")


@pytest.fixture(scope="session", params=list(MODES))
def glitchtip(request: pytest.FixtureRequest, glitchtip_run: Run) -> GlitchTip:
    """The seeded GlitchTip in each web-page mode in turn (GT_FRONTEND=1, then 0)."""
    return glitchtip_run.ensure(MODES[str(request.param)])


@pytest.fixture
def sent_at(glitchtip: GlitchTip, glitchtip_run: Run) -> datetime:
    """When the known events were sent (GlitchTip is up and has stored them once `glitchtip` is set up)."""
    assert glitchtip_run.sent_at is not None
    return glitchtip_run.sent_at


@pytest.fixture
def api(glitchtip: GlitchTip) -> Iterator[GlitchTipApi]:
    client = GlitchTipApi(glitchtip)
    yield client
    client.close()


@pytest.fixture
def restored(api: GlitchTipApi) -> Iterator[GlitchTipApi]:
    """The API; afterwards every issue of the project is unresolved and without comments again."""
    yield api
    for row in api.issues(query="is:resolved") + api.issues(query="is:ignored"):
        api.set_status(str(row["id"]), "unresolved")
    for row in api.issues():
        for comment in api.comments(str(row["id"])):
            api.delete_comment(str(row["id"]), str(comment["id"]))


@pytest.fixture
async def tools(glitchtip: GlitchTip, tmp_path: Path) -> AsyncIterator[Tools]:
    """A fresh server process for the test (its stderr, in tmp_path, is scanned for the token afterwards)."""
    async with serve(glitchtip, tmp_path / "server.log") as opened:
        yield opened
