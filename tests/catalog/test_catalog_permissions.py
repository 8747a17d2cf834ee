"""Who sees and does what, with the fixed cast: the outsider sees only published cards; a company
cannot create or ingest; the commission sees every card; every catalog route refuses the outsider
on the hospital's unpublished objects."""

import re

import pyarrow as pa
import pytest

from catalog_helpers import FULL_CARD, org
from yizhi.catalog.testing import make_version

CARD = {**FULL_CARD, "title": "t", "publisher": "第一医院", "number_of_records": 40, "access_rights": "NON_PUBLIC"}


@pytest.fixture
def versions_of_hospital(db, cast):
    table = pa.table({"patient": [f"p{i}" for i in range(40)], "age": list(range(40, 80))})
    published = make_version(db, org(db, "hospital"), "open-set", {"t": table}, card=CARD)
    draft = make_version(db, org(db, "hospital"), "draft-set", {"t": table}, publish=False, card=CARD)
    db.commit()
    return published, draft


def test_outsider_sees_only_published_cards(api, cast, versions_of_hospital):
    client = api(cast.outsider)
    listed = {d["slug"] for d in client.get("/api/v1/datasets").json()["datasets"]}
    assert listed == {"open-set"}
    assert client.get("/api/v1/datasets/open-set/versions/1").status_code == 200
    assert client.get("/api/v1/datasets/draft-set").status_code == 404
    assert client.get("/api/v1/datasets/draft-set/versions/1").status_code == 404
    shown = client.get("/api/v1/datasets/open-set/versions/1").json()
    assert "quality" not in shown and "sources" not in shown        # details are the owner's
    assert client.post("/api/v1/datasets/open-set/versions/1/withdraw").status_code == 403


def test_commission_sees_every_card_but_does_not_edit(api, cast, versions_of_hospital):
    client = api(cast.admin)
    assert {d["slug"] for d in client.get("/api/v1/datasets").json()["datasets"]} == {"open-set", "draft-set"}
    shown = client.get("/api/v1/datasets/draft-set/versions/1").json()
    assert shown["state"] == "ready" and "quality" in shown
    assert client.patch("/api/v1/datasets/draft-set/versions/1/card",
                        json={"fields": {"description": "x"}}).status_code == 403


def test_company_cannot_create_or_ingest(api, cast, versions_of_hospital):
    client = api(cast.company)
    assert client.post("/api/v1/datasets", json={"slug": "mine", "title": "M", "org": "company"}).status_code == 403
    assert client.post("/api/v1/datasets", json={"slug": "mine", "title": "M"}).status_code == 422  # no fitting org
    assert client.post("/api/v1/datasets/open-set/versions", json={"uploads": []}).status_code == 403
    assert client.patch("/api/v1/datasets/open-set", json={"allow_extracts": True}).status_code == 403


def test_the_hospital_member_ingests_edits_and_publishes(api, cast, versions_of_hospital):
    client = api(cast.colleague)
    assert client.patch("/api/v1/datasets/draft-set", json={"allow_extracts": True}).json()["allow_extracts"] is True
    assert client.patch("/api/v1/datasets/draft-set/versions/1/card",
                        json={"fields": {"spatial_coverage": "上海市"}}).status_code == 200
    published = client.post("/api/v1/datasets/draft-set/versions/1/publish")
    assert published.status_code == 200 and published.json()["state"] == "published"
    assert "X-Ledger-Entries" in published.headers
    assert client.post("/api/v1/datasets/draft-set/versions/1/publish").status_code == 403  # not ready any more


def test_public_pages_and_api_show_only_published_with_small_counts_hidden(web, api, db, cast):
    tiny = make_version(db, org(db, "hospital"), "tiny-set", {"t": pa.table({"patient": ["a", "b", "c"]})},
                        card={**CARD, "number_of_records": 3, "number_of_unique_individuals": 3})
    make_version(db, org(db, "hospital"), "hidden-set", {"t": pa.table({"patient": ["a"]})}, publish=False, card=CARD)
    db.commit()
    anonymous = web()
    page = anonymous.get("/catalog")
    assert page.status_code == 200 and "tiny-set" in page.text and "hidden-set" not in page.text
    card_page = anonymous.get(f"/catalog/tiny-set/{tiny.number}")
    assert card_page.status_code == 200 and "&lt;10" in card_page.text
    assert anonymous.get("/catalog/hidden-set/1").status_code == 404
    assert anonymous.get("/catalog/tiny-set").headers["location"] == "/catalog/tiny-set/1"
    croissant = api().get("/api/v1/datasets/catalog/tiny-set/1/card?format=croissant")
    assert croissant.status_code == 200 and croissant.headers["content-type"].startswith("application/ld+json")
    assert api().get("/api/v1/datasets/catalog/hidden-set/1/card").status_code == 404
    assert api().get("/api/v1/datasets/catalog/tiny-set/1/card?format=pickle").status_code == 422


# bodies that pass validation, so the permission check behind them is what answers
_BODIES = {("POST", "versions"): {"uploads": []}, ("PATCH", "card"): {"fields": {"description": "x"}},
           ("PATCH", "{slug}"): {"title": "x"}}


def _fill(path, values):
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m.group(1), "1"), path)


def test_outsider_is_refused_every_catalog_route_on_the_hospitals_objects(app, api, web, db, cast,
                                                                        versions_of_hospital):
    from yizhi.catalog import uploads
    from yizhi.web.app import iter_api_routes

    import io
    upload = uploads.store_stream(db, org(db, "hospital"), "x.csv", io.BytesIO(b"a\n1\n"), created_by_id=None)
    db.commit()
    values = {"slug": "draft-set", "number": "1", "upload_id": upload.id}
    api_client, page_client = api(cast.outsider), web(cast.outsider)
    checked = 0
    for path, route in iter_api_routes(app.routes):
        if not (path.startswith("/api/v1/datasets/") or path.startswith("/datasets/")) or "{" not in path:
            continue
        if "/catalog/" in path or path.startswith("/datasets/upload"):
            continue
        for method in route.methods - {"HEAD"}:
            url = _fill(path, values)
            if path.startswith("/api/"):
                response = api_client.request(method, url, json=_BODIES.get((method, path.rsplit("/", 1)[-1])),
                                              headers={"Content-Range": "bytes 0-0/1"})
            else:
                response = page_client.request(method, url)
            assert response.status_code in (403, 404), (method, path, response.status_code, response.text[:200])
            checked += 1
    assert checked >= 20
