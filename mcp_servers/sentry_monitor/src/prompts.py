"""MCP prompts: ready-made instructions that walk an agent through a triage with the tools.

Prompts are not operations (they call nothing); the server lists them and fills in their arguments.
Every tool a prompt names must be in the registry (a test checks).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .sentry import identifiers


@dataclass(frozen=True)
class PromptArg:
    name: str
    description: str


@dataclass(frozen=True)
class PromptSpec:
    name: str
    title: str
    description: str
    arguments: tuple[PromptArg, ...]
    text: Callable[[Mapping[str, str]], str]


def _triage(arguments: Mapping[str, str]) -> str:
    slug = identifiers.project_slug(arguments.get("project_slug", ""))
    return f"""Triage the Sentry project '{slug}' and tell me what needs attention now.

1. Call get-project-health(project_slug='{slug}'). Note the verdict and the reasons behind it (crash-free
   rates, error trend against the previous period, new and regressed issues).
2. Call analyze-error-patterns(project_slug='{slug}'). Note spikes, regressions, escalating issues, and which
   release introduced which issues.
3. Pick the issue with the most impact (a spike, a regression, or the most users hit) and call
   get-issue-details(issue_id=...) on it. Find the crashing in-app frame and explain the likely cause;
   get-issue-tags tells whether it is only one release, browser or environment. If needed, compare
   occurrences with get-error-events and get-event. Note its assignee and suggested owners.
4. Decide, and say why:
   - fixed and deployed: resolve-issue (in_next_release=true if the fix ships in the next release);
   - known noise: ignore-issue with until_escalating=true (or a count or duration), never forever for
     anything users hit; several alike at once: update-issues, a dry run first;
   - otherwise leave it open, and leave a note (add-issue-note) with what you found.
5. Assign what stays open to whoever should fix it: its suggested owner, else a team or person from
   list-assignees(project_slug='{slug}'); then assign-issue(issue_id=..., assignee=...). Check who is
   already on it with get-recent-issues(project_slug='{slug}', query='is:unassigned').
   Ask me before any change to Sentry. If those tools are not offered, this server is read-only: say what
   you would change instead; where the server has no assignees (GlitchTip), name the owner in a note.
6. End with a short summary: the verdict, the top three issues with their numbers, what you changed and who
   now owns what."""


PROMPTS: dict[str, PromptSpec] = {
    spec.name: spec
    for spec in (
        PromptSpec(
            name="triage-project",
            title="Triage a project",
            description="Walk through a project's health, its error patterns, the top issue's stack trace, a "
            "resolve or ignore decision, and who owns what stays open.",
            arguments=(PromptArg("project_slug", "The project's slug, as in its Sentry URL (e.g. 'backend')."),),
            text=_triage,
        ),
    )
}
