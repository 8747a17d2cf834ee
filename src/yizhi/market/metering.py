"""Compute vouchers pay for metered Tier B jobs.

Each finished (not dummy) Tier B job's metering — CPU-seconds, peak memory, wall time, measured by
the sandbox's supervisor (:mod:`yizhi.space.jobs_runner`) — is priced at the platform's rates
(``YIZHI_MARKET_CPU_HOUR_YUAN``, ``YIZHI_MARKET_GIB_HOUR_YUAN``) and charged once (a unique row per
job) to the job organisation's usable compute vouchers: those bound to the job's grant first, then
the others, the soonest to end first; a programme that names purposes pays only for grants with
one of them. What vouchers cannot cover stays the organisation's own (recorded as uncovered).
"""

from __future__ import annotations

import logging

from sqlalchemy import exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yizhi.db import session_scope, utcnow
from yizhi.market import vouchers as voucher_rules
from yizhi.market.money import compute_cost
from yizhi.market.settings import get_market_settings
from yizhi.market.voucher_models import ComputeCharge, Voucher, VoucherKind, VoucherProgramme, VoucherState
from yizhi.space.jobs_models import SpaceJob, SpaceJobState

log = logging.getLogger(__name__)
FINISHED = (SpaceJobState.succeeded, SpaceJobState.failed)


def uncharged_jobs(session: Session, limit: int = 200) -> list[int]:
    charged = exists().where(ComputeCharge.space_job_id == SpaceJob.id)
    return list(session.scalars(select(SpaceJob.id).where(
        SpaceJob.state.in_(FINISHED), SpaceJob.dummy.is_(False), SpaceJob.finished_at.is_not(None), ~charged)
        .order_by(SpaceJob.id).limit(limit)))


def paying_vouchers(session: Session, job: SpaceJob) -> list[Voucher]:
    today = utcnow().date()
    rows = session.scalars(select(Voucher).join(VoucherProgramme, VoucherProgramme.id == Voucher.programme_id).where(
        Voucher.organization_id == job.organization_id, Voucher.state == VoucherState.active,
        Voucher.valid_until >= today, Voucher.balance_fen > 0, VoucherProgramme.kind == VoucherKind.compute,
        or_(Voucher.grant_id.is_(None), Voucher.grant_id == job.grant_id)))
    purpose = job.grant.purpose
    allowed = [v for v in rows if not v.programme.purposes or purpose in v.programme.purposes]
    return sorted(allowed, key=lambda v: (v.grant_id is None, v.valid_until, v.id))


def charge_job(session: Session, job: SpaceJob) -> ComputeCharge:
    """Price the job and debit vouchers for it (the caller commits; a second charge of the same job
    fails on the unique row and is rolled back by the caller)."""
    cost = compute_cost(job.cpu_seconds, job.peak_memory_bytes, job.wall_seconds, get_market_settings().rates)
    charge = ComputeCharge(space_job_id=job.id, organization_id=job.organization_id, grant_id=job.grant_id,
                           cpu_seconds=job.cpu_seconds, peak_memory_bytes=job.peak_memory_bytes,
                           wall_seconds=job.wall_seconds, cost_fen=cost, covered_fen=0)
    session.add(charge)
    session.flush()  # claims the job before any money moves
    owed = cost
    for voucher in paying_vouchers(session, job) if owed else []:
        txn = voucher_rules.debit(session, voucher, owed, payee_account=voucher_rules.COMPUTE_ACCOUNT,
                                  purpose="tier_b_compute", reference=f"space_job:{job.id}", partial=True,
                                  memo=f"grant:{job.grant_id}", actor="system")
        paid = txn.amount_fen if txn is not None else 0
        charge.covered_fen += paid
        owed -= paid
        if owed == 0:
            break
    session.flush()
    return charge


def charge_finished_jobs(limit: int = 200) -> dict:
    """Charge every finished job not charged yet, one transaction per job (a failure stops nothing else)."""
    with session_scope() as session:
        pending = uncharged_jobs(session, limit)
    charged, covered, failed = 0, 0, 0
    for job_id in pending:
        try:
            with session_scope() as session:
                job = session.get(SpaceJob, job_id)
                charge = charge_job(session, job)
                charged, covered = charged + 1, covered + charge.covered_fen
        except IntegrityError:
            continue  # another worker charged it first
        except Exception:  # noqa: BLE001 — one job's problem must not block the others; it is retried next time
            log.exception("charging Tier B job %s to compute vouchers failed; retried on the next run", job_id)
            failed += 1
    return {"charged": charged, "covered_fen": covered, "failed": failed}
