"""Platform notifications: stored per recipient, shown in the reader's language, only to their owner;
the unread badge on every page; the domains' own notices reach the platform list."""

from __future__ import annotations

import re

from yizhi.errors import N_

MSG = N_("Need “%(title)s” was approved and published.")  # a msgid the needs catalog translates


def _person(db, member):
    from yizhi.accounts import service

    return service.get_person_by_email(db, member.email)


def _notify(db, member, title="肺结节筛查", link="/needs/1", **kw):
    from yizhi.notify import service

    made = service.notify(db, [member.id], "needs.need_published", MSG, {"title": title}, link, **kw)
    db.commit()
    return made


def test_a_notice_is_shown_in_the_readers_language_and_marked_read(cast, db, web):
    _notify(db, cast.owner)
    client = web(cast.owner)
    zh = client.get("/notifications?lang=zh").text
    assert "已批准并发布" in zh or "发布" in zh
    assert "肺结节筛查" in zh
    en = client.get("/notifications?lang=en").text
    assert "was approved and published" in en
    notice_id = int(re.search(r'data-id="(\d+)"', en).group(1))
    assert client.post_form(f"/notifications/{notice_id}/read", {"next": "/notifications"}).status_code == 303
    from yizhi.notify import service

    assert service.unread_count(db, cast.owner.id) == 0


def test_badge_counts_unread_on_every_page_and_goes_with_mark_all(cast, db, web):
    client = web(cast.owner)
    assert "unread-badge" not in client.get("/").text
    _notify(db, cast.owner)
    _notify(db, cast.owner, title="第二个")
    for path in ("/", "/needs", "/profile", "/ledger"):
        html = client.get(path).text
        assert re.search(r'class="badge danger unread-badge"[^>]*>2<', html), path
    assert client.post_form("/notifications/read", {}).status_code == 303
    assert "unread-badge" not in client.get("/needs").text


def test_a_person_sees_and_marks_only_their_own(cast, db, api, web):
    _notify(db, cast.owner)
    from yizhi.notify.models import Notification

    notice_id = db.query(Notification).one().id
    outsider = api(cast.outsider)
    assert outsider.get("/api/v1/notifications").json()["items"] == []
    assert outsider.post(f"/api/v1/notifications/{notice_id}/read").status_code == 404
    assert web(cast.colleague).post_form(f"/notifications/{notice_id}/read", {}).status_code == 404
    db.expire_all()
    assert db.get(Notification, notice_id).read_at is None
    owner = api(cast.owner)
    listed = owner.get("/api/v1/notifications", headers={"Accept-Language": "en"}).json()
    assert listed["unread"] == 1 and listed["items"][0]["id"] == notice_id
    assert "approved and published" in listed["items"][0]["text"]
    zh = owner.get("/api/v1/notifications?lang=zh").json()["items"][0]["text"]
    assert "肺结节筛查" in zh and "approved" not in zh
    assert owner.post(f"/api/v1/notifications/{notice_id}/read").json()["read_at"]
    assert owner.get("/api/v1/notifications?unread=true").json()["items"] == []


def test_anonymous_is_refused(api, web):
    assert api().get("/api/v1/notifications").status_code == 401
    assert web().get("/notifications").status_code == 303


def test_filters_and_paging(cast, db, web, api):
    from yizhi.notify import service

    for number in range(service.PAGE_SIZE + 3):
        service.notify(db, [cast.owner.id], "needs.need_published", MSG, {"title": f"需求{number}"}, "/needs")
    service.notify(db, [cast.owner.id], "market.certified",
                   N_("%(product)s %(version)s is certified for the supermarket until %(date)s."),
                   {"product": "肺影", "version": "1.0", "date": "2027-01-01"}, "/market")
    db.commit()
    client = web(cast.owner)
    market = client.get("/notifications?domain=market&lang=en").text
    assert market.count('data-id="') == 1 and "肺影" in market
    first = client.get("/notifications?lang=en").text
    assert first.count('data-id="') == service.PAGE_SIZE and "Page 1 of 2" in first
    assert client.get("/notifications?page=2&lang=en").text.count('data-id="') == 4
    assert client.get("/notifications?state=bogus").status_code == 422
    assert client.post_form("/notifications/read", {"domain": "market"}).status_code == 303
    body = api(cast.owner).get("/api/v1/notifications?limit=1").json()
    assert body["unread"] == service.PAGE_SIZE + 3 and body["total"] == service.PAGE_SIZE + 4


def test_the_actor_is_not_notified_and_an_org_role_reaches_its_people(cast, db):
    from yizhi.accounts.models import Role
    from yizhi.notify import service

    hospital_id = _person(db, cast.owner).memberships[0].organization_id
    made = service.notify(db, service.OrgRoles(hospital_id, (Role.owner, Role.member)), "needs.need_published",
                          MSG, {"title": "x"}, "/needs", actor=_person(db, cast.owner))
    db.commit()
    assert made == 1
    assert service.unread_count(db, cast.colleague.id) == 1 and service.unread_count(db, cast.owner.id) == 0


def test_the_domains_notices_reach_the_platform_list(cast, db, api):
    from yizhi.access import notify as access_notify
    from yizhi.market import notify as market_notify
    from yizhi.needs import service as needs

    needs.notify(db, [cast.owner.id], "need_published", {"title": "心电"}, "/needs/3")
    access_notify.notify(db, [cast.owner.id], "request_decided", {"id": 4, "title": "研究", "decision": "approved"},
                         "/access/requests/4")
    market_notify.notify(db, [cast.owner.id], "pilot_requested",
                         {"hospital": "一院", "product": "肺影", "version": "2"}, "/market/pilots/1")
    db.commit()
    items = api(cast.owner).get("/api/v1/notifications?lang=zh").json()["items"]
    assert sorted(item["kind"] for item in items) == ["access.request_decided", "market.pilot_requested",
                                                       "needs.need_published"]
    decided = next(item for item in items if item["kind"] == "access.request_decided")
    assert "approved" not in decided["text"]  # the decision code is translated too


def test_email_goes_through_smtp_when_the_person_asks(cast, db, web, smtp_server, outbox):
    from yizhi.jobs.service import work_once

    _notify(db, cast.owner, title="不发邮件")
    assert not work_once()
    client = web(cast.owner)
    assert client.post_form("/notifications/preferences", {"email": "on"}).status_code == 303
    _notify(db, cast.owner, title="发一封邮件")
    assert work_once()
    assert len(smtp_server) == 1 and outbox.messages() == []
    message = smtp_server[0]
    assert message["To"] == cast.owner.email
    body = message.get_payload(decode=True).decode("utf-8")
    assert "发一封邮件" in body and "/needs/1" in body
    assert "approved and published" not in body  # written in Chinese, the default language
    assert client.post_form("/notifications/preferences", {}).status_code == 303
    _notify(db, cast.owner, title="又不发")
    assert not work_once()


def test_mark_all_read_on_a_domain_page_clears_the_badge_of_its_notices(cast, db, web):
    from yizhi.needs import service as needs
    from yizhi.notify import service

    needs.notify(db, [cast.owner.id], "need_published", {"title": "心电"}, "/needs/3")
    _notify(db, cast.owner, title="平台")  # a platform notice of the same domain, made directly
    service.notify(db, [cast.owner.id], "market.certified", "%(product)s", {"product": "x"}, "/market")
    db.commit()
    assert web(cast.owner).post_form("/needs/notifications/read", {}).status_code == 303
    db.expire_all()
    assert service.unread_count(db, cast.owner.id) == 1  # the market notice stays unread
