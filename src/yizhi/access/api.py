"""JSON API of the access domain under /api/v1/access (the issue's exact routes, then more).

Routes only translate HTTP; the rules live in the services. Requests: ``POST /requests``,
``POST /requests/{id}/submit|prescreen|withdraw|amend|messages``, ``POST
/requests/{id}/steps/{step}/recommend``, ``POST /requests/{id}/decide``, ``GET /requests[/{id}]``.
Grants: ``GET /grants[/{id}]``, ``POST /grants/{id}/suspend|reinstate|revoke|close``, extracts.
Public: ``GET /register``, ``/register.csv``, ``/metrics``.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from starlette.datastructures import UploadFile as StarletteUpload

from yizhi import storage
from yizhi.access import dataset_settings, extracts, grant_service, notify, register, review_service
from yizhi.access import permissions as _rules  # noqa: F401  (registers the permission rules)
from yizhi.access import request_service as requests
from yizhi.access.grants import grant_state_now
from yizhi.access.settings import get_access_settings
from yizhi.access.schemas import (
    AmendIn,
    ClosureIn,
    DecideIn,
    IssueUpdate,
    MessageIn,
    PrescreenIn,
    ReasonIn,
    RecommendIn,
    RequestIn,
    SettingsIn,
)
from yizhi.access.views_common import request_public
from yizhi.accounts.permissions import authorize
from yizhi.errors import N_, ValidationFailed
from yizhi.web.deps import CurrentPerson, DbSession, public
from yizhi.web.forms import FormBody

router = APIRouter(prefix="/api/v1/access", tags=["access"])
ETHICS_BODY_BYTES = get_access_settings().max_ethics_bytes + 64 * 1024


# ----- requests ------------------------------------------------------------------------------------
@router.get("/requests")
def list_requests(db: DbSession, person: CurrentPerson, state: str | None = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[dict]:
    _check_state(state, [s.value for s in requests.RequestState])
    rows = requests.visible_requests(db, person, state=state, limit=limit)
    return [{"id": r.id, "family_id": r.family_id, "version": r.version, "state": r.state.value,
             "kind": r.kind.value, "title": r.title, "org": r.organization.slug, "holder": r.holder.slug,
             "datasets": [d.version.ref for d in r.datasets]} for r in rows]


def _check_state(state: str | None, allowed: list[str]) -> None:
    if state is not None and state not in allowed:
        raise ValidationFailed(N_("state must be one of %(states)s"), params={"states": ", ".join(allowed)},
                               field="state")


@router.post("/requests", status_code=201)
def create_request(body: RequestIn, db: DbSession, person: CurrentPerson) -> dict:
    request = requests.create_request(db, person, body)
    db.commit()
    return {"id": request.id, "state": request.state.value}


@router.get("/requests/{request_id}")
def get_request(request_id: int, db: DbSession, person: CurrentPerson) -> dict:
    return request_public(db, person, requests.get_request(db, person, request_id))


@router.put("/requests/{request_id}")
def update_request(request_id: int, body: RequestIn, db: DbSession, person: CurrentPerson) -> dict:
    request = requests.update_request(db, person, requests.get_request(db, person, request_id), body)
    db.commit()
    return {"id": request.id, "state": request.state.value}


@router.post("/requests/{request_id}/ethics", max_body_size=ETHICS_BODY_BYTES)
def upload_ethics(request_id: int, http: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> dict:
    """Multipart form with ``file``: the ethics approval (PDF, PNG or JPEG). The request is looked up
    (and the permission checked) before the upload is read."""
    request = requests.get_request(db, person, request_id)
    authorize(person, "access.request.edit", request)
    upload = form.get("file")
    if not isinstance(upload, StarletteUpload):
        raise ValidationFailed(N_("send the ethics approval as the multipart field file"), field="file")
    name = PurePosixPath((upload.filename or "ethics").replace("\\", "/")).name or "ethics"
    requests.attach_ethics(db, person, request, upload.file, name)
    db.commit()
    return {"id": request.id, "ethics_file": request.ethics_file, "bytes": request.ethics_bytes}


@router.post("/requests/{request_id}/submit")
def submit(request_id: int, db: DbSession, person: CurrentPerson) -> dict:
    request = requests.submit(db, person, requests.get_request(db, person, request_id))
    db.commit()
    return {"id": request.id, "state": request.state.value, "grant_id": request.grant_id}


@router.post("/requests/{request_id}/withdraw")
def withdraw(request_id: int, db: DbSession, person: CurrentPerson) -> dict:
    request = requests.withdraw(db, person, requests.get_request(db, person, request_id))
    db.commit()
    return {"id": request.id, "state": request.state.value}


@router.post("/requests/{request_id}/prescreen")
def prescreen(request_id: int, body: PrescreenIn, db: DbSession, person: CurrentPerson) -> dict:
    request = review_service.prescreen(db, person, requests.get_request(db, person, request_id), body)
    db.commit()
    return {"id": request.id, "state": request.state.value}


@router.post("/requests/{request_id}/steps/{step}/recommend")
def recommend(request_id: int, step: int, body: RecommendIn, db: DbSession, person: CurrentPerson) -> dict:
    request = requests.get_request(db, person, request_id)
    review_service.recommend(db, person, request, step, body)
    db.commit()
    return {"id": request.id, "state": request.state.value, "step": step}


@router.post("/requests/{request_id}/decide")
def decide(request_id: int, body: DecideIn, db: DbSession, person: CurrentPerson) -> dict:
    request = requests.get_request(db, person, request_id)
    grant = review_service.decide(db, person, request, body)
    db.commit()
    answer = {"id": request.id, "state": request.state.value, "decision": request.decision}
    if grant is not None:
        answer["grant_id"] = grant.id
    return answer


@router.post("/requests/{request_id}/amend", status_code=201)
def amend(request_id: int, body: AmendIn, db: DbSession, person: CurrentPerson) -> dict:
    draft = requests.amend(db, person, requests.get_request(db, person, request_id), body)
    db.commit()
    return {"id": draft.id, "state": draft.state.value, "version": draft.version, "family_id": draft.family_id}


@router.post("/requests/{request_id}/messages", status_code=201)
def message(request_id: int, body: MessageIn, db: DbSession, person: CurrentPerson) -> dict:
    request = requests.get_request(db, person, request_id)
    posted = requests.post_message(db, person, request, body.body, private=body.private)
    db.commit()
    return {"id": posted.id, "side": posted.side, "private": posted.private}


# ----- grants --------------------------------------------------------------------------------------
@router.get("/grants")
def list_grants(db: DbSession, person: CurrentPerson, state: str | None = None) -> list[dict]:
    _check_state(state, ["active", "expired", "suspended", "revoked", "closed"])
    return [grant_service.grant_public(g) for g in grant_service.visible_grants(db, person, state=state)]


@router.get("/grants/{grant_id}")
def get_grant(grant_id: int, db: DbSession, person: CurrentPerson) -> dict:
    return grant_service.grant_public(grant_service.grant_for(db, person, grant_id))


def _grant_change(fn, grant_id: int, body: ReasonIn, db, person) -> dict:
    grant = fn(db, person, grant_service.grant_for(db, person, grant_id), body.reason)
    db.commit()
    return {"id": grant.id, "state": grant_state_now(grant)}


@router.post("/grants/{grant_id}/suspend")
def suspend(grant_id: int, body: ReasonIn, db: DbSession, person: CurrentPerson) -> dict:
    return _grant_change(grant_service.suspend, grant_id, body, db, person)


@router.post("/grants/{grant_id}/reinstate")
def reinstate(grant_id: int, body: ReasonIn, db: DbSession, person: CurrentPerson) -> dict:
    return _grant_change(grant_service.reinstate, grant_id, body, db, person)


@router.post("/grants/{grant_id}/revoke")
def revoke(grant_id: int, body: ReasonIn, db: DbSession, person: CurrentPerson) -> dict:
    return _grant_change(grant_service.revoke, grant_id, body, db, person)


@router.post("/grants/{grant_id}/close")
def close(grant_id: int, body: ClosureIn, db: DbSession, person: CurrentPerson) -> dict:
    grant = grant_service.grant_for(db, person, grant_id)
    report = grant_service.close(db, person, grant, body)
    db.commit()
    return {"id": grant.id, "state": grant.state.value, "report_id": report.id, "issues": len(report.issues)}


@router.get("/grants/{grant_id}/extract/{ref}/{table}.parquet")
def download_extract(grant_id: int, ref: str, table: str, db: DbSession, person: CurrentPerson) -> Response:
    grant = grant_service.grant_for(db, person, grant_id)
    digest, size, _rows = extracts.make_extract(db, person, grant, ref, table)
    db.commit()
    name = extracts.extract_name(grant, ref, table)
    return StreamingResponse(_chunks(digest), media_type="application/vnd.apache.parquet", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Content-Length": str(size),
        "X-Content-SHA256": digest})


def _chunks(digest: str):
    with storage.open_file(digest) as handle:
        while chunk := handle.read(1 << 20):
            yield chunk


# ----- settings, feedback, notifications -----------------------------------------------------------
@router.get("/datasets/{slug}/settings")
def get_settings(slug: str, db: DbSession, person: CurrentPerson) -> dict:
    dataset = dataset_settings.get_dataset(db, slug)
    authorize(person, "access.settings.edit", dataset)
    return dataset_settings.settings_as_form(db, dataset)


@router.put("/datasets/{slug}/settings")
def put_settings(slug: str, body: SettingsIn, db: DbSession, person: CurrentPerson) -> dict:
    dataset = dataset_settings.get_dataset(db, slug)
    dataset_settings.save_settings(db, person, dataset, body)
    db.commit()
    return dataset_settings.settings_as_form(db, dataset)


@router.get("/feedback")
def feedback(db: DbSession, person: CurrentPerson, org: str | None = None) -> dict:
    from yizhi.access.views_common import feedback_org

    holder = feedback_org(db, person, org)
    reports, issues = grant_service.feedback_for(db, holder)
    return {"org": holder.slug,
            "reports": [{"id": r.id, "grant_id": r.grant_id, "met_need": r.met_need.value, "outputs": r.outputs,
                         "comments": r.comments, "submitted_at": r.submitted_at.isoformat()} for r in reports],
            "issues": [{"id": i.id, "dataset": i.version.ref, "grant_id": i.grant_id, "table": i.table,
                        "column": i.column, "description": i.description, "state": i.state.value,
                        "response": i.response} for i in issues]}


@router.post("/issues/{issue_id}")
def update_issue(issue_id: int, body: IssueUpdate, db: DbSession, person: CurrentPerson) -> dict:
    issue = grant_service.update_issue(db, person, issue_id, body)
    db.commit()
    return {"id": issue.id, "state": issue.state.value}


@router.get("/notifications")
def notifications(db: DbSession, person: CurrentPerson, unread: bool = False) -> dict:
    rows = notify.notifications_for(db, person, unread_only=unread)
    return {"unread": notify.unread_count(db, person),
            "items": [{"id": n.id, "kind": n.kind, "params": n.params, "link": n.link,
                       "created_at": n.created_at.isoformat(), "read": n.read_at is not None} for n in rows]}


@router.post("/notifications/read")
def notifications_read(db: DbSession, person: CurrentPerson) -> dict:
    count = notify.mark_read(db, person)
    db.commit()
    return {"marked": count}


# ----- the public register -------------------------------------------------------------------------
@router.get("/register")
@public
def register_json(db: DbSession) -> dict:
    entries = register.register_entries(db)
    return {"count": len(entries), "entries": entries}


@router.get("/register.csv")
@public
def register_csv(db: DbSession) -> Response:
    return Response(register.register_csv(register.register_entries(db)), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="data-use-register.csv"'})


@router.get("/metrics")
@public
def metrics(db: DbSession) -> dict:
    return register.metrics(db)
