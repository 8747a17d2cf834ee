"""Bad input gets a clear error saying what and where (in the reader's language), never a 5xx,
and nothing half-written."""

import io

from access_helpers import PDF, apply, labs_table, org, request_body

from yizhi.access.request_models import AccessRequest
from yizhi.catalog.testing import make_version


BAD_REQUESTS = [
    ({"datasets": []}, "at least one dataset version"),
    ({"datasets": ["not a ref"]}, "SLUG@N"),
    ({"datasets": ["nope@1"]}, "no dataset version"),
    ({"columns": {"labs": ["hba1c", "ghost"]}}, "no column(s) ghost"),
    ({"columns": {"phantom": ["x"]}}, "no requested dataset version has a table phantom"),
    ({"columns": {"labs": []}}, "name the columns you need of table labs"),
    ({"columns": {}, "reasons": {}}, "say what you need of dm-emr@1"),
    ({"reasons": {"visits": "why"}}, "which is not requested"),
    ({"team": ["outsider@other.test"]}, "is not a member of company"),
    ({"team": ["nobody@nowhere.test"]}, "is not a member of company"),
    ({"kind": "statistics", "mode": "extract"}, "mode must be space"),
    ({"series": {"dm-emr@1": ["1.2.3", "abc"]}}, "abc is not a DICOM UID"),
    ({"series": {"other@1": ["1.2.3"]}}, "not among the requested datasets"),
    ({"purpose": "marketing"}, "purpose"),
    ({"duration_days": 0}, "duration_days"),
    ({"title": "x" * 301}, "title"),
    ({"unknown_field": 1}, "unknown_field"),
]


def test_a_bad_request_is_refused_with_what_and_where(api, cast, db, dataset):
    company = api(cast.company)
    for change, expected in BAD_REQUESTS:
        response = company.post("/api/v1/access/requests", json=request_body(dataset, **change))
        assert response.status_code == 422, (change, response.text)
        assert expected in response.json()["error"]["message"], change
    assert db.query(AccessRequest).count() == 0


def test_errors_speak_chinese_when_asked(api, cast, dataset):
    answer = api(cast.company).post("/api/v1/access/requests?lang=zh",
                                    json=request_body(dataset, columns={"labs": ["ghost"]}))
    assert answer.json()["error"]["message"] == "表 labs 没有列 ghost"


def test_versions_of_two_holders_and_unpublished_versions_are_refused(api, cast, db, dataset):
    make_version(db, org(db, "other-hospital"), "other-emr", {"labs": labs_table()})
    make_version(db, org(db, "hospital"), "draft-set", {"labs": labs_table()}, publish=False)
    db.commit()
    company = api(cast.company)
    two = company.post("/api/v1/access/requests", json=request_body(dataset, datasets=[dataset, "other-emr@1"]))
    assert two.status_code == 422 and "one data holder" in two.json()["error"]["message"]
    hidden = company.post("/api/v1/access/requests", json=request_body("draft-set@1"))
    assert hidden.status_code == 422 and "not published" in hidden.json()["error"]["message"]
    own = api(cast.owner).post("/api/v1/access/requests", json=request_body(dataset))
    assert own.status_code == 422 and "needs no access request" in own.json()["error"]["message"]
    assert db.query(AccessRequest).count() == 0


def test_an_incomplete_request_names_what_is_missing_in_the_readers_language(api, cast, dataset):
    company = api(cast.company)
    created = company.post("/api/v1/access/requests", json=request_body(
        dataset, legal_basis="", reasons={}, outputs="")).json()
    refused = company.post(f"/api/v1/access/requests/{created['id']}/submit")
    assert refused.status_code == 422
    message = refused.json()["error"]["message"]
    for missing in ("legal basis", "ethics approval file", "intended outputs", "a reason for each requested table"):
        assert missing in message
    zh = company.post(f"/api/v1/access/requests/{created['id']}/submit?lang=zh").json()["error"]["message"]
    assert "法律依据" in zh and "伦理审批文件" in zh and "、" in zh


def test_the_ethics_file_must_be_a_pdf_or_image_and_bounded(api, cast, dataset, monkeypatch):
    company = api(cast.company)
    request_id = apply(company, dataset)
    fake = company.post(f"/api/v1/access/requests/{request_id}/ethics",
                        files={"file": ("approval.pdf", io.BytesIO(b"MZ\x90\x00 not a pdf"), "application/pdf")})
    assert fake.status_code == 422 and "PDF, PNG or JPEG" in fake.json()["error"]["message"]
    no_file = company.post(f"/api/v1/access/requests/{request_id}/ethics", data={"x": "1"})
    assert no_file.status_code == 422 and "multipart field file" in no_file.json()["error"]["message"]
    from yizhi.access import settings

    monkeypatch.setattr(settings.get_access_settings(), "max_ethics_bytes", 1024)
    big = company.post(f"/api/v1/access/requests/{request_id}/ethics",
                       files={"file": ("big.pdf", io.BytesIO(PDF + b"0" * 2000), "application/pdf")})
    assert big.status_code == 413
    shown = company.get(f"/api/v1/access/requests/{request_id}").json()
    assert shown["ethics"]["filename"] == "irb.pdf"                     # the earlier file is kept


def test_other_bad_bodies(api, cast, dataset):
    company = api(cast.company)
    request_id = apply(company, dataset)
    assert company.post(f"/api/v1/access/requests/{request_id}/amend", json={"change": "x", "reason": "y"}).status_code == 422
    assert company.get("/api/v1/access/requests?state=sideways").status_code == 422
    assert company.get("/api/v1/access/grants?state=sideways").status_code == 422
    assert company.get("/api/v1/access/requests/99999999999999999999").status_code in (404, 422)
    assert company.post(f"/api/v1/access/requests/{request_id}/messages", json={"body": ""}).status_code == 422
    closure = company.post("/api/v1/access/grants/1/close", json={"met_need": "yes", "outputs": [
        {"kind": "paper", "title": "t", "link": "javascript:alert(1)"}]})
    assert closure.status_code == 422 and "https://" in closure.json()["error"]["message"]
