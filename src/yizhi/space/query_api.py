"""Tier A routes under /api/v1/space."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/space", tags=["space"])
