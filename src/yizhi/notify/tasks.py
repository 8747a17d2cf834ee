"""Job ``notify.email``: send one prepared e-mail (retried on SMTP failures like every job)."""

from __future__ import annotations

from yizhi.errors import N_, ValidationFailed
from yizhi.jobs.service import JobContext, handler
from yizhi.notify.mail import JOB_KIND, build_message, deliver


@handler(JOB_KIND)
def send_email(ctx: JobContext) -> dict:
    params = ctx.params
    if not all(isinstance(params.get(k), str) and params.get(k) for k in ("to", "subject", "body")):
        raise ValidationFailed(N_("an e-mail job needs to, subject and body"))
    where = deliver(build_message(params["to"], params["subject"], params["body"]))
    ctx.progress(1.0, "sent")
    return {"delivered": where}
