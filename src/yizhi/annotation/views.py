"""Pages of the annotation service: projects, the annotation page (spans on a note, a box or polygon
on a DICOM slice, classes, Likert, free text), review, adjudication, agreement (SVG matrix charts),
reader-study report. Annotators see only the item they hold; nothing is offered for download."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from yizhi.accounts.models import Person
from yizhi.accounts.permissions import can
from yizhi.annotation import export, instructions, payload, queue, report, review, service, study
from yizhi.annotation import permissions as _rules  # noqa: F401
from yizhi.annotation.api import NO_STORE, visible_project
from yizhi.annotation.models import AssignmentState, Project, ProjectKind
from yizhi.errors import N_, NotFound, YizhiError
from yizhi.web.deps import CurrentPerson, DbSession
from yizhi.web.forms import FormBody
from yizhi.web.flash import redirect_with_flash
from yizhi.web.templating import NavItem, render, translator

router = APIRouter(include_in_schema=False)
NAV = [NavItem("/annotation", "Annotation", order=65)]
SCRIPT = Path(__file__).parent / "data" / "annotate.js"


def _names(db, ids) -> dict[int, str]:
    return {p.id: p.display_name for p in db.scalars(select(Person).where(Person.id.in_(list(ids) or [-1])))}


@router.get("/annotation/annotate.js")
def script() -> Response:
    return Response(SCRIPT.read_text(encoding="utf-8"), media_type="text/javascript",
                    headers={"Cache-Control": "max-age=300"})


@router.get("/annotation", response_class=HTMLResponse)
def index(request: Request, db: DbSession, person: CurrentPerson):
    projects = [p for p in db.scalars(select(Project).order_by(Project.id.desc()).limit(500))
                if can(person, "annotation.project.view", p)]
    rows = [{"project": p, "manage": can(person, "annotation.project.manage", p),
             "annotate": can(person, "annotation.annotate", p), "review": can(person, "annotation.review", p),
             "mine": queue.my_counts(db, p, person) if can(person, "annotation.annotate", p) else None,
             "progress": service.progress(db, p) if can(person, "annotation.project.manage", p) else None}
            for p in projects]
    return render(request, "annotation/index.html", {"rows": rows})


@router.get("/annotation/projects/{slug}", response_class=HTMLResponse)
def project_page(slug: str, request: Request, db: DbSession, person: CurrentPerson):
    project = visible_project(db, person, slug)
    manage = can(person, "annotation.project.manage", project)
    return render(request, "annotation/project.html", {
        "project": project, "instructions_html": instructions.render(project.instructions), "manage": manage, "annotate": can(person, "annotation.annotate", project),
        "reviewer": can(person, "annotation.review", project),
        "progress": service.progress(db, project) if manage else None,
        "counts": review.counts(db, project) if can(person, "annotation.review", project) else None,
        "mine": queue.my_counts(db, project, person) if can(person, "annotation.annotate", project) else None})


@router.post("/annotation/projects/{slug}/next")
def take_next(slug: str, request: Request, db: DbSession, person: CurrentPerson):
    project = visible_project(db, person, slug, "annotation.annotate")
    try:
        service.require_data_access(db, project)
        assignment = queue.next_item(db, project, person)
    except YizhiError as exc:
        db.rollback()
        return redirect_with_flash(f"/annotation/projects/{slug}", exc.localized(translator(request)), "error")
    if assignment is None:
        return redirect_with_flash(f"/annotation/projects/{slug}", N_("Nothing is left for you in this project."),
                                   "info")
    return redirect_with_flash(f"/annotation/projects/{slug}/work/{assignment.id}", "", "info")


@router.get("/annotation/projects/{slug}/work/{assignment_id:int}", response_class=HTMLResponse)
def work_page(slug: str, assignment_id: int, request: Request, db: DbSession, person: CurrentPerson):
    project = visible_project(db, person, slug, "annotation.annotate")
    assignment = queue._mine(db, project, person, assignment_id)
    if assignment.state not in (AssignmentState.locked, AssignmentState.returned):
        raise NotFound(N_("no assignment %(id)s of yours in this project"), params={"id": assignment_id})
    service.require_data_access(db, project)
    view = payload.assignment_view(project, assignment)
    response = render(request, "annotation/work.html", {
        "project": project, "assignment": assignment, "view": view,
        "instructions_html": instructions.render(project.instructions),
        "data_json": json.dumps({"schema": project.schema, "item": view["item"],
                                 "answer": assignment.answer or view["item"].get("suggestion") or {}},
                                ensure_ascii=False).replace("</", "<\\/")})
    response.headers.update(NO_STORE)
    return response


@router.post("/annotation/projects/{slug}/work/{assignment_id:int}")
def work_submit(slug: str, assignment_id: int, request: Request, db: DbSession, person: CurrentPerson, form: FormBody):
    project = visible_project(db, person, slug, "annotation.annotate")
    back = f"/annotation/projects/{slug}/work/{assignment_id}"
    try:
        if form.get("action") == "skip":
            queue.skip(db, project, person, assignment_id, str(form.get("reason") or ""))
        else:
            try:
                answer = json.loads(str(form.get("answer") or "{}"))
            except ValueError:
                return redirect_with_flash(back, N_("The answer could not be read; please try again."), "error")
            seconds = form.get("seconds")
            queue.submit(db, project, person, assignment_id, answer,
                         float(seconds) if isinstance(seconds, str) and seconds.replace(".", "", 1).isdigit() else None)
        assignment = queue.next_item(db, project, person)
    except YizhiError as exc:
        db.rollback()
        return redirect_with_flash(back, exc.localized(translator(request)), "error")
    if assignment is None:
        return redirect_with_flash(f"/annotation/projects/{slug}", N_("Saved. Nothing more is waiting for you."), "ok")
    return redirect_with_flash(f"/annotation/projects/{slug}/work/{assignment.id}", N_("Saved."), "ok")


@router.get("/annotation/projects/{slug}/review", response_class=HTMLResponse)
def review_page(slug: str, request: Request, db: DbSession, person: CurrentPerson):
    project = visible_project(db, person, slug, "annotation.review")
    pending = review.review_queue(db, project, limit=20)
    shown = [{"assignment": a, "view": payload.item_view(project, a.item)} for a in pending]
    response = render(request, "annotation/review.html", {
        "project": project, "pending": shown, "names": _names(db, {a.annotator_id for a in pending})})
    response.headers.update(NO_STORE)
    return response


@router.post("/annotation/projects/{slug}/review/{assignment_id:int}")
def review_submit(slug: str, assignment_id: int, request: Request, db: DbSession, person: CurrentPerson, form: FormBody):
    project = visible_project(db, person, slug, "annotation.review")
    back = f"/annotation/projects/{slug}/review"
    try:
        review.review(db, project, person, assignment_id, str(form.get("decision") or ""), str(form.get("comment") or ""))
    except YizhiError as exc:
        db.rollback()
        return redirect_with_flash(back, exc.localized(translator(request)), "error")
    db.commit()
    return redirect_with_flash(back, N_("Review saved."), "ok")


@router.get("/annotation/projects/{slug}/adjudicate", response_class=HTMLResponse)
def adjudicate_page(slug: str, request: Request, db: DbSession, person: CurrentPerson):
    project = visible_project(db, person, slug, "annotation.review")
    items = review.disputed(db, project, limit=20)
    shown = [{"item": i, "view": payload.item_view(project, i), "answers": review.answers_of(db, i)} for i in items]
    names = _names(db, {a.annotator_id for entry in shown for a in entry["answers"]})
    response = render(request, "annotation/adjudicate.html", {"project": project, "disputed": shown, "names": names})
    response.headers.update(NO_STORE)
    return response


@router.post("/annotation/projects/{slug}/adjudicate/{key}")
def adjudicate_submit(slug: str, key: str, request: Request, db: DbSession, person: CurrentPerson, form: FormBody):
    project = visible_project(db, person, slug, "annotation.review")
    back = f"/annotation/projects/{slug}/adjudicate"
    choose = form.get("choose")
    try:
        review.adjudicate(db, project, person, key, choose=int(choose) if isinstance(choose, str) and choose.isdigit()
                          else None, answer=json.loads(str(form.get("answer") or "null")),
                          comment=str(form.get("comment") or ""))
    except ValueError:
        db.rollback()
        return redirect_with_flash(back, N_("The answer could not be read; please try again."), "error")
    except YizhiError as exc:
        db.rollback()
        return redirect_with_flash(back, exc.localized(translator(request)), "error")
    db.commit()
    return redirect_with_flash(back, N_("Decision saved: it is now the item's label."), "ok")


@router.get("/annotation/projects/{slug}/agreement", response_class=HTMLResponse)
def agreement_page(slug: str, request: Request, db: DbSession, person: CurrentPerson):
    project = visible_project(db, person, slug, "annotation.project.manage")
    _ = translator(request)
    figures = report.project_agreement(db, project)
    series = queue.accuracy_over_time(db, project)
    names = _names(db, set(figures["annotators"]) | set(series))
    charts = []
    for name, field in figures["fields"].items():
        metric, _value = report.headline(field)
        pairs = field.get("pairs", {})
        title = _("%(field)s: pairwise agreement") % {"field": name}
        charts.append({"name": name, "field": field, "metric": metric,
                       "svg": report.matrix_svg(figures["annotators"], names, pairs, title)})
    return render(request, "annotation/agreement.html", {
        "project": project, "figures": figures, "charts": charts, "names": names,
        "qualification": export.qualification_summary(db, project),
        "accuracy_svg": report.accuracy_svg(series, names, _("Accuracy on gold items over time")) if series else ""})


@router.post("/annotation/projects/{slug}/export")
def export_submit(slug: str, request: Request, db: DbSession, person: CurrentPerson, form: FormBody):
    project = visible_project(db, person, slug, "annotation.project.manage")
    try:
        version = export.export_version(db, project, dataset_slug=str(form.get("dataset") or "") or None, actor=person)
    except YizhiError as exc:
        db.rollback()
        return redirect_with_flash(f"/annotation/projects/{slug}", exc.localized(translator(request)), "error")
    db.commit()
    return redirect_with_flash(f"/annotation/projects/{slug}", translator(request)(
        "Exported as dataset version %(ref)s") % {"ref": version.ref}, "ok")


@router.get("/annotation/projects/{slug}/study", response_class=HTMLResponse)
def study_page(slug: str, request: Request, db: DbSession, person: CurrentPerson):
    project = visible_project(db, person, slug, "annotation.project.manage")
    if project.kind != ProjectKind.reader_study:
        raise NotFound(N_("project %(slug)s is not a reader study"), params={"slug": slug})
    result = study.report(db, project)
    return render(request, "annotation/study.html", {"project": project, "report": result,
                                                     "names": _names(db, result["readers"])})


def dashboard_cards(request, db, person) -> list[dict]:
    if person is None:
        return []
    mine = [p for p in db.scalars(select(Project).where(Project.state == "open").limit(200))
            if can(person, "annotation.annotate", p)]
    if not mine:
        return []
    _ = translator(request)
    return [{"key": "annotation", "title": _("Annotation"),
             "text": _("Items are waiting for you in your annotation projects."),
             "link": "/annotation", "action": _("Open"), "order": 65, "primary": True}]


