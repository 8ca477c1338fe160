"""What kind of Sentry-compatible server answers at SENTRY_URL, and what that kind does differently.

GlitchTip is identified by `GET /api/settings/`, which only GlitchTip serves (it names its version); its
known route forms are then taken without a failed request, and what it lacks is looked up another way
or said in a warning (../shared/glitchtip/README.md lists every difference). Any other server is taken
for Sentry: sentry.io without asking, a self-hosted one whose older route forms the capabilities learn
from failures. SENTRY_MONITOR_SERVER (`auto`, `sentry`, `glitchtip`) skips the question.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

GLITCHTIP_MARKERS = ("iPaidForGlitchTip", "glitchtipInstanceName")
"""Keys only GlitchTip's `GET /api/settings/` answer has."""


@dataclass(frozen=True)
class ServerKind:
    """A kind of server and the differences from Sentry the tools act on."""

    name: str
    version: str | None = None

    @property
    def glitchtip(self) -> bool:
        return self.name == "GlitchTip"

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}" if self.version else self.name

    @property
    def counts_users(self) -> bool:
        """Whether issues carry a user count (GlitchTip's `userCount` is always 0: its users are in tags)."""
        return not self.glitchtip

    @property
    def status_queries(self) -> bool:
        """Whether `is:regressed`, `is:escalating` and `is:new` select anything (GlitchTip: only unresolved,
        resolved, ignored)."""
        return not self.glitchtip

    @property
    def keeps_ignore_conditions(self) -> bool:
        """Whether an ignore condition (until escalating, a count, a duration) is kept and reopens the issue."""
        return not self.glitchtip

    @property
    def named_events(self) -> tuple[str, ...]:
        """The event names besides an id that `issues/{id}/events/{name}/` takes (GlitchTip: UUIDs and latest)."""
        return ("latest",) if self.glitchtip else ("latest", "oldest", "recommended")

    @property
    def release_health(self) -> bool:
        """Whether the server keeps release-health sessions (crash-free rates)."""
        return not self.glitchtip

    @property
    def issue_releases(self) -> bool:
        """Whether an issue names its first and last release (GlitchTip: only its events' tags do)."""
        return not self.glitchtip

    @property
    def assignees(self) -> bool:
        """Whether issues can be assigned to users and teams and have suggested owners (GlitchTip: neither)."""
        return not self.glitchtip

    @property
    def notes_in_activity(self) -> bool:
        """Whether an issue's detail carries its notes (Sentry's `activity`); GlitchTip serves them as comments,
        at `issues/{id}/comments/`."""
        return not self.glitchtip


SENTRY = ServerKind("Sentry")


def from_settings_answer(body: Any) -> ServerKind:
    """The kind a `GET /api/settings/` answer names: GlitchTip (with its version), else Sentry."""
    if isinstance(body, dict) and any(marker in body for marker in GLITCHTIP_MARKERS):
        version = body.get("version")
        return ServerKind("GlitchTip", str(version) if version else None)
    return SENTRY


def named(setting: str) -> ServerKind | None:
    """The kind SENTRY_MONITOR_SERVER names, or None for `auto`."""
    return {"sentry": SENTRY, "glitchtip": ServerKind("GlitchTip")}.get(setting)
