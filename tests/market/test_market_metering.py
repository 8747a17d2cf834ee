"""Compute vouchers pay for metered Tier B jobs: priced at the platform's rates, charged once per
job, grant-bound vouchers first, a programme's purposes respected, what vouchers cannot cover left
uncovered. The jobs here are Tier B job rows as the sandbox's runner leaves them (state, CPU-seconds,
peak memory, wall time); the sandbox itself is tested by the space domain."""

from __future__ import annotations

from datetime import date, timedelta

from test_market_vouchers import granted, issue, programme

from yizhi.db import utcnow


def finished_job(db, grant, cpu=3600.0, memory=2 * 1024**3, wall=1800.0, dummy=False, state="succeeded") -> int:
    from yizhi.space.jobs_models import SpaceJob

    job = SpaceJob(grant_id=grant.id, version_id=grant.datasets[0].version_id, organization_id=grant.organization_id,
                   project_digest="0" * 64, dummy=dummy, state=state, cpu_seconds=cpu, peak_memory_bytes=memory,
                   wall_seconds=wall, finished_at=utcnow())
    db.add(job)
    db.commit()
    return job.id


def test_price_is_cpu_hours_and_gib_hours_rounded_up():
    from yizhi.market.money import compute_cost

    rates = {"cpu_hour": "0.50", "gib_hour": "0.10"}
    assert compute_cost(3600, 2 * 1024**3, 1800, rates) == 60      # ¥0.50 + 2 GiB × 0.5 h × ¥0.10 = ¥0.60
    assert compute_cost(1, 0, 1, rates) == 1                        # a fraction of a fen is a fen
    assert compute_cost(0, 0, 0, rates) == 0


def test_finished_jobs_are_charged_once_to_the_right_vouchers(db, cast):
    from yizhi.market.metering import charge_finished_jobs
    from yizhi.market.statements import verify_books
    from yizhi.market.voucher_models import ComputeCharge, VoucherTransaction

    grant = granted(db)
    other_grant = granted(db)
    compute = programme(db, kind="compute", budget="100")
    general = issue(db, compute, amount="0.50")
    bound = issue(db, compute, amount="0.20", grant_id=grant.id)
    job = finished_job(db, grant)                               # costs 60 fen
    finished_job(db, grant, dummy=True)                         # dummy-data runs are free
    finished_job(db, other_grant, cpu=36.0, memory=0, wall=10)  # 1 fen, from the general voucher
    first = charge_finished_jobs()
    assert first == {"charged": 2, "covered_fen": 61, "failed": 0}
    assert charge_finished_jobs()["charged"] == 0, "a job is charged once"
    db.expire_all()
    assert bound.balance_fen == 0 and general.balance_fen == 50 - 40 - 1
    charge = db.query(ComputeCharge).filter_by(space_job_id=job).one()
    assert (charge.cost_fen, charge.covered_fen) == (60, 60)
    spends = db.query(VoucherTransaction).filter_by(reference=f"space_job:{job}").order_by(VoucherTransaction.id).all()
    assert [(t.voucher_id, t.amount_fen) for t in spends] == [(bound.id, 20), (general.id, 40)]
    assert verify_books(db) == []


def test_what_vouchers_cannot_cover_stays_uncovered(db, cast):
    from yizhi.market.metering import charge_finished_jobs
    from yizhi.market.voucher_models import ComputeCharge

    grant = granted(db)
    issue(db, programme(db, kind="compute", budget="100"), amount="0.25")
    job = finished_job(db, grant)
    charge_finished_jobs()
    charge = db.query(ComputeCharge).filter_by(space_job_id=job).one()
    assert (charge.cost_fen, charge.covered_fen) == (60, 25)


def test_programme_purposes_expired_and_data_vouchers_do_not_pay(db, cast):
    from yizhi.market.metering import charge_finished_jobs

    grant = granted(db, purpose="scientific_research")
    compute = programme(db, kind="compute", budget="100", purposes=["product_development"])
    issue(db, compute, amount="1")
    late = issue(db, programme(db, kind="compute", budget="100", slug="compute-old"), amount="1")
    late.valid_until = date.today() - timedelta(days=1)
    issue(db, programme(db, kind="data", budget="100"), amount="1")
    db.commit()
    finished_job(db, grant)
    assert charge_finished_jobs() == {"charged": 1, "covered_fen": 0, "failed": 0}
