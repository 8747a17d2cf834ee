"""Uploads and the raw store: files are kept (sha256, content-addressed) before anything reads them.

Two ways in: a whole stream (the page's form, the CLI) or a **resumable upload** in chunks
(``start`` → ``write_chunk`` at the offset the server reports → ``complete``), which survives a
dropped connection: the partial bytes on disk are the truth about where to resume.
Each stored file is owned by the organisation that uploaded it; only its members may read it.
A periodic job purges files past the retention period that no building version still needs.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from yizhi import storage
from yizhi.accounts.models import Organization
from yizhi.catalog.models import DatasetVersion, Upload, UploadState, VersionState
from yizhi.catalog.settings import catalog_settings
from yizhi.catalog.store import uploads_root
from yizhi.db import utcnow
from yizhi.errors import N_, Conflict, NotFound, PayloadTooLarge, ValidationFailed

CHUNK = 1 << 20
_BAD_NAME = re.compile(r"[\x00-\x1f/\\]")


def max_upload_bytes() -> int:
    return int(catalog_settings().upload_max_gb * 1024**3)


def max_chunk_bytes() -> int:
    return catalog_settings().upload_chunk_max_mb * 1024**2


def clean_name(name: str) -> str:
    """An uploaded file's name as the profile will refer to it: a plain base name."""
    text = (name or "").strip()
    if not text or text in (".", "..") or _BAD_NAME.search(text) or len(text) > 255:
        raise ValidationFailed(N_("%(name)s is not a usable file name (no folders, control characters "
                                  "or more than 255 characters)"), params={"name": text[:80]}, field="name")
    return text


def part_path(upload: Upload) -> Path:
    return uploads_root() / f"{upload.id}.part"


def get_upload(session: Session, upload_id: str) -> Upload:
    upload = session.get(Upload, upload_id) if re.fullmatch(r"[0-9a-f]{32}", upload_id or "") else None
    if upload is None:
        raise NotFound(N_("no upload %(id)s"), params={"id": (upload_id or "")[:40]})
    return upload


def start_upload(session: Session, org: Organization, name: str, size: int, *, created_by_id: int | None,
                 expected_sha256: str | None = None) -> Upload:
    name = clean_name(name)
    if size < 0:
        raise ValidationFailed(N_("size must be zero or more bytes"), field="size")
    if size > max_upload_bytes():
        raise PayloadTooLarge(N_("%(name)s is %(size)d bytes; uploads are limited to %(max)d bytes"),
                              params={"name": name, "size": size, "max": max_upload_bytes()})
    if expected_sha256 is not None and not re.fullmatch(r"[0-9a-f]{64}", expected_sha256):
        raise ValidationFailed(N_("sha256 must be 64 lower-case hex digits"), field="sha256")
    upload = Upload(id=secrets.token_hex(16), organization_id=org.id, created_by_id=created_by_id, name=name,
                    size=size, received=0, expected_sha256=expected_sha256, state=UploadState.receiving)
    session.add(upload)
    session.flush()
    part_path(upload).touch()
    return upload


def received_bytes(upload: Upload) -> int:
    """Where to resume: the bytes actually on disk (a broken request may have written part of a chunk)."""
    if upload.state != UploadState.receiving:
        return upload.size
    path = part_path(upload)
    return path.stat().st_size if path.exists() else 0


def parse_content_range(header: str | None, body_length: int | None) -> tuple[int, int | None, int]:
    """``bytes START-END/TOTAL`` → (start, end or None, total); ValidationFailed saying the form."""
    match = re.fullmatch(r"\s*bytes\s+(\d{1,15})-(\d{1,15})/(\d{1,15})\s*", header or "")
    if not match:
        raise ValidationFailed(N_("send a Content-Range header of the form 'bytes START-END/TOTAL'"),
                               field="Content-Range")
    start, end, total = (int(g) for g in match.groups())
    if end < start or end >= total:
        raise ValidationFailed(N_("Content-Range %(range)s is not a range inside the file"),
                               params={"range": header.strip()}, field="Content-Range")
    if body_length is not None and body_length != end - start + 1:
        raise ValidationFailed(N_("Content-Range says %(expected)d bytes but the body has %(actual)d"),
                               params={"expected": end - start + 1, "actual": body_length}, field="Content-Range")
    return start, end, total


def write_chunk(session: Session, upload: Upload, start: int, total: int, chunks: Iterable[bytes]) -> int:
    """Append the bytes of ``chunks`` at ``start`` (which must be where the upload stands)."""
    if upload.state != UploadState.receiving:
        raise Conflict(N_("upload %(id)s is already complete"), params={"id": upload.id})
    if total != upload.size:
        raise ValidationFailed(N_("Content-Range total %(total)d differs from the upload's size %(size)d"),
                               params={"total": total, "size": upload.size}, field="Content-Range")
    offset = received_bytes(upload)
    if start != offset:
        raise Conflict(N_("this upload continues at byte %(offset)d, not %(start)d; ask for the offset and resume there"),
                       params={"offset": offset, "start": start})
    limit = max_chunk_bytes()
    written = 0
    try:
        with part_path(upload).open("r+b") as out:
            out.seek(offset)
            for piece in chunks:
                written += len(piece)
                if written > limit:
                    raise PayloadTooLarge(N_("a chunk may carry at most %(max)d bytes"), params={"max": limit})
                if offset + written > upload.size:
                    raise ValidationFailed(N_("more bytes than the upload's size %(size)d"),
                                           params={"size": upload.size}, field="body")
                out.write(piece)
            out.flush()
            os.fsync(out.fileno())
    except (PayloadTooLarge, ValidationFailed):
        _truncate(upload, offset)   # a refused chunk leaves nothing behind
        raise
    finally:
        upload.received = received_bytes(upload)
        upload.updated_at = utcnow()
    return upload.received


def _truncate(upload: Upload, size: int) -> None:
    with part_path(upload).open("r+b") as handle:
        handle.truncate(size)


def complete_upload(session: Session, upload: Upload) -> Upload:
    """Check the size and sha256, then move the bytes into the raw store (atomically)."""
    if upload.state == UploadState.stored:
        return upload
    if upload.state != UploadState.receiving:
        raise Conflict(N_("upload %(id)s was purged; upload the file again"), params={"id": upload.id})
    have = received_bytes(upload)
    if have != upload.size:
        raise Conflict(N_("upload %(id)s has %(have)d of %(size)d bytes; send the rest first"),
                       params={"id": upload.id, "have": have, "size": upload.size})
    path = part_path(upload)
    digest = _sha256_of(path)
    if upload.expected_sha256 and digest != upload.expected_sha256:
        _truncate(upload, 0)
        upload.received = 0
        raise ValidationFailed(N_("the bytes received have sha256 %(actual)s, not %(expected)s; the upload was "
                                  "reset, send it again"), params={"actual": digest, "expected": upload.expected_sha256},
                               field="sha256")
    target = storage.path_for(digest)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, target)
    _mark_stored(upload, digest)
    return upload


def _sha256_of(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            hasher.update(block)
    return hasher.hexdigest()


def _mark_stored(upload: Upload, digest: str) -> None:
    upload.sha256 = digest
    upload.received = upload.size
    upload.state = UploadState.stored
    upload.stored_at = upload.updated_at = utcnow()


def store_stream(session: Session, org: Organization, name: str, stream: BinaryIO, *,
                 created_by_id: int | None) -> Upload:
    """Store a whole stream (form upload, CLI file) in the raw store; returns its Upload record."""
    name = clean_name(name)
    digest, size = storage.put_stream(stream, max_bytes=max_upload_bytes())
    upload = Upload(id=secrets.token_hex(16), organization_id=org.id, created_by_id=created_by_id, name=name,
                    size=size)
    session.add(upload)
    _mark_stored(upload, digest)
    session.flush()
    return upload


def raw_path(upload: Upload) -> Path:
    """Where a stored upload's bytes are; NotFound when they were purged."""
    if upload.state != UploadState.stored or not upload.sha256:
        raise NotFound(N_("the raw file %(name)s is no longer in the raw store (purged after the retention "
                          "period); upload it again"), params={"name": upload.name})
    path = storage.path_for(upload.sha256)
    if not path.exists():
        raise NotFound(N_("the raw file %(name)s is no longer in the raw store (purged after the retention "
                          "period); upload it again"), params={"name": upload.name})
    return path


def stored_uploads(session: Session, org_id: int, upload_ids: list[str]) -> list[Upload]:
    """The organisation's stored uploads named by id; refuses others' and unfinished ones by id."""
    found = []
    for upload_id in upload_ids:
        upload = get_upload(session, upload_id)
        if upload.organization_id != org_id:
            raise NotFound(N_("no upload %(id)s"), params={"id": upload_id})
        if upload.state != UploadState.stored:
            raise Conflict(N_("upload %(name)s is not complete yet"), params={"name": upload.name})
        found.append(upload)
    return found


# ----- retention ---------------------------------------------------------------------------------
def digests_in_use(session: Session) -> set[str]:
    """Raw files a version that is still building reads."""
    building = session.scalars(select(DatasetVersion).where(DatasetVersion.state == VersionState.building))
    return {s.get("sha256") for v in building for s in (v.sources or [])}


def purge_expired(session: Session) -> dict:
    """Remove raw files past the retention period (unless a building version needs them) and
    partial uploads left unfinished; records stay, marked purged."""
    settings = catalog_settings()
    now = utcnow()
    keep = digests_in_use(session)
    due = session.scalars(select(Upload).where(
        Upload.state == UploadState.stored, Upload.stored_at < now - timedelta(days=settings.raw_retention_days)))
    purged = kept = 0
    for upload in due:
        if upload.sha256 in keep:
            kept += 1
            continue
        _purge(session, upload, now)
        purged += 1
    stale = session.scalars(select(Upload).where(
        Upload.state == UploadState.receiving, Upload.updated_at < now - timedelta(days=settings.upload_stale_days)))
    abandoned = 0
    for upload in stale:
        part_path(upload).unlink(missing_ok=True)
        upload.state, upload.purged_at = UploadState.purged, now
        abandoned += 1
    session.flush()
    return {"purged": purged, "kept_for_builds": kept, "abandoned_partials": abandoned}


def _purge(session: Session, upload: Upload, now) -> None:
    upload.state, upload.purged_at = UploadState.purged, now
    session.flush()
    # The store is content-addressed: another live record of the same bytes keeps the file.
    still_used = session.scalar(select(Upload.id).where(
        Upload.sha256 == upload.sha256, Upload.state == UploadState.stored).limit(1))
    if still_used is None:
        storage.path_for(upload.sha256).unlink(missing_ok=True)
