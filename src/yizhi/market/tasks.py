"""Market batch jobs: charging finished Tier B jobs to compute vouchers, and the daily expiries
(certificates past their end, vouchers past theirs giving their balance back)."""

from __future__ import annotations

from yizhi.db import session_scope
from yizhi.jobs.service import JobContext, handler, periodic
from yizhi.market.settings import get_market_settings


@handler("market.meter")
def meter(ctx: JobContext) -> dict:
    from yizhi.market.metering import charge_finished_jobs

    return charge_finished_jobs(limit=int(ctx.params.get("limit", 500)))


@handler("market.expire")
def expire(ctx: JobContext) -> dict:
    from yizhi.market import certification, vouchers

    with session_scope() as session:
        certificates = certification.expire_due(session)
    with session_scope() as session:
        expired = vouchers.expire_due(session)
    return {"certificates_expired": certificates, "vouchers_expired": expired}


periodic("market.meter", lambda: get_market_settings().meter_seconds)
periodic("market.expire", lambda: 3600)
