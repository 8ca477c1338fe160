"""API shapes of the organization, its projects and releases (camelCase, as Sentry); people: `serialize_people`."""

from __future__ import annotations

import re
import zlib
from typing import Any

from .access import Access
from .directory import Team
from .models import Organization, Project, Release
from .store import SandboxStore
from .times import iso

ORG_FEATURES = ["issue-platform", "global-views", "release-health", "advanced-search"]


def serialize_organization(org: Organization, base_url: str, access: list[str] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": org.id,
        "slug": org.slug,
        "name": org.name,
        "status": {"id": "active", "name": "active"},
        "dateCreated": iso(org.date_created),
        "isEarlyAdopter": False,
        "require2FA": False,
        "avatar": {"avatarType": "letter_avatar", "avatarUuid": None, "avatarUrl": None},
        "links": {"organizationUrl": base_url, "regionUrl": base_url},
        "hasAuthProvider": False,
        "allowMemberInvite": True,
        "allowMemberProjectCreation": True,
        "allowSuperuserAccess": False,
        "features": list(ORG_FEATURES),
    }
    if access is not None:
        data["access"] = access
    return data


def _version_info(version: str) -> dict[str, Any]:
    package, sep, raw = version.partition("@")
    if not sep:
        package, raw = "", version
    numbers = [int(n) if n.isdigit() else 0 for n in re.split(r"[.+-]", raw)[:3]] + [0, 0, 0]
    return {
        "package": package or None,
        "version": {"raw": raw, "major": numbers[0], "minor": numbers[1], "patch": numbers[2]},
        "description": raw,
        "buildHash": None,
    }


def short_version(version: str) -> str:
    """A release as Sentry labels it for people: `backend@1.2.0` -> `1.2.0`."""
    description: str = _version_info(version)["description"]
    return description


def serialize_release(release: Release, store: SandboxStore) -> dict[str, Any]:
    """A release as in the event detail's `release` and an issue's `firstRelease`/`lastRelease`."""
    projects = [p for p in store.projects if p.id in release.project_ids]
    return {
        "id": zlib.crc32(release.version.encode("utf-8")) % 10_000_000,
        "version": release.version,
        "shortVersion": short_version(release.version),
        "versionInfo": _version_info(release.version),
        "ref": None,
        "url": None,
        "dateReleased": None,
        "dateCreated": iso(release.date_created),
        "data": {},
        "newGroups": release.new_groups,
        "owner": None,
        "commitCount": 0,
        "lastCommit": None,
        "deployCount": 0,
        "lastDeploy": None,
        "authors": [],
        "projects": [{"id": int(p.id), "slug": p.slug, "name": p.name, "platform": p.platform} for p in projects],
        "firstEvent": iso(release.date_created),
        "lastEvent": iso(release.last_event),
        "userAgent": None,
        "status": "open",
    }


def team_ref(team: Team) -> dict[str, Any]:
    """A team as a project names it (`team`, `teams`)."""
    return {"id": team.id, "slug": team.slug, "name": team.name}


def _project_common(project: Project, store: SandboxStore, access: Access) -> dict[str, Any]:
    """The fields every project shape has, as `access` sees them (`isMember`, `hasAccess`, `access`)."""
    events = [e for e in store.events() if e.project_id == project.id]
    releases = store.project_releases(project.id)
    first_event = min((e.timestamp for e in events), default=None)
    has_sessions = any(s.project_id == project.id for s in store.sessions())
    teams = store.directory.teams_of_project(project.id)
    has_access = access.has_project(project.id)
    data: dict[str, Any] = {
        "id": project.id,
        "slug": project.slug,
        "name": project.name,
        "platform": project.platform,
        "platforms": [project.platform],
        "dateCreated": iso(project.date_created),
        "isBookmarked": False,
        "isMember": any(access.is_member_of(t.slug) for t in teams),
        "hasAccess": has_access,
        "features": ["similarity-indexing", "servicehooks"],
        "firstEvent": iso(first_event) if first_event else None,
        "firstTransactionEvent": False,
        "access": sorted(access.scopes) if has_access else [],
        "team": team_ref(teams[0]) if teams else None,
        "teams": [team_ref(t) for t in teams],
        "environments": sorted({e.environment for e in events if e.environment}),
        "latestRelease": {"version": releases[-1].version} if releases else None,
        "hasSessions": has_sessions,
        "hasUserReports": False,
    }
    for flag in (
        "hasFeedbacks",
        "hasFlags",
        "hasMinifiedStackTrace",
        "hasMonitors",
        "hasNewFeedbacks",
        "hasProfiles",
        "hasReplays",
        "hasInsightsHttp",
        "hasInsightsDb",
        "hasInsightsAssets",
        "hasInsightsAppStart",
        "hasInsightsScreenLoad",
        "hasInsightsVitals",
        "hasInsightsCaches",
        "hasInsightsQueues",
        "hasInsightsAgentMonitoring",
        "hasInsightsMCP",
        "hasLogs",
        "hasTraceMetrics",
    ):
        data[flag] = False
    return data


def serialize_project_summary(project: Project, store: SandboxStore, access: Access) -> dict[str, Any]:
    """A project as listed by `GET organizations/{org}/projects/`."""
    data = _project_common(project, store, access)
    data.update({"latestDeploys": None, "stats": None, "options": {}})
    return data


def _project_look() -> dict[str, Any]:
    return {
        "status": "active",
        "isInternal": False,
        "isPublic": False,
        "avatar": {"avatarType": "letter_avatar", "avatarUuid": None, "avatarUrl": None},
        "color": "#3f70bf",
    }


def serialize_team_project(project: Project, store: SandboxStore, access: Access) -> dict[str, Any]:
    """A project as a detailed team lists it (`ProjectSerializer`)."""
    return {**_project_common(project, store, access), **_project_look()}


def serialize_project_detail(project: Project, store: SandboxStore, access: Access, base_url: str) -> dict[str, Any]:
    """A project as returned by `GET projects/{org}/{project}/`."""
    data = _project_common(project, store, access)
    data.update(
        {
            **_project_look(),
            "organization": serialize_organization(store.organization, base_url),
            "options": {"filters:error_messages": "\n".join(project.message_filters)},
            "digestsMinDelay": 300,
            "digestsMaxDelay": 1800,
            "subjectPrefix": "",
            "allowedDomains": ["*"],
            "resolveAge": 0,
            "dataScrubber": True,
            "dataScrubberDefaults": True,
            "safeFields": [],
            "storeCrashReports": None,
            "sensitiveFields": [],
            "subjectTemplate": "$shortID - $title",
            "securityToken": project.public_key,
            "securityTokenHeader": None,
            "verifySSL": False,
            "scrubIPAddresses": False,
            "scrapeJavaScript": True,
            "enableAutoReleaseCreation": True,
            "highlightTags": ["handled", "level"],
            "highlightContext": {},
            "highlightPreset": {"tags": ["handled", "level"], "context": {}},
            "groupingConfig": "newstyle:2023-01-11",
            "derivedGroupingEnhancements": "",
            "groupingEnhancements": "",
            "secondaryGroupingExpiry": 0,
            "secondaryGroupingConfig": None,
            "fingerprintingRules": "",
            "processingIssues": 0,
            "defaultEnvironment": None,
            "relayPiiConfig": None,
            "builtinSymbolSources": [],
            "dynamicSamplingBiases": None,
            "symbolSources": "[]",
            "isDynamicallySampled": False,
            "tempestFetchScreenshots": False,
            "autofixAutomationTuning": "off",
            "seerScannerAutomation": False,
            "seerNightshiftTweaks": None,
            "scmSourceContextEnabled": False,
            "debugFilesRole": None,
        }
    )
    return data
