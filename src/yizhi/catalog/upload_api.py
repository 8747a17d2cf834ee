"""Resumable uploads into the raw store, under /api/v1/datasets/uploads.

``POST /uploads`` {name, size, [sha256], [org]} → {id, offset: 0};
``PUT /uploads/{id}`` with ``Content-Range: bytes START-END/TOTAL`` and the chunk as the body;
``GET /uploads/{id}`` → {offset} to resume from after a dropped connection;
``POST /uploads/{id}/complete`` checks the size and sha256 and stores the file.
A chunk is written whole or not at all: it is received (spooled, bounded) before it is appended.
"""

from __future__ import annotations

import tempfile

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from yizhi.accounts.permissions import authorize
from yizhi.catalog import uploads
from yizhi.catalog.models import Upload
from yizhi.catalog.schemas import UploadPublic, UploadStart
from yizhi.errors import N_, PayloadTooLarge, ValidationFailed
from yizhi.web.deps import CurrentPerson, DbSession

router = APIRouter(prefix="/uploads")
SPOOL_IN_MEMORY = 1 << 20


def upload_out(upload: Upload) -> UploadPublic:
    return UploadPublic(id=upload.id, name=upload.name, size=upload.size, offset=uploads.received_bytes(upload),
                        state=upload.state.value, sha256=upload.sha256)


@router.post("", status_code=201)
def start(body: UploadStart, db: DbSession, person: CurrentPerson) -> UploadPublic:
    from yizhi.catalog.api import acting_org

    org = acting_org(db, person, body.org)
    authorize(person, "catalog.upload", org)
    upload = uploads.start_upload(db, org, body.name, body.size, created_by_id=person.id,
                                  expected_sha256=body.sha256)
    db.commit()
    return upload_out(upload)


@router.get("/{upload_id}")
def status(upload_id: str, db: DbSession, person: CurrentPerson) -> UploadPublic:
    upload = uploads.get_upload(db, upload_id)
    authorize(person, "catalog.raw", upload)
    return upload_out(upload)


async def _received_chunk(request: Request):
    """The chunk, spooled (bounded) before anything is appended. Read here, in an async dependency
    without a database session, so that the route stays a plain ``def`` whose database work runs in
    the thread pool; the person is resolved before it, so anonymous bodies are never read."""
    declared = request.headers.get("content-length")
    limit = uploads.max_chunk_bytes()
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(N_("a chunk may carry at most %(max)d bytes"), params={"max": limit})
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
        size = 0
        try:
            async for piece in request.stream():
                size += len(piece)
                if size > limit:
                    raise PayloadTooLarge(N_("a chunk may carry at most %(max)d bytes"), params={"max": limit})
                await run_in_threadpool(spool.write, piece)
        except ClientDisconnect:
            raise ValidationFailed(N_("the connection dropped before the chunk was complete; ask for the offset "
                                      "and send it again"), field="body") from None
        spool.seek(0)
        yield spool, size


ReceivedChunk = Annotated[tuple, Depends(_received_chunk)]


# the dependency enforces the configured chunk limit; the route admits the setting's upper bound
@router.put("/{upload_id}", max_body_size=1024 * 1024**2 + 64 * 1024)
def put_chunk(upload_id: str, request: Request, db: DbSession, person: CurrentPerson, chunk: ReceivedChunk) -> UploadPublic:
    upload = uploads.get_upload(db, upload_id)
    authorize(person, "catalog.raw", upload)
    spool, size = chunk
    # checked after the upload is found and the person may write to it: strangers learn nothing
    start_at, _end, total = uploads.parse_content_range(request.headers.get("content-range"), size)
    _write(db, upload, start_at, total, spool)
    return upload_out(upload)


def _write(db, upload: Upload, start_at: int, total: int, spool) -> None:
    uploads.write_chunk(db, upload, start_at, total, iter(lambda: spool.read(uploads.CHUNK), b""))
    db.commit()


@router.post("/{upload_id}/complete")
def complete(upload_id: str, db: DbSession, person: CurrentPerson) -> UploadPublic:
    upload = uploads.get_upload(db, upload_id)
    authorize(person, "catalog.raw", upload)
    try:
        uploads.complete_upload(db, upload)
    finally:
        db.commit()   # a failed sha256 check resets the upload; that must stick
    return upload_out(upload)


@router.get("/{upload_id}/raw")
def raw(upload_id: str, db: DbSession, person: CurrentPerson) -> FileResponse:
    """The raw file, for the organisation that uploaded it (and nobody else)."""
    upload = uploads.get_upload(db, upload_id)
    authorize(person, "catalog.raw", upload)
    path = uploads.raw_path(upload)
    return FileResponse(path, filename=upload.name, media_type="application/octet-stream")

