"""Batch jobs of the needs domain.

``needs.import``  — import an uploaded .jsonl/.csv of needs or solutions (the web twin of
                    `yizhi needs import` / `yizhi solutions import`): all records or none.
``needs.reembed`` — store fresh embeddings for rows written by another encoder (after an upgrade),
                    so processes stop re-encoding them in memory at start-up.
"""

from __future__ import annotations

from sqlalchemy import or_, select

from yizhi import storage
from yizhi.db import session_scope
from yizhi.errors import N_, ValidationFailed
from yizhi.jobs.service import JobContext, handler
from yizhi.needs import service
from yizhi.needs.index import need_document, solution_document, vector_to_bytes
from yizhi.needs.matching.dense import default_encoder
from yizhi.needs.models import Need, Solution


class _Rollback(Exception):
    pass


@handler("needs.import")
def import_upload(ctx: JobContext) -> dict:
    side, digest, suffix = ctx.params["side"], ctx.params["file"], ctx.params["suffix"]
    path = storage.path_for(digest)

    def progress(done: int, total: int) -> None:
        ctx.progress(0.1 + 0.8 * done / max(total, 1), f"{done}/{total}")

    report = None
    name = str(ctx.params.get("filename") or "upload" + suffix)[:200]
    try:
        with session_scope() as session:
            if side == "need":
                report = service.import_needs(session, path, ctx.params["org"], progress=progress, suffix=suffix,
                                              name=name)
            else:
                report = service.import_solutions(session, path, ctx.params["org"], progress=progress,
                                                  suffix=suffix, name=name)
            if report.problems:
                raise _Rollback
    except _Rollback:
        # Every bad line, each in the reader's language on the job page; a retry would fail the same way.
        raise ValidationFailed(N_("%(file)s: %(count)s problem(s) found; nothing was imported"),
                               params={"file": name, "count": len(report.problems)},
                               problems=[p.as_problem() for p in report.problems[:service.MAX_IMPORT_PROBLEMS]]) from None
    return {"imported": report.imported, "updated": report.updated,
            "suggested_categories": report.suggested_categories, "ids": report.ids}


@handler("needs.reembed")
def reembed(ctx: JobContext) -> dict:
    encoder = default_encoder()
    updated = 0
    for model, to_document in ((Need, need_document), (Solution, solution_document)):
        with session_scope() as session:
            stale = list(session.scalars(select(model).where(
                or_(model.embedding.is_(None), model.embedding_model != encoder.name))))
            for start in range(0, len(stale), 64):
                chunk = stale[start : start + 64]
                vectors = encoder.encode([to_document(row).dense_text() for row in chunk])
                for row, vector in zip(chunk, vectors, strict=True):
                    row.embedding, row.embedding_model = vector_to_bytes(vector), encoder.name
                updated += len(chunk)
    ctx.progress(1.0, f"{updated} rows")
    return {"reembedded": updated}
