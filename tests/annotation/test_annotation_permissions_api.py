"""Who sees what: an annotator of another organisation sees nothing (and cannot be named without a
grant), outsiders and the commission get 404, annotators see only items they hold and only in the
browser (a token client gets keys, not content); the JSON API end to end; bad input answered 4xx
with the field named."""

from datetime import timedelta

import pyarrow as pa
import pytest
from annotation_helpers import _org, make_project, person

from yizhi.access import grants
from yizhi.accounts.models import Person
from yizhi.errors import PermissionDenied


def test_outsiders_and_the_commission_see_nothing(api, cast, team, db, notes_version):
    make_project(db, cast)
    for member in (cast.outsider, cast.admin, cast.company, team["foreign"]):
        client = api(member)
        assert client.get("/api/v1/annotation/projects").json() == []
        assert client.get("/api/v1/annotation/projects/notes-labels").status_code == 404
        assert client.post("/api/v1/annotation/projects/notes-labels/next").status_code == 404
        assert client.get("/api/v1/annotation/projects/notes-labels/agreement").status_code == 404
    # an annotator may annotate but not manage
    annotator = api(team["a1"])
    assert annotator.get("/api/v1/annotation/projects/notes-labels").status_code == 200
    assert annotator.get("/api/v1/annotation/projects/notes-labels/agreement").status_code == 403
    assert annotator.post("/api/v1/annotation/projects/notes-labels/export", json={}).status_code == 403
    assert annotator.get("/api/v1/annotation/projects/notes-labels/review").status_code == 403


def test_annotators_of_another_organisation_need_its_grant(db, cast, team, notes_version):
    with pytest.raises(PermissionDenied, match="other-hospital"):
        make_project(db, cast, annotator_orgs=["hospital", "other-hospital"])
    db.rollback()
    grants.create_grant(db, org=_org(db, "other-hospital"), versions={notes_version: None}, days=30,
                        reason="annotation help", actor=db.get(Person, cast.admin.id), administrative=True)
    db.commit()
    project = make_project(db, cast, annotator_orgs=["hospital", "other-hospital"])
    from yizhi.annotation import queue

    assert queue.next_item(db, project, person(db, team["foreign"])) is not None


def test_a_project_under_a_grant_stops_when_the_grant_expires(api, db, cast, team):
    from yizhi.catalog.testing import make_version

    version = make_version(db, _org(db, "other-hospital"), "their-notes",
                           {"notes": pa.table({"patient": ["p"], "text": ["出院小结：病情平稳。"]})})
    grant = grants.create_grant(db, org=_org(db, "hospital"), versions={version: None}, days=30, reason="labels",
                                actor=db.get(Person, cast.admin.id), administrative=True)
    db.commit()
    with pytest.raises(PermissionDenied, match="grant"):
        make_project(db, cast, slug="no-grant", dataset="their-notes@1")
    db.rollback()
    make_project(db, cast, slug="granted", dataset="their-notes@1", grant_id=grant.id)
    client = api(team["a1"])
    assert client.post("/api/v1/annotation/projects/granted/next").json()["assignment_id"]
    grant = db.merge(grant)
    grant.expires_at = grant.expires_at - timedelta(days=31)
    db.commit()
    refused = client.post("/api/v1/annotation/projects/granted/next")
    assert refused.status_code == 403 and "expired" in refused.json()["error"]["message"]


def test_api_end_to_end_and_content_only_in_the_browser(api, web, db, cast, team, notes_version):
    owner = api(cast.owner)
    created = owner.post("/api/v1/annotation/projects", json={
        "slug": "api-notes", "org": "hospital", "dataset": "notes-demo@1", "overlap": 2,
        "schema": "labels:\n  - {name: kind, type: class, classes: [admission, progress, other]}\n",
        "reviewer_people": ["reviewer@hospital.test"]})
    assert created.status_code == 201, created.text
    assert created.json()["progress"]["total"] == 6
    token_client = api(team["a1"])
    held = token_client.post("/api/v1/annotation/projects/api-notes/next").json()
    assert held["item"]["content"] == "shown in the browser only" and "text" not in held["item"]
    browser = web(team["a1"])
    same = browser.request("POST", "/api/v1/annotation/projects/api-notes/next").json()
    assert same["assignment_id"] == held["assignment_id"] and same["item"]["text"]
    assert browser.request("POST", "/api/v1/annotation/projects/api-notes/next").headers["cache-control"] == "no-store"
    bad = token_client.post(f"/api/v1/annotation/projects/api-notes/assignments/{held['assignment_id']}/submit",
                            json={"answer": {"kind": "bogus"}})
    assert bad.status_code == 422 and "kind" in bad.json()["error"]["message"]
    ok = token_client.post(f"/api/v1/annotation/projects/api-notes/assignments/{held['assignment_id']}/submit",
                           json={"answer": {"kind": "other"}, "seconds": 3.5})
    assert ok.status_code == 200 and ok.json()["state"] == "submitted"
    other = api(team["a2"])
    assert other.post(f"/api/v1/annotation/projects/api-notes/assignments/{held['assignment_id']}/submit",
                      json={"answer": {"kind": "other"}}).status_code == 404
    reviewer = api(team["reviewer"])
    queue_ = reviewer.get("/api/v1/annotation/projects/api-notes/review").json()
    assert [r["assignment_id"] for r in queue_] == [held["assignment_id"]]
    done = reviewer.post(f"/api/v1/annotation/projects/api-notes/assignments/{held['assignment_id']}/review",
                         json={"decision": "accept"})
    assert done.json()["review_state"] == "accepted"
    agreement = owner.get("/api/v1/annotation/projects/api-notes/agreement").json()
    assert agreement["items"] == 0 and "kind" in agreement["fields"]


@pytest.mark.parametrize("body, field", [
    ({"slug": "X", "org": "hospital", "dataset": "notes-demo@1", "schema": {"labels": []}}, "slug"),
    ({"slug": "ok-slug", "org": "hospital", "dataset": "notes-demo@1", "schema": {"labels": []}}, "schema"),
    ({"slug": "ok-slug", "org": "hospital", "dataset": "nope", "schema": {"labels": []}}, "SLUG@N"),
    ({"slug": "ok-slug", "org": "hospital", "dataset": "notes-demo@1", "overlap": 99,
      "schema": {"labels": [{"name": "k", "type": "text"}]}}, "overlap"),
    ({"slug": "ok-slug", "org": "hospital", "dataset": "notes-demo@1", "source": {"table": "nope"},
      "schema": {"labels": [{"name": "k", "type": "text"}]}}, "nope"),
])
def test_bad_project_requests_name_the_problem(api, cast, notes_version, body, field):
    response = api(cast.owner).post("/api/v1/annotation/projects", json=body)
    assert response.status_code in (404, 422)
    assert field.lower() in response.text.lower()


def test_the_company_cannot_create_projects_for_the_hospital(api, cast, notes_version):
    response = api(cast.company).post("/api/v1/annotation/projects", json={
        "slug": "stolen", "org": "hospital", "dataset": "notes-demo@1",
        "schema": {"labels": [{"name": "k", "type": "text"}]}})
    assert response.status_code == 403


def test_images_only_for_the_holder_of_the_item(api, web, db, cast, team, ct_version):
    make_project(db, cast, slug="ct-boxes", dataset="ct-demo@1", source={"kind": "dicom"},
                 schema={"labels": [{"name": "nodule", "type": "boxes", "classes": ["nodule"]}]})
    browser = web(team["a1"])
    held = browser.request("POST", "/api/v1/annotation/projects/ct-boxes/next").json()
    url = held["item"]["image"]["url"]
    image = browser.get(url)
    assert image.status_code == 200 and image.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert web(team["a2"]).get(url).status_code == 404            # does not hold it
    assert api(team["a1"]).get(url).status_code == 404            # token client: no content
    assert api(cast.owner).get(url).status_code == 200            # the manager
    assert browser.get(url + "?center=40").status_code == 422
    assert web(cast.outsider).get(url).status_code == 404
