"""JSON API of the annotation service under /api/v1/annotation. Routes translate HTTP; the rules
live in ``service``, ``queue``, ``review``, ``study`` and ``export``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from yizhi.accounts.permissions import authorize, can
from yizhi.annotation import export, payload, queue, report, review, service, study
from yizhi.annotation import permissions as _rules  # noqa: F401  (registers the rules)
from yizhi.annotation.models import Assignment, AssignmentState, Project, ProjectKind
from yizhi.annotation.schemas import (AdjudicateIn, AnswerIn, ExportIn, GoldIn, PredictionsIn, ProjectCreate,
                                      ReaderStudyCreate, ReviewIn, SkipIn)
from yizhi.errors import N_, NotFound, ValidationFailed
from yizhi.web.deps import CurrentPerson, DbSession

router = APIRouter(prefix="/api/v1/annotation", tags=["annotation"])
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def project_out(db, project: Project, person=None) -> dict:
    out = {"slug": project.slug, "title": project.title, "kind": project.kind.value, "state": project.state.value,
           "organization": project.organization.slug, "dataset": project.version.ref, "schema": project.schema,
           "instructions": project.instructions, "overlap": project.overlap,
           "overlap_percent": project.overlap_percent, "lock_minutes": project.lock_minutes,
           "skip_policy": project.skip_policy, "qualification_count": project.qualification_count,
           "qualification_min": project.qualification_min, "gold_rate": project.gold_rate,
           "source": {k: v for k, v in project.source.items() if k != "columns"}}
    if person is not None and can(person, "annotation.project.manage", project):
        out["progress"] = service.progress(db, project)
        out["review"] = review.counts(db, project)
    if person is not None and can(person, "annotation.annotate", project):
        out["mine"] = queue.my_counts(db, project, person)
    return out


def visible_project(db, person, slug: str, action: str = "annotation.project.view") -> Project:
    project = service.get_project(db, slug)
    authorize(person, action, project)
    return project


@router.get("/projects")
def list_projects(db: DbSession, person: CurrentPerson) -> list[dict]:
    projects = db.scalars(select(Project).order_by(Project.id.desc()).limit(500))
    return [project_out(db, p) for p in projects if can(person, "annotation.project.view", p)]


@router.post("/projects", status_code=201)
def create_project(body: ProjectCreate, db: DbSession, person: CurrentPerson) -> dict:
    org = service.org_by_slug(db, body.org)
    authorize(person, "annotation.project.create", org)
    project = service.create_project(
        db, slug=body.slug, title=body.title, org=org, dataset=body.dataset, kind=body.kind,
        schema=body.label_schema, source=body.source, instructions=body.instructions, grant_id=body.grant_id,
        overlap=body.overlap, overlap_percent=body.overlap_percent, lock_minutes=body.lock_minutes,
        skip_policy=body.skip_policy, qualification_count=body.qualification_count,
        qualification_min=body.qualification_min, gold_rate=body.gold_rate, annotator_orgs=body.annotator_orgs,
        annotator_people=body.annotator_people, reviewer_people=body.reviewer_people, sample=body.sample,
        prefill=body.prefill, actor=person)
    db.commit()
    return project_out(db, project, person)


@router.post("/reader-studies", status_code=201)
def create_reader_study(body: ReaderStudyCreate, db: DbSession, person: CurrentPerson) -> dict:
    org = service.org_by_slug(db, body.org)
    authorize(person, "annotation.project.create", org)
    project = study.create_reader_study(
        db, slug=body.slug, title=body.title, org=org, benchmark=body.benchmark, readers=body.readers,
        ai_scores=body.ai_scores, design=body.design, scale_max=body.scale_max, positive_from=body.positive_from,
        washout_days=body.washout_days, sample=body.sample, grant_id=body.grant_id, instructions=body.instructions,
        actor=person, ai_submission=body.ai_submission)
    db.commit()
    return project_out(db, project, person)


@router.get("/projects/{slug}")
def get_project(slug: str, db: DbSession, person: CurrentPerson) -> dict:
    return project_out(db, visible_project(db, person, slug), person)


@router.post("/projects/{slug}/gold")
def set_gold(slug: str, body: GoldIn, db: DbSession, person: CurrentPerson) -> dict:
    project = visible_project(db, person, slug, "annotation.project.manage")
    count = service.set_gold(db, project, body.entries)
    db.commit()
    return {"gold": count}


@router.post("/projects/{slug}/predictions")
def set_predictions(slug: str, body: PredictionsIn, db: DbSession, person: CurrentPerson) -> dict:
    project = visible_project(db, person, slug, "annotation.project.manage")
    count = service.set_predictions(db, project, body.entries)
    db.commit()
    return {"predictions": count}


def browser_only(request) -> bool:
    """Annotators see data only in the browser: a token (script) client gets keys, never content."""
    return getattr(request.state, "auth", None) == "token"


@router.post("/projects/{slug}/next")
def next_item(slug: str, request: Request, db: DbSession, person: CurrentPerson):
    project = visible_project(db, person, slug, "annotation.annotate")
    service.require_data_access(db, project)
    assignment = queue.next_item(db, project, person)
    if assignment is None:
        return {"assignment_id": None, "message": "nothing left for you in this project"}
    view = payload.assignment_view(project, assignment)
    if browser_only(request) and not can(person, "annotation.project.manage", project):
        view["item"] = {"key": view["item"]["key"], "kind": view["item"]["kind"],
                        "content": "shown in the browser only"}
    return Response(_json(view), media_type="application/json", headers=NO_STORE)


def _json(data) -> str:
    import json

    return json.dumps(data, ensure_ascii=False)


@router.post("/projects/{slug}/assignments/{assignment_id}/submit")
def submit(slug: str, assignment_id: int, body: AnswerIn, db: DbSession, person: CurrentPerson) -> dict:
    project = visible_project(db, person, slug, "annotation.annotate")
    assignment = queue.submit(db, project, person, assignment_id, body.answer, body.seconds)
    return {"assignment_id": assignment.id, "state": assignment.state.value, "gold": bool(assignment.item.gold)}


@router.post("/projects/{slug}/assignments/{assignment_id}/skip")
def skip(slug: str, assignment_id: int, body: SkipIn, db: DbSession, person: CurrentPerson) -> dict:
    project = visible_project(db, person, slug, "annotation.annotate")
    assignment = queue.skip(db, project, person, assignment_id, body.reason)
    return {"assignment_id": assignment.id, "state": assignment.state.value}


def may_see_item(db, person, project: Project, item) -> bool:
    if can(person, "annotation.review", project) or can(person, "annotation.project.manage", project):
        return True
    held = db.scalar(select(Assignment.id).where(
        Assignment.item_id == item.id, Assignment.annotator_id == person.id,
        Assignment.state.in_([AssignmentState.locked, AssignmentState.returned])))
    return held is not None


@router.get("/projects/{slug}/items/{key}/image.png")
def item_image(slug: str, key: str, request: Request, db: DbSession, person: CurrentPerson, frame: int = 0,
               center: float | None = None, width: float | None = None) -> Response:
    """A slice rendered to PNG for display; annotators only for an item they hold."""
    from yizhi.annotation import content

    project = visible_project(db, person, slug)
    if project.source.get("kind") != "dicom":
        raise NotFound(N_("this project has no images"))
    item = service.get_item(db, project, key)
    if not may_see_item(db, person, project, item) or (
            browser_only(request) and not can(person, "annotation.project.manage", project)):
        raise NotFound(N_("project %(slug)s has no item %(key)s"), params={"slug": slug, "key": key})
    service.require_data_access(db, project)
    if (center is None) != (width is None) or (width is not None and not 1 <= width <= 100_000):
        raise ValidationFailed(N_("give both window center and width (width 1-100000)"), field="width")
    png = content.slice_png(content.dicom_path(project, item), frame, center, width)
    return Response(png, media_type="image/png", headers={**NO_STORE, "Content-Disposition": "inline"})


@router.get("/projects/{slug}/review")
def review_queue(slug: str, db: DbSession, person: CurrentPerson) -> list[dict]:
    project = visible_project(db, person, slug, "annotation.review")
    return [{"assignment_id": a.id, "annotator": a.annotator_id, "item": a.item.key, "answer": a.answer,
             "submitted_at": a.submitted_at.isoformat() if a.submitted_at else None}
            for a in review.review_queue(db, project)]


@router.post("/projects/{slug}/assignments/{assignment_id}/review")
def review_answer(slug: str, assignment_id: int, body: ReviewIn, db: DbSession, person: CurrentPerson) -> dict:
    project = visible_project(db, person, slug, "annotation.review")
    assignment = review.review(db, project, person, assignment_id, body.decision, body.comment)
    db.commit()
    return {"assignment_id": assignment.id, "review_state": assignment.review_state, "state": assignment.state.value}


@router.get("/projects/{slug}/disputed")
def disputed(slug: str, db: DbSession, person: CurrentPerson) -> list[dict]:
    project = visible_project(db, person, slug, "annotation.review")
    return [{"key": i.key, "answers": [{"assignment_id": a.id, "annotator": a.annotator_id, "answer": a.answer}
                                       for a in review.answers_of(db, i)]} for i in review.disputed(db, project)]


@router.post("/projects/{slug}/items/{key}/adjudicate")
def adjudicate(slug: str, key: str, body: AdjudicateIn, db: DbSession, person: CurrentPerson) -> dict:
    project = visible_project(db, person, slug, "annotation.review")
    item = review.adjudicate(db, project, person, key, body.answer, body.choose, body.comment)
    db.commit()
    return {"key": item.key, "status": item.status.value, "final_answer": item.final_answer}


@router.get("/projects/{slug}/agreement")
def agreement(slug: str, db: DbSession, person: CurrentPerson) -> dict:
    project = visible_project(db, person, slug, "annotation.project.manage")
    figures = report.project_agreement(db, project)
    figures["accuracy_over_time"] = queue.accuracy_over_time(db, project)
    figures["annotators_qualification"] = export.qualification_summary(db, project)
    return figures


@router.get("/projects/{slug}/study-report")
def study_report(slug: str, db: DbSession, person: CurrentPerson) -> dict:
    project = visible_project(db, person, slug, "annotation.project.manage")
    if project.kind != ProjectKind.reader_study:
        raise NotFound(N_("project %(slug)s is not a reader study"), params={"slug": slug})
    return study.report(db, project)


@router.post("/projects/{slug}/export", status_code=201)
def export_labels(slug: str, body: ExportIn, db: DbSession, person: CurrentPerson) -> dict:
    project = visible_project(db, person, slug, "annotation.project.manage")
    version = export.export_version(db, project, dataset_slug=body.dataset, actor=person)
    db.commit()
    return {"version": version.ref, "root_hash": version.root_hash, "tables": version.tables,
            "files": version.card["annotation"]["files"]}
