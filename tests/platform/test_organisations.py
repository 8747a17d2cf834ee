"""Self-registration and approval, invitations with expiry, members and roles."""

from datetime import timedelta

from yizhi.db import utcnow


CREDIT_CODE = "91110000600037341L"  # a valid 统一社会信用代码 (check digit per GB 32100-2015)


def outbox_links(marker: str) -> list[str]:
    """Links in the e-mails kept in the outbox (no SMTP server in tests), oldest first."""
    import re
    from email import message_from_bytes, policy

    from yizhi.config import get_settings

    outbox = get_settings().resolved_data_dir() / "outbox"
    links = []
    for path in sorted(outbox.glob("*.eml")) if outbox.exists() else []:
        body = message_from_bytes(path.read_bytes(), policy=policy.default).get_body().get_content()
        links += [link for link in re.findall(r"https?://\S+", body) if marker in link]
    return links


def register_company(web, slug="newco"):
    from yizhi.jobs.service import work_once

    client = web()
    response = client.post_form("/register", {
        "slug": slug, "name": "新公司", "kind": "company", "description": "AI", "credit_code": CREDIT_CODE,
        "email": f"boss@{slug}.test", "display_name": "老板", "password": "Startup-Pass-2026"})
    assert response.status_code == 200 and "data-registration-sent" in response.text
    while work_once():  # the e-mail job
        pass
    link = outbox_links("/register/confirm/")[-1].replace("http://testserver", "")
    assert "确认" in client.get(link).text
    return client, client.post_form(link)


def test_company_registers_and_waits_for_approval(web, cast, db):
    from yizhi.accounts.models import Organization

    client, response = register_company(web)
    assert response.status_code == 303
    org = db.query(Organization).filter_by(slug="newco").one()
    assert org.approved is False
    dashboard = client.get("/").text
    assert "等待卫健委审核" in dashboard
    # Before approval the owner cannot invite anyone.
    refused = client.post_form("/orgs/newco/invitations", {"email": "dev@newco.test", "role": "member"})
    assert refused.status_code == 403


def test_hospitals_cannot_self_register(web):
    client = web()
    response = client.post_form("/register", {
        "slug": "fake-hospital", "name": "假医院", "kind": "hospital", "email": "x@fake.test",
        "display_name": "X", "password": "Startup-Pass-2026"})
    assert response.status_code == 422


def test_commission_approves_and_owner_can_then_act(web, cast, db):
    client, _ = register_company(web)
    admin = web(cast.admin)
    page = admin.get("/admin/organizations")
    assert 'data-org="newco"' in page.text
    assert web(cast.owner).post_form("/admin/organizations/newco/approve").status_code in (403, 404)
    assert admin.post_form("/admin/organizations/newco/approve").status_code == 303
    response = client.post_form("/orgs/newco/invitations", {"email": "dev@newco.test", "role": "member"})
    assert response.status_code == 201


def test_invitation_flow_creates_account_and_membership(web, cast, db):
    from yizhi.accounts.models import Membership, Person

    owner = web(cast.owner)
    response = owner.post_form("/orgs/hospital/invitations", {"email": "nurse@hospital.test", "role": "annotator"})
    assert response.status_code == 201
    link = response.text.split('data-invitation-link>')[1].split("<")[0]
    path = link.replace("http://127.0.0.1:8000", "")
    newcomer = web()
    assert "第一医院" in newcomer.get(path).text
    weak = newcomer.post_form(path, {"display_name": "护士", "password": "short"})
    assert weak.status_code == 422
    accepted = newcomer.post_form(path, {"display_name": "护士", "password": "Ward-Strong-Pass-71"})
    assert accepted.status_code == 303 and accepted.headers["location"] == "/orgs/hospital"
    person = db.query(Person).filter_by(email="nurse@hospital.test").one()
    membership = db.query(Membership).filter_by(person_id=person.id).one()
    assert membership.role.value == "annotator"
    assert newcomer.get("/orgs/hospital").status_code == 200
    assert web().get(path).status_code == 409  # used once only


def test_expired_invitation_is_refused(web, cast, db):
    from yizhi.accounts import service
    from yizhi.accounts.models import Person

    hospital = service.get_org_by_slug(db, "hospital")
    owner = db.get(Person, cast.owner.id)
    invitation, secret = service.invite(db, hospital, email="late@hospital.test", role="member", actor=owner)
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.commit()
    response = web().post_form(f"/invitations/{secret}", {"display_name": "迟到", "password": "Late-Strong-Pass-1"})
    assert response.status_code == 409
    assert db.query(Person).filter_by(email="late@hospital.test").count() == 0


def test_invitation_for_someone_else_cannot_be_taken(web, cast, db):
    from yizhi.accounts import service
    from yizhi.accounts.models import Person

    hospital = service.get_org_by_slug(db, "hospital")
    invitation, secret = service.invite(db, hospital, email="intended@hospital.test", role="owner",
                                        actor=db.get(Person, cast.owner.id))
    db.commit()
    response = web(cast.outsider).post_form(f"/invitations/{secret}")
    assert response.status_code == 403


def test_owner_changes_roles_but_cannot_remove_last_owner(web, cast, db):
    from yizhi.accounts.models import Membership

    owner = web(cast.owner)
    colleague_m = db.query(Membership).filter_by(person_id=cast.colleague.id).one()
    owner_m = db.query(Membership).filter_by(person_id=cast.owner.id).one()
    assert owner.post_form(f"/orgs/hospital/members/{colleague_m.id}/role", {"role": "reviewer"}).status_code == 303
    db.expire_all()
    assert db.get(Membership, colleague_m.id).role.value == "reviewer"
    owner.post_form(f"/orgs/hospital/members/{owner_m.id}/remove")
    db.expire_all()
    assert db.get(Membership, owner_m.id) is not None  # the last owner stays
    # The colleague (not an owner) cannot change roles.
    assert web(cast.colleague).post_form(f"/orgs/hospital/members/{owner_m.id}/role", {"role": "member"}).status_code == 403


def test_account_events_reach_the_ledger(web, cast, db):
    from yizhi.ledger.models import LedgerEntry

    kinds = [e.kind for e in db.query(LedgerEntry).order_by(LedgerEntry.index)]
    assert kinds.count("org.created") == 4 and kinds.count("member.added") == 5
    owner = web(cast.owner)
    owner.post_form("/tokens", {"name": "ledgered"})
    db.expire_all()
    entries = db.query(LedgerEntry).order_by(LedgerEntry.index).all()
    assert entries[-1].kind == "token.created"
    assert cast.owner.email not in entries[-1].leaf  # ids only, never personal data
