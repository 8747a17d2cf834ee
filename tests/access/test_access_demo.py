"""The demo: nothing without a published version; with one, a granted request of mediai, one in
review and a closed use on the register — and running it again creates nothing."""

from access_helpers import labs_table

from yizhi.access import demo, register
from yizhi.access.request_models import AccessRequest
from yizhi.accounts.models import Organization, Person
from yizhi.catalog.testing import make_version
from yizhi.demo import seed_demo


def _cast(db):
    orgs = {o.slug: o for o in db.query(Organization)}
    people = {p.email: p for p in db.query(Person)}
    return orgs, people


def test_the_demo_seeds_a_granted_request_one_in_review_and_register_entries(db):
    seed_demo()
    orgs, people = _cast(db)
    assert demo.seed(db, orgs, people) == 0          # no published version yet: nothing
    make_version(db, orgs["first-hospital"], "demo-emr", {"labs": labs_table()})
    assert demo.seed(db, orgs, people) == 4          # settings + three requests
    db.commit()
    states = {r.organization.slug: r.state.value for r in db.query(AccessRequest)}
    assert states == {"mediai": "granted", "med-university": "in_review", "cardio-ai": "closed"}
    entries = register.register_entries(db)
    assert {e["organisation_slug"]: e["state"] for e in entries} == {"mediai": "active", "cardio-ai": "closed"}
    assert register.check_register_against_ledger(db) == []
    assert demo.seed(db, *_cast(db)) == 0             # idempotent
