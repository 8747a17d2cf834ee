"""The page where a hospital member pastes a note and sees its identifiers beside the result."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from yizhi.accounts.permissions import can
from yizhi.deid.text import LANGUAGES, PHI_TYPES, POLICIES, service
from yizhi.errors import PermissionDenied, YizhiError
from yizhi.web.deps import CurrentPerson
from yizhi.web.templating import NavItem, render

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


@router.post("/deid/text", response_class=HTMLResponse)
async def text_submit(request: Request, person: CurrentPerson) -> Response:
    if not can(person, "deid.text.use"):
        raise PermissionDenied("only people acting for an approved organisation may use the de-identifier")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit():
        service.check_size(int(declared) - 4096)
    raw = await request.form()
    form = {"text": str(raw.get("text", "")), "lang": str(raw.get("lang", "auto")), "policy": str(raw.get("policy", "redact"))}
    try:
        result = await run_in_threadpool(service.run, form["text"], form["lang"], form["policy"])
    except YizhiError as exc:
        return render(request, "deid/text.html", _context(form, error=exc.message), status_code=exc.status)
    return render(request, "deid/text.html", _context(form, result))
