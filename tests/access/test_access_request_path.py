"""The whole path through the API: apply → submit → prescreen → review step → decide → grant →
use → close with a report; the second company sees nothing of the first's request."""

from access_helpers import apply, person, walk_to_grant

from yizhi.access import grants


def test_a_request_walks_to_a_grant_that_allows_exactly_what_was_asked(api, cast, db, dataset):
    walked = walk_to_grant(api, cast, dataset)
    shown = walked.company.get(f"/api/v1/access/requests/{walked.request_id}").json()
    assert shown["state"] == "granted" and shown["grant_id"] == walked.grant_id
    assert [h["to"] for h in shown["history"]] == ["draft", "submitted", "in_review", "approved", "granted"]
    grant = walked.company.get(f"/api/v1/access/grants/{walked.grant_id}").json()
    assert {k: grant[k] for k in ("id", "org", "datasets", "mode", "state")} == {
        "id": walked.grant_id, "org": "company", "datasets": [dataset], "mode": "space", "state": "active"}
    assert grant["columns"] == {dataset: {"labs": ["patient", "hba1c", "age"]}}
    _grant, entry = grants.require_use(db, person(db, cast.company), walked.grant_id, dataset)
    assert grants.allowed_columns(entry, "labs") == ["patient", "hba1c", "age"]   # the table's order


def test_the_second_company_sees_nothing_of_the_first(api, cast, dataset, second_company):
    walked = walk_to_grant(api, cast, dataset)
    other = api(second_company)
    for url in (f"/api/v1/access/requests/{walked.request_id}", f"/api/v1/access/grants/{walked.grant_id}"):
        response = other.get(url)
        assert response.status_code == 404, (url, response.text)
        assert "HbA1c" not in response.text
    assert other.get("/api/v1/access/requests").json() == []
    assert other.get("/api/v1/access/grants").json() == []
    for action in ("submit", "withdraw"):
        assert other.post(f"/api/v1/access/requests/{walked.request_id}/{action}").status_code == 404
    assert other.post(f"/api/v1/access/requests/{walked.request_id}/messages",
                      json={"body": "hello"}).status_code == 404
    # its own request for the same data is its own business: the first company does not see it
    own = apply(other, dataset, title="Another project")
    assert walked.company.get(f"/api/v1/access/requests/{own}").status_code == 404


def test_drafts_are_the_applicants_own(api, cast, dataset):
    request_id = apply(api(cast.company), dataset)
    assert api(cast.owner).get(f"/api/v1/access/requests/{request_id}").status_code == 404
    assert api(cast.admin).get(f"/api/v1/access/requests/{request_id}").status_code == 404
    api(cast.company).post(f"/api/v1/access/requests/{request_id}/submit")
    assert api(cast.owner).get(f"/api/v1/access/requests/{request_id}").status_code == 200
    assert api(cast.outsider).get(f"/api/v1/access/requests/{request_id}").status_code == 404
