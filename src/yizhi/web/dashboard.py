"""The dashboard's figures and charts for each role: the commission sees the whole platform, a
hospital its own needs, interests, datasets and requests, a company its matches and submissions.

Counts come straight from the domains' tables with one GROUP BY each (no rows are loaded); every
label is a code or an English msgid translated for the reader.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yizhi.accounts.models import Organization, OrgKind, Person
from yizhi.accounts.models import Role
from yizhi.accounts.permissions import acting_role, active_orgs, is_platform_admin
from yizhi.db import utcnow
from yizhi.errors import N_
from yizhi.web.charts import Bar, bar_chart

RECENT_DAYS = 30
FIGURE_ROLES = (Role.owner, Role.member, Role.reviewer)


@dataclass
class Figure:
    key: str
    label: str
    value: int
    link: str = ""


@dataclass
class Chart:
    key: str
    title: str
    rows: list[tuple[str, int]]
    svg: Markup = Markup("")


@dataclass
class Panel:
    key: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)


def _counts(db: Session, column, *where, join=None) -> list[tuple[str, int]]:
    stmt = select(column, func.count()).select_from(column.class_ if join is None else join)
    for condition in where:
        stmt = stmt.where(condition)
    rows = db.execute(stmt.group_by(column)).all()
    return sorted(((str(getattr(key, "value", key)), count) for key, count in rows), key=lambda row: (-row[1], row[0]))


def _count(db: Session, stmt) -> int:
    return db.scalar(select(func.count()).select_from(stmt.subquery())) or 0


# ----- the commission ---------------------------------------------------------------------------
def commission_panel(db: Session) -> Panel:
    from yizhi.jobs.models import Job, JobState
    from yizhi.needs.models import Engagement, EngagementStatus, Need, NeedStatus, Pilot, PilotStatus

    since = utcnow() - timedelta(days=RECENT_DAYS)
    pending_orgs = select(Organization.id).where(Organization.approved.is_(False), Organization.rejected_at.is_(None),
                                                 Organization.suspended_at.is_(None))
    waiting = select(Need.id).where(Need.status.in_([NeedStatus.submitted, NeedStatus.under_review]))
    panel = Panel("commission", N_("The platform"), figures=[
        Figure("orgs-pending", N_("Organisations awaiting approval"), _count(db, pending_orgs), "/admin/organizations"),
        Figure("needs-waiting", N_("Needs waiting for review"), _count(db, waiting), "/needs/review"),
        Figure("engagements-active", N_("Accepted engagements"),
               _count(db, select(Engagement.id).where(Engagement.status == EngagementStatus.accepted)), "/needs"),
        Figure("pilots-running", N_("Pilots running"),
               _count(db, select(Pilot.id).where(Pilot.status == PilotStatus.running)), "/needs"),
        Figure("jobs-failed", N_("Jobs failed in the last 30 days"),
               _count(db, select(Job.id).where(Job.state == JobState.failed, Job.created_at >= since)), "/jobs"),
    ])
    panel.charts = [
        Chart("needs-by-state", N_("Needs by state"), _counts(db, Need.status)),
        Chart("needs-by-category", N_("Needs by category"), _counts(db, Need.category)),
        Chart("engagements-by-state", N_("Engagements by state"), _counts(db, Engagement.status)),
        Chart("jobs-by-state", N_("Jobs of the last 30 days by state"), _counts(db, Job.state, Job.created_at >= since)),
    ]
    return panel


# ----- a hospital -------------------------------------------------------------------------------
def hospital_panel(db: Session, org: Organization, locale: str) -> Panel:
    from yizhi.access.request_models import AccessRequest, RequestDataset, RequestState
    from yizhi.catalog.models import Dataset, DatasetVersion
    from yizhi.needs.models import Engagement, EngagementStatus, Need

    interests = select(Engagement.id).join(Need, Need.id == Engagement.need_id).where(
        Need.org_id == org.id, Engagement.status == EngagementStatus.pending)
    requests_to_us = (select(AccessRequest.id).join(RequestDataset, RequestDataset.request_id == AccessRequest.id)
                      .join(DatasetVersion, DatasetVersion.id == RequestDataset.version_id)
                      .join(Dataset, Dataset.id == DatasetVersion.dataset_id)
                      .where(Dataset.organization_id == org.id).distinct())
    open_states = [RequestState.submitted, RequestState.prescreen, RequestState.in_review]
    request_rows = select(AccessRequest.state).where(AccessRequest.id.in_(requests_to_us)).subquery()
    by_state = db.execute(select(request_rows.c.state, func.count()).group_by(request_rows.c.state)).all()
    panel = Panel(f"org-{org.slug}", org.display_name(locale), figures=[
        Figure("interests-pending", N_("Company interests waiting for your answer"), _count(db, interests), "/needs"),
        Figure("datasets", N_("Your datasets"),
               _count(db, select(Dataset.id).where(Dataset.organization_id == org.id)), "/datasets"),
        Figure("requests-open", N_("Access requests to your datasets in review"),
               _count(db, requests_to_us.where(AccessRequest.state.in_(open_states))), "/access/review"),
    ])
    panel.charts = [
        Chart("needs-by-state", N_("Your needs by state"), _counts(db, Need.status, Need.org_id == org.id)),
        Chart("requests-by-state", N_("Access requests to your datasets by state"),
              sorted(((str(getattr(s, "value", s)), n) for s, n in by_state), key=lambda r: (-r[1], r[0]))),
    ]
    return panel


# ----- a company --------------------------------------------------------------------------------
def company_panel(db: Session, org: Organization, locale: str) -> Panel:
    from yizhi.evaluation.models import Submission
    from yizhi.needs.models import Engagement, Need, Solution, SolutionStatus
    from yizhi.needs.service import RELEASED_STATES

    since = utcnow() - timedelta(days=RECENT_DAYS)
    categories = select(Solution.category).where(Solution.org_id == org.id, Solution.status == SolutionStatus.published)
    new_matches = select(Need.id).where(Need.status.in_(list(RELEASED_STATES)), Need.category.in_(categories),
                                        Need.updated_at >= since)
    panel = Panel(f"org-{org.slug}", org.display_name(locale), figures=[
        Figure("new-matches", N_("Needs published in your solutions' categories in the last 30 days"),
               _count(db, new_matches), "/solutions"),
        Figure("engagements", N_("Your engagements"),
               _count(db, select(Engagement.id).where(Engagement.company_org_id == org.id)), "/needs"),
        Figure("submissions", N_("Your evaluation submissions"),
               _count(db, select(Submission.id).where(Submission.organization_id == org.id)), "/evaluation"),
    ])
    panel.charts = [
        Chart("engagements-by-state", N_("Your engagements by state"),
              _counts(db, Engagement.status, Engagement.company_org_id == org.id)),
        Chart("submissions-by-state", N_("Your submissions by state"),
              _counts(db, Submission.state, Submission.organization_id == org.id)),
    ]
    return panel


# ----- assembling -------------------------------------------------------------------------------
def code_label(gettext: Callable[[str], str], locale: str, code: str) -> str:
    """A state or category in the reader's language; an English page never shows a raw snake_case code."""
    text = gettext(code)
    return text.replace("_", " ") if locale == "en" and text == code else text


def panels_for(db: Session, person: Person, gettext: Callable[[str], str], locale: str) -> list[Panel]:
    panels = []
    if is_platform_admin(person):
        panels.append(commission_panel(db))
    for org in active_orgs(person):
        if acting_role(person, org) not in FIGURE_ROLES:
            continue  # an annotator labels; the organisation's figures are for the people who run it
        if org.kind == OrgKind.hospital:
            panels.append(hospital_panel(db, org, locale))
        elif org.kind == OrgKind.company:
            panels.append(company_panel(db, org, locale))
    for panel in panels:
        panel.title = gettext(panel.title) if panel.key == "commission" else panel.title
        for figure in panel.figures:
            figure.label = gettext(figure.label)
        for chart in panel.charts:
            chart.title = gettext(chart.title)
            chart.rows = [(code_label(gettext, locale, code), count) for code, count in chart.rows]
            chart.svg = Markup(bar_chart([Bar(label, count) for label, count in chart.rows], chart.title,
                                         chart_id=f"chart-{panel.key}-{chart.key}"))
    return panels
