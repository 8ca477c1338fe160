"""What update-issues changes in each issue: a status, an assignee or both; when an issue already is as asked;
how each change reads in a side effect; and how to undo it.

The assignee is looked up as assign-issue does (`_assignees`), in the project of every issue named, concurrently,
and must name the same user or team in all of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..base.concurrency import gather_all
from ..base.errors import AssigneeNotFound
from ..sentry import models
from ..shared.issues import assignee_label
from ._assignees import UNASSIGN, Actor, is_assigned, resolve_assignee
from ._status_change import archived_forever, project_slug_of
from .operation import OperationContext


@dataclass(frozen=True)
class StatusChange:
    """What update-issues sends for one status, when an issue already has it, and how the change reads."""

    body: dict[str, str]
    done: Callable[[models.Issue], bool]
    verb: str
    describe: str


STATUS_CHANGES: dict[str, StatusChange] = {
    "resolved": StatusChange({"status": "resolved"}, lambda i: i.status == "resolved", "resolve", "Resolved"),
    "ignored": StatusChange({"status": "ignored"}, archived_forever, "ignore", "Archived forever:"),
    "unresolved": StatusChange({"status": "unresolved"}, lambda i: i.status == "unresolved", "unresolve", "Reopened"),
}


def ident(issue: models.Issue) -> str:
    return issue.short_id or issue.id


def state_text(issue: models.Issue) -> str:
    return (issue.status or "?") + (f"/{issue.substatus}" if issue.substatus else "")


@dataclass(frozen=True)
class Update:
    """What one call changes: a status, an assignee (`assigning`, with `actor` None to unassign), or both."""

    status: StatusChange | None
    assigning: bool = False
    actor: Actor | None = None

    def done(self, issue: models.Issue) -> bool:
        """Whether the issue already is as asked (nothing to send for it)."""
        status_done = self.status is None or self.status.done(issue)
        return status_done and (not self.assigning or is_assigned(self.actor, issue.assigned_to))

    def body(self) -> dict[str, str]:
        body = dict(self.status.body) if self.status else {}
        if self.assigning:
            body["assignedTo"] = self.actor.assigned_to if self.actor else ""
        return body

    @property
    def assignee(self) -> str:
        return self.actor.label if self.actor else "nobody"

    @property
    def target(self) -> str:
        """How the state asked for reads: `resolved`, `assigned to #backend`, `resolved and unassigned`."""
        parts = [self.status.body["status"]] if self.status else []
        if self.assigning:
            parts.append(f"assigned to {self.actor.label}" if self.actor else "unassigned")
        return " and ".join(parts)


async def assignee_everywhere(ctx: OperationContext, wanted: str, issues: list[models.Issue]) -> Actor | None:
    """The user or team `wanted` names in the project of every issue (looked up once per project, concurrently);
    refused when it names no one, or different people, in one of them."""
    if wanted.strip().lower() in (*UNASSIGN, "me"):  # the same in every project
        return await resolve_assignee(ctx, project_slug_of(issues[0]), wanted)
    slugs = sorted({project_slug_of(issue) for issue in issues})
    found: list[Actor | None] = []
    for outcome in await gather_all([resolve_assignee(ctx, slug, wanted) for slug in slugs]):
        if isinstance(outcome, Exception):
            raise outcome
        found.append(outcome)
    if len({(actor.kind, actor.id) if actor else None for actor in found}) > 1:
        named = ", ".join(
            f"{actor.label if actor else 'nobody'} in {slug}" for actor, slug in zip(found, slugs, strict=True)
        )
        raise AssigneeNotFound(
            f"{wanted!r} names different people in the issues' projects ({named}); nothing was sent.",
            recovery="Name the assignee by email, user id or #team-slug, or change each project's issues apart.",
            candidates=[actor.label for actor in found if actor],
        )
    return found[0]


def after_state(
    ctx: OperationContext, update: Update, delta: dict[str, object], status: str | None
) -> dict[str, object]:
    """The state every issue sent now has, as the bulk answer (the change made) says it."""
    after: dict[str, object] = {}
    if status is not None:
        after_status = str(delta.get("status") or status)
        if after_status != status:
            ctx.warn(f"Sentry answered with status {after_status!r}, not {status!r}; check the issues.", partial=True)
        # Sentry's answer gives the first issue's substatus; an unresolved issue's (new, ongoing) differs from issue
        # to issue, so it is left unknown there.
        raw = delta.get("substatus") if status != "unresolved" else None
        after |= {"status": after_status, "substatus": models.OLDER_SUBSTATUSES.get(str(raw), raw) if raw else None}
    if update.assigning:
        answered = delta.get("assignedTo")
        after["assignee"] = assignee_label(answered) if isinstance(answered, dict) else None
        if after["assignee"] is None and update.actor is not None:
            after["assignee"] = update.actor.label
    return after


def described(update: Update, issue: models.Issue) -> str:
    name, said = ident(issue), []
    if update.status:
        said.append(f"{update.status.describe} {name} (was {state_text(issue)})")
    if update.assigning:
        was = assignee_label(issue.assigned_to) or "unassigned"
        now = f"Assigned {name} to {update.actor.label}" if update.actor else f"Unassigned {name}"
        said.append(f"{now} (was {was})")
    return "; ".join(said) + "."


def recommend_undo(ctx: OperationContext, update: Update, issues: list[models.Issue]) -> None:
    """How to put each issue back: update-issues with its previous state, one call per previous state."""
    by_state: dict[tuple[str | None, str | None], list[models.Issue]] = {}
    for issue in issues:
        status = (issue.status or "unresolved") if update.status else None
        assignee = (_undo_assignee(issue.assigned_to) or "none") if update.assigning else None
        by_state.setdefault((status, assignee), []).append(issue)
    for (status, assignee), group in by_state.items():
        conditional = [ident(i) for i in group if status == "ignored" and not archived_forever(i)]
        asked = (f", status='{status}'" if status else "") + (f", assignee='{assignee}'" if assignee else "")
        ctx.recommend(
            f"Undo: update-issues(issue_ids={[i.id for i in group]}{asked}, dry_run=false)."
            + (f" The archive conditions of {', '.join(conditional)} need ignore-issue." if conditional else "")
        )


def _undo_assignee(assigned_to: dict[str, object] | None) -> str | None:
    """The previous assignee in a form the assignee lookup takes back exactly: a user's id, a team's #slug."""
    if not assigned_to:
        return None
    if assigned_to.get("type") == "team":
        return assignee_label(assigned_to)
    return str(assigned_to.get("id") or "") or assignee_label(assigned_to)
