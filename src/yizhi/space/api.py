"""JSON API of the trusted data space under /api/v1/space (Tier A queries, Tier B jobs)."""

from fastapi import APIRouter

from yizhi.space import jobs_api, query_api

router = APIRouter()
router.include_router(query_api.router)
router.include_router(jobs_api.router)
