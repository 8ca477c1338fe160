"""list-projects: the organization's projects, so an agent can find a project's slug."""

from __future__ import annotations

from pydantic import Field

from ..shared.results import Result
from .operation import Operation, OperationContext, Parameters
from .paging import read_pages

MAX_PROJECTS = 500


class ListProjectsParams(Parameters):
    query: str | None = Field(
        default=None,
        max_length=100,
        pattern=r"^[^\x00-\x1f\x7f]*$",
        description="Only projects whose slug or name contains this text (case-insensitive).",
    )


class ProjectInfo(Result):
    slug: str
    name: str | None = None
    platform: str | None = None
    id: str
    has_sessions: bool | None = Field(default=None, description="Whether the project sends release-health sessions.")
    latest_release: str | None = None


class Projects(Result):
    projects: list[ProjectInfo] = Field(default_factory=list)
    total: int = Field(description="Projects this server may show (before the query filter).")


def _info(row: dict[str, object]) -> ProjectInfo | None:
    slug, project_id = row.get("slug"), row.get("id")
    if not isinstance(slug, str) or project_id is None:
        return None
    release = row.get("latestRelease")
    name, platform, sessions = row.get("name"), row.get("platform"), row.get("hasSessions")
    return ProjectInfo(
        slug=slug,
        name=name if isinstance(name, str) else None,
        platform=platform if isinstance(platform, str) else None,
        id=str(project_id),
        has_sessions=sessions if isinstance(sessions, bool) else None,
        latest_release=str(release["version"]) if isinstance(release, dict) and release.get("version") else None,
    )


async def list_projects(ctx: OperationContext, params: ListProjectsParams) -> Projects:
    org = await ctx.api.organization()
    pages = await read_pages(
        ctx,
        lambda page: ctx.api.get(["organizations", org, "projects"], params=page, scope="org:read"),
        {},
        want=MAX_PROJECTS,
        size_param="per_page",
        noun="projects",
    )
    found = [info for info in map(_info, pages.rows) if info is not None]
    if pages.next_cursor:
        ctx.warn(f"Only the first {MAX_PROJECTS} projects were read.", partial=True)
    allowed = [p for p in found if ctx.settings.allows(p.slug)]  # nothing of the others, not even how many
    if ctx.settings.allowed_projects is not None:
        ctx.warn("Only the projects in SENTRY_MONITOR_ALLOWED_PROJECTS are listed.")
    needle = (params.query or "").lower()
    shown = [p for p in allowed if needle in p.slug.lower() or needle in (p.name or "").lower()]
    if shown:
        ctx.recommend(f"See what is failing in one: get-recent-issues(project_slug='{shown[0].slug}').")
    else:
        ctx.recommend("No project matches: call list-projects without a query to see them all.")
    return Projects(projects=shown, total=len(allowed))


def render_projects(result: Projects) -> str:
    if not result.projects:
        return f"No project matches (of {result.total})."
    lines = [f"{len(result.projects)} of {result.total} projects (slug: name, platform, latest release):"]
    for project in result.projects:
        facts = ", ".join(
            part
            for part in (
                project.platform,
                project.latest_release and f"release {project.latest_release}",
                "sessions" if project.has_sessions else "",
            )
            if part
        )
        lines.append(f"- {project.slug}: {project.name or project.slug}" + (f" ({facts})" if facts else ""))
    return "\n".join(lines)


OPERATION = Operation(
    name="list-projects",
    title="List projects",
    description=(
        "List the Sentry organization's projects (slug, name, platform, id, whether it sends sessions, latest "
        "release), optionally those whose slug or name contains `query`. Use it to find the project_slug the "
        "other tools take."
    ),
    params=ListProjectsParams,
    result=Projects,
    handler=list_projects,
    render=render_projects,
    scopes=("org:read",),
    main_list="projects",
    cut_hint="Pass `query` (part of a slug or name) to see the others.",
)
