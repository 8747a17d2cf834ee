"""The page where a hospital member pastes a note and sees its identifiers beside the result."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from yizhi.accounts.permissions import can
from yizhi.deid.text import LANGUAGES, PHI_TYPES, POLICIES, service
from yizhi.errors import PermissionDenied, ValidationFailed, YizhiError
from yizhi.web.deps import CurrentPerson
from yizhi.web.forms import FormBody
from yizhi.web.templating import NavItem, render, translator

router = APIRouter(include_in_schema=False)
NAV = [NavItem("/deid/text", "De-identify a note", order=40,
               visible=lambda person: person is not None and can(person, "deid.text.use"))]


def _context(form: dict, result=None, error: str | None = None) -> dict:
    return {
        "form": form, "languages": LANGUAGES, "policies": POLICIES, "error": error,
        "result": result,
        "segments": service.segments(form.get("text", ""), result.spans) if result else [],
        "type_labels": PHI_TYPES,
        "max_bytes": service.MAX_TEXT_BYTES,
    }


@router.get("/deid/text", response_class=HTMLResponse)
def text_page(request: Request, person: CurrentPerson) -> Response:
    if not can(person, "deid.text.use"):
        raise PermissionDenied("only people acting for an approved organisation may use the de-identifier")
    return render(request, "deid/text.html", _context({"text": "", "lang": "auto", "policy": "redact"}))


@router.post("/deid/text", response_class=HTMLResponse, max_body_size=service.MAX_TEXT_BYTES)
def text_submit(request: Request, person: CurrentPerson, raw: FormBody) -> Response:
    """A plain ``def`` (run in the thread pool: a 1 MB note takes seconds). The whole form is held to the
    note's 1 MB limit while it streams (413 before anything is parsed): the form parser refuses a field over
    1 MB with a vaguer 400 of its own. The note itself is checked again by service.run."""
    if not can(person, "deid.text.use"):
        raise PermissionDenied("only people acting for an approved organisation may use the de-identifier")
    form = {"text": str(raw.get("text", "")), "lang": str(raw.get("lang", "auto")), "policy": str(raw.get("policy", "redact"))}
    try:
        result = service.run(form["text"], form["lang"], form["policy"])
    except YizhiError as exc:
        return render(request, "deid/text.html", _context(form, error=exc.localized(translator(request))),
                      status_code=exc.status)
    return render(request, "deid/text.html", _context(form, result))


# --- scoring on a hospital's own gold notes: the page for `yizhi deid text evaluate` -----------------
@router.get("/deid/text/evaluate", response_class=HTMLResponse)
def evaluate_page(request: Request, person: CurrentPerson) -> Response:
    if not can(person, "deid.text.use"):
        raise PermissionDenied("only people acting for an approved organisation may use the de-identifier")
    return render(request, "deid/text_evaluate.html", _evaluate_context({"lang": "auto"}))


@router.post("/deid/text/evaluate", response_class=HTMLResponse,
             max_body_size=service.MAX_GOLD_BYTES + service.FORM_OVERHEAD_BYTES)
def evaluate_submit(request: Request, person: CurrentPerson, raw: FormBody) -> Response:
    """The upload is stored first (content-addressed, bounded), then read back and scored (a plain ``def``:
    scoring runs in the thread pool; the body is counted against max_body_size while it streams)."""
    from yizhi.deid.text import evaluate as scoring

    if not can(person, "deid.text.use"):
        raise PermissionDenied("only people acting for an approved organisation may use the de-identifier")
    _ = translator(request)
    form_values = {"lang": "auto"}
    try:
        form_values["lang"] = str(raw.get("lang", "auto"))
        upload = raw.get("file")
        if upload is None or isinstance(upload, str) or not upload.filename:
            raise ValidationFailed(_("Choose a gold file (.jsonl) to score."), field="file")
        report = service.evaluate_upload(upload.file, form_values["lang"])
    except YizhiError as exc:
        return render(request, "deid/text_evaluate.html",
                      _evaluate_context(form_values, error=exc.localized(_)), status_code=exc.status)
    return render(request, "deid/text_evaluate.html", _evaluate_context(form_values, report))


def _evaluate_context(form: dict, report: dict | None = None, error: str | None = None) -> dict:
    return {"form": form, "languages": LANGUAGES, "report": report, "error": error, "type_labels": PHI_TYPES,
            "max_mb": service.MAX_GOLD_BYTES // (1024 * 1024)}
