"""Tier A routes under /api/v1/space: run a query, read a grant's history and budget, download dummy
data, read and set a dataset's output rules."""

from __future__ import annotations

import json
import math

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse

from yizhi.access import grants
from yizhi.accounts.permissions import authorize
from yizhi.catalog import service as catalog
from yizhi.errors import N_, PayloadTooLarge, ValidationFailed
from yizhi.space import history, rules_service
from yizhi.space import query_permissions  # noqa: F401  (registers the rules)
from yizhi.space.dummy_download import dummy_zip
from yizhi.space.query_schemas import parse_query
from yizhi.space.query_service import run_query
from yizhi.space.settings import get_query_settings
from yizhi.web.deps import CurrentPerson, DbSession

router = APIRouter(prefix="/api/v1/space", tags=["space"])
ENVELOPE_KEYS = {"grant", "query", "dp", "epsilon"}


def api_gettext(request: Request):
    """Translate for API clients that asked for a language; English otherwise."""
    from yizhi.web import i18n

    if getattr(request.state, "locale_source", "default") == "default":
        return None
    locale = getattr(request.state, "locale", i18n.DEFAULT_LOCALE)
    return lambda text: i18n.gettext(locale, text)


async def _raw_body(request: Request, max_bytes: int) -> bytes:
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > max_bytes:
            raise PayloadTooLarge(N_("the request is larger than %(max)s bytes"), params={"max": max_bytes},
                                  field="body")
    return raw


def _json_body(raw: bytes):
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
    except RecursionError:
        raise ValidationFailed(N_("the request is nested too deeply"), field="body") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed(N_("the request is not valid JSON: %(detail)s"), params={"detail": str(exc)[:200]},
                               field="body") from None


async def _query_body(request: Request):
    return await _raw_body(request, get_query_settings().query_max_body)


async def _rules_body(request: Request):
    return await _raw_body(request, 4096)


# Read (bounded) in async dependencies without a database session so that the routes stay plain ``def``
# and their database work runs in the thread pool; declared after the person, so authentication comes
# first, and parsed in the route after the permission check, so strangers learn nothing from errors.
QueryBody = Annotated[Any, Depends(_query_body)]
RulesBody = Annotated[Any, Depends(_rules_body)]


def _no_constants(name: str):
    raise ValueError(f"{name} is not a number a query can use")


def parse_envelope(body) -> tuple[int, dict, bool, float | None]:
    if not isinstance(body, dict):
        raise ValidationFailed(N_("the request must be a JSON object"), field="body")
    unknown = sorted(set(body) - ENVELOPE_KEYS)
    if unknown:
        raise ValidationFailed(N_("%(field)s: unknown field (expected grant, query, dp, epsilon)"),
                               params={"field": unknown[0][:60]}, field=unknown[0][:60])
    grant_id = body.get("grant")
    if isinstance(grant_id, bool) or not isinstance(grant_id, int) or not 0 < grant_id < 2**63:
        raise ValidationFailed(N_("grant: the id of a grant (a positive whole number)"), field="grant")
    dp_mode = body.get("dp", False)
    if not isinstance(dp_mode, bool):
        raise ValidationFailed(N_("dp: true or false"), field="dp")
    epsilon = body.get("epsilon")
    if epsilon is not None and (isinstance(epsilon, bool) or not isinstance(epsilon, (int, float))
                                or not math.isfinite(float(epsilon))):
        raise ValidationFailed(N_("epsilon: a number"), field="epsilon")
    if "query" not in body:
        raise ValidationFailed(N_("query: the query is missing"), field="query")
    return grant_id, body["query"], dp_mode, (float(epsilon) if epsilon is not None else None)


@router.post("/query")
def post_query(request: Request, db: DbSession, person: CurrentPerson, body: QueryBody) -> dict:
    """Run a query: ``{"grant": ID, "query": {...}, "dp": false, "epsilon": null}`` → the released JSON."""
    grant_id, raw_query, dp_mode, epsilon = parse_envelope(_json_body(body))
    query = parse_query(raw_query)
    client = getattr(request.state, "auth", "session")
    released = run_query(db, person, grant_id, query, dp_mode=dp_mode, epsilon=epsilon, client=client)
    gettext = api_gettext(request)
    if gettext and released.get("reason"):
        from yizhi.space.query_models import QueryLog
        from yizhi.space.query_service import released_json

        log = db.get(QueryLog, released["query_id"])
        released = released_json(db, log.grant, log, gettext)
    return released


@router.get("/grants/{grant_id}/queries")
def grant_history(grant_id: int, request: Request, db: DbSession, person: CurrentPerson) -> dict:
    grant = grants.get_grant(db, grant_id)
    authorize(person, "space.grant_view", grant)
    gettext = api_gettext(request)
    return {"grant": grant.id, **history.budget_summary(db, grant),
            "queries": [history.as_row(log, gettext) for log in history.grant_queries(db, grant)]}


@router.get("/grants/{grant_id}/dummy")
def grant_dummy(grant_id: int, db: DbSession, person: CurrentPerson, dataset: str | None = None) -> FileResponse:
    """The dummy data of the grant's dataset version (``?dataset=SLUG@N`` when it covers several)."""
    _, entry = grants.require_use(db, person, grant_id, dataset)
    version = entry.version
    rules = rules_service.current(db, version.dataset)
    path = dummy_zip(version, rules)
    return FileResponse(path, media_type="application/zip", filename=f"{version.dataset.slug}-{version.number}-dummy.zip")


@router.get("/datasets/{slug}/rules")
def get_rules(slug: str, db: DbSession, person: CurrentPerson) -> dict:
    dataset = catalog.get_dataset(db, slug)
    authorize(person, "space.dataset_view", dataset)
    return {"dataset": dataset.slug, **rules_service.current(db, dataset)}


@router.put("/datasets/{slug}/rules")
def put_rules(slug: str, request: Request, db: DbSession, person: CurrentPerson, body: RulesBody) -> dict:
    dataset = catalog.get_dataset(db, slug)
    authorize(person, "space.dataset_rules_edit", dataset)
    rules = rules_service.parse_rules(_json_body(body))
    rules_service.save(db, dataset, rules, person)
    db.commit()
    return {"dataset": dataset.slug, **rules_service.current(db, dataset)}


@router.get("/datasets/{slug}/queries")
def dataset_history(slug: str, request: Request, db: DbSession, person: CurrentPerson) -> dict:
    dataset = catalog.get_dataset(db, slug)
    authorize(person, "space.dataset_view", dataset)
    gettext = api_gettext(request)
    return {"dataset": dataset.slug,
            "queries": [history.as_row(log, gettext) for log in history.dataset_queries(db, dataset)]}
