"""Issue 17, item 12: weak passwords refused by a strength estimator, the CSRF token bound to the
login session, API tokens revocable with a password change, annotators kept from DICOM and table
de-identification."""

from __future__ import annotations

import io

import pytest

from yizhi.accounts.passwords import PasswordPolicyError, check_policy

WEAK = ["0123456789", "abcdefghij", "qwerty12345", "Password1!"]


@pytest.mark.parametrize("password", WEAK)
def test_weak_passwords_are_refused(password):
    with pytest.raises(PasswordPolicyError):
        check_policy(password, email="someone@hospital.test")


def test_the_persons_own_name_makes_a_password_weak():
    check_policy("Harbour-Lantern-Quill-58", email="wang@hospital.test")
    with pytest.raises(PasswordPolicyError):
        check_policy("wangxiaoming2026", email="xm@hospital.test", name="wangxiaoming")


@pytest.mark.parametrize("password", WEAK)
def test_weak_password_is_refused_on_the_page_in_chinese(web, cast, password):
    client = web(cast.owner)
    response = client.post_form("/profile/password", {"current_password": cast.owner.password,
                                                      "new_password": password, "confirm_password": password})
    assert response.status_code == 422
    assert ("容易被猜到" in response.text) or ("至少需要" in response.text)


def test_csrf_token_of_one_session_is_refused_in_another(web, cast):
    from yizhi.web.csrf import CSRF_COOKIE, SESSION_COOKIE

    victim = web(cast.owner)
    attacker = web(cast.colleague)
    # The attacker plants its own CSRF cookie in the victim's browser and sends its own token.
    planted = attacker.http.cookies[CSRF_COOKIE]
    for cookie in victim.http.cookies.jar:
        if cookie.name == CSRF_COOKIE:
            cookie.value = planted
    forged = victim.http.post("/tokens", data={"name": "planted", "csrf_token": attacker.csrf})
    assert forged.status_code == 403
    assert attacker.http.cookies[SESSION_COOKIE] != victim.http.cookies[SESSION_COOKIE]
    assert victim.post_form("/tokens", {"name": "genuine"}).status_code == 201


def test_login_changes_the_csrf_token(web, cast):
    client = web()
    before = client.csrf
    client.login(cast.owner)
    assert client.csrf != before


def test_password_change_offers_and_revokes_api_tokens(web, api, cast, db):
    from yizhi.accounts.models import ApiToken

    script = api(cast.owner)
    assert script.get("/api/v1/me").status_code == 200
    client = web(cast.owner)
    assert 'name="revoke_tokens"' in client.get("/profile").text
    changed = client.post_form("/profile/password", {"current_password": cast.owner.password,
                                                     "new_password": "Harbour-Lantern-Quill-58",
                                                     "confirm_password": "Harbour-Lantern-Quill-58",
                                                     "revoke_tokens": "yes"})
    assert changed.status_code == 303
    assert script.get("/api/v1/me").status_code == 401
    assert db.query(ApiToken).filter(ApiToken.revoked_at.is_(None)).count() == 0


def test_password_change_can_keep_api_tokens(web, api, cast):
    script = api(cast.owner)
    web(cast.owner).post_form("/profile/password", {"current_password": cast.owner.password,
                                                    "new_password": "Harbour-Lantern-Quill-58",
                                                    "confirm_password": "Harbour-Lantern-Quill-58"})
    assert script.get("/api/v1/me").status_code == 200


@pytest.fixture
def annotator(cast):
    from types import SimpleNamespace

    from yizhi.accounts import service
    from yizhi.db import session_scope

    with session_scope() as s:
        person = service.create_person(s, email="label@hospital.test", display_name="标注员",
                                       password=cast.owner.password)
        service.add_member(s, service.get_org_by_slug(s, "hospital"), person, "annotator")
        return SimpleNamespace(id=person.id, email=person.email, password=cast.owner.password)


def test_annotators_cannot_start_dicom_or_table_jobs(api, web, annotator):
    client = api(annotator)
    dicom = client.post("/api/v1/deid/dicom", files={"file": ("a.dcm", b"DICM")}, data={"org": "hospital"})
    assert dicom.status_code == 403
    table = client.post("/api/v1/deid/tabular", files={"file": ("t.csv", b"a,b\n1,2\n"),
                                                       "config": ("c.yaml", b"quasi_identifiers: {a: {}}\nk: 2\n")},
                        data={"org": "hospital"})
    assert table.status_code == 403
    assert web(annotator).get("/deid/dicom").status_code == 403


def test_annotators_cannot_download_the_organisations_outputs(api, cast, annotator, db):
    from yizhi.jobs import service as jobs
    from yizhi.jobs.models import JobState

    job = jobs.enqueue(db, "deid.dicom", {"input": "0" * 64}, created_by_id=cast.owner.id,
                       organization_id=db.query(__import__("yizhi.accounts.models", fromlist=["Organization"])
                                                .Organization).filter_by(slug="hospital").one().id)
    job.state, job.result = JobState.succeeded, {"output": "0" * 64, "output_name": "x.zip"}
    db.commit()
    assert api(annotator).get(f"/api/v1/deid/dicom/{job.id}/output").status_code == 403
    assert api(cast.colleague).get(f"/api/v1/deid/dicom/{job.id}/output").status_code in (200, 404)
