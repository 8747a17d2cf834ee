"""Only an organisation's owners invite to it; the commission acts through audited admin actions
(issue 17, item 3: a commission reviewer made itself owner of a hospital by inviting itself)."""

import pytest


@pytest.fixture
def reviewer(cast):
    from types import SimpleNamespace

    from yizhi.accounts import service
    from yizhi.db import session_scope

    with session_scope() as s:
        commission = service.get_org_by_slug(s, "commission")
        person = service.create_person(s, email="reviewer@commission.test", display_name="审核员",
                                       password=cast.admin.password)
        service.add_member(s, commission, person, "reviewer")
        return SimpleNamespace(id=person.id, email=person.email, password=cast.admin.password)


def test_commission_reviewer_cannot_invite_itself_as_hospital_owner(api, web, cast, reviewer, db):
    from yizhi.accounts.models import Invitation

    response = api(reviewer).post("/api/v1/orgs/hospital/invitations",
                                  json={"email": reviewer.email, "role": "owner"})
    assert response.status_code == 403
    page = web(reviewer).post_form("/orgs/hospital/invitations", {"email": reviewer.email, "role": "owner"})
    assert page.status_code == 403
    assert db.query(Invitation).count() == 0


def test_commission_owner_cannot_invite_into_a_hospital_either(api, cast):
    response = api(cast.admin).post("/api/v1/orgs/hospital/invitations",
                                    json={"email": "friend@commission.test", "role": "member"})
    assert response.status_code == 403


def test_the_hospital_owner_invites(api, cast):
    response = api(cast.owner).post("/api/v1/orgs/hospital/invitations",
                                    json={"email": "new@hospital.test", "role": "member"})
    assert response.status_code == 201
    assert response.json()["link"].startswith("http://testserver/invitations/")


def test_a_member_who_is_not_owner_cannot_invite(api, cast):
    response = api(cast.colleague).post("/api/v1/orgs/hospital/invitations",
                                        json={"email": "x@hospital.test", "role": "owner"})
    assert response.status_code == 403


def test_admin_invites_the_first_owner_of_an_ownerless_org_on_the_ledger(api, web, cast, reviewer, db):
    from yizhi.accounts import service
    from yizhi.ledger.models import LedgerEntry

    service.create_organization(db, slug="new-hospital", name="新医院", kind="hospital", approved=True)
    db.commit()
    own = api(reviewer).post("/api/v1/admin/orgs/new-hospital/owner-invitation", json={"email": reviewer.email})
    assert own.status_code == 403  # never themselves
    outsider = api(cast.owner).post("/api/v1/admin/orgs/new-hospital/owner-invitation",
                                    json={"email": "head@new-hospital.test"})
    assert outsider.status_code in (403, 404)
    created = api(reviewer).post("/api/v1/admin/orgs/new-hospital/owner-invitation",
                                 json={"email": "head@new-hospital.test"})
    assert created.status_code == 201 and created.json()["role"] == "owner"
    kinds = [e.kind for e in db.query(LedgerEntry).all()]
    assert "admin.owner_invited" in kinds
    # Once it has an owner, the organisation's owners invite; the commission cannot any more.
    link = created.json()["link"].replace("http://testserver", "")
    accepted = web().post_form(link, {"display_name": "新院长", "password": "Fresh-Ward-Leader-88"})
    assert accepted.status_code == 303
    again = api(cast.admin).post("/api/v1/admin/orgs/new-hospital/owner-invitation",
                                 json={"email": "other@new-hospital.test"})
    assert again.status_code == 409
    assert api(cast.owner).post("/api/v1/admin/orgs/hospital/owner-invitation",
                                json={"email": "x@y.test"}).status_code in (403, 404)


def test_admin_page_offers_the_first_owner_form_only_for_ownerless_orgs(web, cast, db):
    from yizhi.accounts import service

    service.create_organization(db, slug="empty-co", name="空公司", kind="company", approved=True)
    db.commit()
    page = web(cast.admin).get("/admin/organizations").text
    row = page.split('data-org="empty-co"')[1].split("</tr>")[0]
    assert "/admin/organizations/empty-co/owner-invitation" in row
    hospital_row = page.split('data-org="hospital"')[1].split("</tr>")[0]
    assert "owner-invitation" not in hospital_row
    created = web(cast.admin).post_form("/admin/organizations/empty-co/owner-invitation", {"email": "ceo@empty.test"})
    assert created.status_code == 201 and "data-invitation-link" in created.text


def test_admin_rejects_a_registration_with_a_reason(api, web, cast, db):
    from yizhi.accounts import service
    from yizhi.ledger.models import LedgerEntry

    service.create_organization(db, slug="shady-co", name="可疑公司", kind="company", approved=False)
    db.commit()
    assert api(cast.admin).post("/api/v1/orgs/shady-co/reject", json={"reason": ""}).status_code == 422
    assert api(cast.owner).post("/api/v1/orgs/shady-co/reject", json={"reason": "x"}).status_code in (403, 404)
    rejected = api(cast.admin).post("/api/v1/orgs/shady-co/reject", json={"reason": "营业执照与信用代码不符"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    page = web(cast.admin).get("/admin/organizations").text
    assert 'id="stopped"' in page and "营业执照与信用代码不符" in page
    assert 'data-org="shady-co"' not in page.split('id="pending"')[1].split("</table>")[0]
    assert "org.rejected" in [e.kind for e in db.query(LedgerEntry).all()]


def test_admin_suspends_an_organisation_whose_members_can_no_longer_act(api, web, cast):
    assert api(cast.owner).post("/api/v1/needs", json={"title": "暂停前"}).status_code == 201
    response = web(cast.admin).post_form("/admin/organizations/hospital/suspend", {"reason": "数据泄露调查中"})
    assert response.status_code == 303
    assert api(cast.owner).post("/api/v1/needs", json={"title": "暂停后"}).status_code == 403
    org_page = web(cast.owner).get("/orgs/hospital").text
    assert "数据泄露调查中" in org_page and "已暂停" in org_page
    assert api(cast.admin).post("/api/v1/orgs/commission/suspend", json={"reason": "x"}).status_code == 403
    assert web(cast.admin).post_form("/admin/organizations/hospital/approve").status_code == 303  # reinstated
    assert api(cast.owner).post("/api/v1/needs", json={"title": "恢复后"}).status_code == 201
