"""POST /api/v1/deid/text: de-identify one note (JSON in, JSON out, ≤ 1 MB, nothing stored)."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from yizhi.accounts.permissions import authorize
from yizhi.deid.text import service
from yizhi.deid.text.schemas import DeidTextIn, DeidTextPublic
from yizhi.errors import N_, ValidationFailed
from yizhi.web.deps import CurrentPerson

router = APIRouter()


@router.post("/text", response_model=DeidTextPublic, response_model_exclude_none=True)
async def deidentify_text(request: Request, person: CurrentPerson) -> dict:
    authorize(person, "deid.text.use")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit():
        service.check_size(int(declared) - 200)  # the JSON envelope may add a little to the note itself
    body = await request.body()
    service.check_size(len(body) - 200)
    try:
        payload = DeidTextIn.model_validate(json.loads(body or b"null"))
    except json.JSONDecodeError as exc:
        raise ValidationFailed(N_("the body is not valid JSON (line %(line)s, column %(column)s)"),
                               params={"line": exc.lineno, "column": exc.colno}) from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "body"
        # (pydantic's own wording of the problem is English; the field names the place)
        raise ValidationFailed(N_("%(field)s: %(problem)s"), params={"field": field, "problem": first["msg"]},
                               field=field) from exc
    # A 1 MB note takes seconds: keep the event loop free for other requests meanwhile.
    result = await run_in_threadpool(service.run, payload.text, payload.lang, payload.policy, payload.patient_id)
    spans = [span.to_dict() for span in result.spans]
    if not payload.keep_span_text:  # no identifier in the response unless asked for (see schemas.DeidTextIn)
        for span in spans:
            del span["text"]
    return {"text": result.text, "lang": result.lang, "policy": result.policy, "spans": spans}
