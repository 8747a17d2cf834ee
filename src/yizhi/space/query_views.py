"""Tier A pages of the trusted data space."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
NAV: list = []


def dashboard_cards(request, db, person) -> list[dict]:
    return []
