"""Pages of the trusted data space (Tier A query builder and history; Tier B jobs and the checkers' queue)."""

from fastapi import APIRouter

from yizhi.space import jobs_views, query_views

router = APIRouter(include_in_schema=False)
router.include_router(query_views.router)
router.include_router(jobs_views.router)
NAV = [*query_views.NAV, *jobs_views.NAV]


def dashboard_cards(request, db, person) -> list[dict]:
    return [*query_views.dashboard_cards(request, db, person), *jobs_views.dashboard_cards(request, db, person)]
