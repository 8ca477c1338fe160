"""get-issue-tags: how an issue's events spread over each tag's values (release, environment, browser, os, url,
user, custom tags), in one request for every key asked."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from ..analysis.tag_concentration import concentrations
from ..sentry import models
from ..sentry.identifiers import issue_ref
from ..shared.results import Result
from ._issue_scope import read_within_allowed
from ._params import IssueIdParams
from .operation import Count, Operation, OperationContext

TagKey = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[\w.:\-]+$")]


class GetIssueTagsParams(IssueIdParams):
    keys: list[TagKey] = Field(
        default_factory=list, max_length=20, description="Only these keys, e.g. ['release','browser']; default all."
    )
    top: Count = Field(default=5, ge=1, le=20, description="Values shown per key (1-20).")


class TagSpread(Result):
    key: str
    total: int = Field(description="Events tagged with the key.")
    unique: int | None = Field(default=None, description="Distinct values.")
    top: list[str] = Field(default_factory=list, description="Most frequent first: 'value share% (events)'.")


class IssueTags(Result):
    issue: str = Field(description="The issue: its short id where known, else as asked.")
    tags: list[TagSpread] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list, description="Keys asked for that no event of the issue has.")


async def get_issue_tags(ctx: OperationContext, params: GetIssueTagsParams) -> IssueTags:
    ref = issue_ref(params.issue_id, ctx.settings)
    await ctx.api.check_organization(ref.org, "issue_id")
    keys = list(dict.fromkeys(params.keys))
    # The tags alone, in one request; under an allow-list the issue is read and checked first.
    response, issue = await read_within_allowed(
        ctx, ref.issue_id, lambda: ctx.api.issue_tags(ref.issue_id, keys, params.top)
    )
    tags = [models.TagSummary.model_validate(row) for row in response.json_list("the issue's tags")]
    if keys:  # GlitchTip takes one key at most and may send every key
        tags = sorted((tag for tag in tags if tag.key in keys), key=lambda tag: keys.index(tag.key))
    result = IssueTags(
        issue=(issue.short_id or issue.id) if issue else ref.issue_id,
        tags=[_spread(tag, params.top) for tag in tags],
        missing=[key for key in keys if key not in {tag.key for tag in tags}],
    )
    for found in concentrations(tags):
        ctx.recommend(f"{found.sentence(result.issue)}: look at what sets that {found.key} apart.")
    return result


def _spread(tag: models.TagSummary, top: int) -> TagSpread:
    values = sorted(tag.top_values, key=lambda value: -value.count)[:top]
    return TagSpread(
        key=tag.key,
        total=tag.total_values,
        unique=tag.unique_values,
        top=[f"{value.value} {_share(value.count, tag.total_values)} ({value.count})" for value in values],
    )


def _share(count: int, total: int) -> str:
    percent = round(100 * count / total) if total else 0
    return "<1%" if percent == 0 and count else f"{percent}%"


def render_issue_tags(result: IssueTags) -> str:
    lines = [f"Tags of {result.issue}, most frequent values first:"]
    for tag in result.tags:
        unique = tag.unique if tag.unique is not None else len(tag.top)
        more = f", {unique - len(tag.top)} more" if unique > len(tag.top) else ""
        lines.append(
            f"- {tag.key} ({tag.total} events, {unique} value{'s' if unique != 1 else ''}{more}): {', '.join(tag.top)}"
        )
    if not result.tags:
        lines.append("- none")
    if result.missing:
        lines.append(f"No event has: {', '.join(result.missing)}")
    return "\n".join(lines)


OPERATION = Operation(
    name="get-issue-tags",
    title="Get issue tags",
    description=(
        "How one Sentry issue's events spread over each tag's values (release, environment, browser, os, url, user, "
        "custom tags): per key the events tagged, distinct values and the top values with share and count. "
        "Use it to see where an issue happens."
    ),
    params=GetIssueTagsParams,
    result=IssueTags,
    handler=get_issue_tags,
    render=render_issue_tags,
    scopes=("event:read",),
    main_list="tags",
    cut_hint="Ask for fewer `keys` or a smaller `top`.",
)
