"""Reports signed with the platform's ledger key (a C2SP signed note over the report's SHA-256).

The note's body names the submission and the SHA-256 of the report's canonical JSON (RFC 8785), so
anyone with the platform's public key (``/api/v1/ledger``) can check a downloaded report offline.
"""

from __future__ import annotations

import hashlib

import rfc8785
from sqlalchemy.orm import Session

from yizhi.ledger.note import NoteError, sign_note, split_note, verify_note


def report_sha256(report: dict) -> str:
    return hashlib.sha256(rfc8785.dumps(report)).hexdigest()


def _signer(session: Session):
    from yizhi.ledger.service import _signer_for
    from yizhi.ledger.store import default_origin, read_head

    head = read_head(session)
    return _signer_for(head.origin if head else default_origin())


def sign_report(session: Session, submission_id: int, digest: str) -> str:
    body = f"yizhi evaluation report\nsubmission {submission_id}\nsha256 {digest}\n"
    return sign_note(body, _signer(session))


def verify_report(session: Session, note: str, report: dict) -> bool:
    from yizhi.ledger.service import platform_verifier

    try:
        body, _ = verify_note(note, [platform_verifier(session)])
    except NoteError:
        return False
    return f"sha256 {report_sha256(report)}\n" in body


__all__ = ["report_sha256", "sign_report", "split_note", "verify_report"]
