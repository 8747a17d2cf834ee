"""The needs pages, driven through forms with the fixed cast (CSRF included)."""

import re

from sqlalchemy import select


def form_need(title="急诊头颅CT脑出血优先阅片"):
    return {"title": title, "description": "希望AI自动发现颅内出血并计算出血量，阳性排到阅片队列最前。",
            "category": "", "importance": "high", "urgency": "medium", "department": "放射科",
            "modalities": "ct, emr", "budget_min": "50", "budget_max": "120", "deadline": "2027-06-30",
            "contact_name": "陈医生", "contact_info": "chen@hospital.test"}


def need_id_from(response):
    return int(re.search(r"/needs/(\d+)", response.headers["location"]).group(1))


def test_file_review_publish_and_browse_through_pages(web, cast, db):
    from yizhi.needs.models import Need

    doctor = web(cast.colleague)
    assert "name=\"title\"" in doctor.get("/needs/new").text
    created = doctor.post_form("/needs/new", form_need())
    assert created.status_code == 303
    need_id = need_id_from(created)
    page = doctor.get(f"/needs/{need_id}")
    assert page.status_code == 200 and 'data-status="draft"' in page.text
    assert doctor.post_form(f"/needs/{need_id}/submit", {}).status_code == 303

    admin = web(cast.admin)
    queue = admin.get("/needs/review")
    assert f"/needs/{need_id}#review" in queue.text
    admin.post_form(f"/needs/{need_id}/review", {"decision": "approve", "comment": ""})
    need = db.get(Need, need_id)
    assert need.status.value == "published" and need.modalities == ["ct", "emr"] and need.budget_max == 120

    outsider = web(cast.outsider)
    listing = outsider.get("/needs?q=脑出血")
    assert f'data-need="{need_id}"' in listing.text
    assert f'data-need="{need_id}"' not in outsider.get("/needs?q=中医舌诊&category=tcm").text
    assert outsider.get(f"/needs/{need_id}/edit").status_code == 403


def test_invalid_form_is_shown_again_with_the_error(web, cast):
    response = web(cast.owner).post_form("/needs/new", {**form_need(), "budget_min": "9", "budget_max": "1"})
    assert response.status_code == 422
    assert "最低预算高于最高预算" in response.text  # in the reader's language, not pydantic's English
    assert "急诊头颅CT脑出血优先阅片" in response.text  # nothing typed is lost


def test_company_publishes_solution_and_engages_through_pages(web, api, cast, db):
    doctor, company = web(cast.owner), web(cast.company)
    need_id = need_id_from(doctor.post_form("/needs/new", form_need()))
    doctor.post_form(f"/needs/{need_id}/submit", {})
    web(cast.admin).post_form(f"/needs/{need_id}/review", {"decision": "approve"})

    published = company.post_form("/solutions/new", {"title": "颅内出血CT急诊分诊", "description": "头颅CT脑出血自动检测",
                                                     "category": "", "modalities": "ct", "maturity": "nmpa_registered",
                                                     "nmpa_class": "III", "deployments": "12"})
    assert published.status_code == 303
    detail = company.get(f"/needs/{need_id}")
    assert "颅内出血CT急诊分诊" in detail.text and "共同关键词" in detail.text  # the why line
    english = company.get(f"/needs/{need_id}?lang=en")
    assert "shared terms" in english.text
    solution_id = int(published.headers["location"].rsplit("/", 1)[1])
    assert f'<option value="{solution_id}" selected>' in detail.text  # its best-matching solution offered
    sent = company.post_form(f"/needs/{need_id}/interest", {"message": "我们有三类证产品", "proposed_approach": "急诊试用",
                                                            "solution_id": str(solution_id)})
    engagement_url = sent.headers["location"]
    assert doctor.get(engagement_url).status_code == 200
    doctor.post_form(f"{engagement_url}/decision", {"accept": "yes", "note": "欢迎"})
    company.post_form(f"{engagement_url}/messages", {"body": "下周对接PACS"})
    page = doctor.get(engagement_url)
    assert "下周对接PACS" in page.text and 'name="site"' in page.text
    doctor.post_form(f"{engagement_url}/pilot", {"site": "急诊科", "product": "v2", "scenario": "夜班",
                                                 "start_date": "2026-12-01", "end_date": "", "outcome_measures": "报告时间"})
    assert 'id="pilot-status"' in doctor.get(engagement_url).text
    assert web(cast.outsider).get(engagement_url).status_code == 404
    notes = company.get("/needs/notifications")
    assert "急诊头颅CT脑出血优先阅片" in notes.text and "unread" in notes.text


def test_needs_lists_are_public_with_exports(web, cast):
    doctor = web(cast.owner)
    need_id = need_id_from(doctor.post_form("/needs/new", form_need("病理切片辅助诊断")))
    doctor.post_form(f"/needs/{need_id}/submit", {})
    admin = web(cast.admin)
    admin.post_form(f"/needs/{need_id}/review", {"decision": "approve"})
    assert doctor.post_form("/needs/lists", {"title": ""}).status_code == 403
    released = admin.post_form("/needs/lists", {"title": "", "notes": "首期"})
    assert released.status_code == 303
    anonymous = web()
    index = anonymous.get("/needs/lists")
    assert index.status_code == 200 and "需求清单" in index.text and "export.xlsx" in index.text
    detail = anonymous.get(released.headers["location"])
    assert "病理切片辅助诊断" in detail.text


def test_pages_need_login_and_hide_drafts(web, cast):
    assert web().get("/needs").status_code in (303, 401)
    doctor = web(cast.owner)
    need_id = need_id_from(doctor.post_form("/needs/new", form_need()))
    assert web(cast.outsider).get(f"/needs/{need_id}").status_code == 404
    assert web(cast.company).get("/needs/new").status_code == 403


def test_pages_are_bilingual(web, cast):
    client = web(cast.owner)
    chinese = client.get("/needs?lang=zh")
    assert "临床需求库" in chinese.text and "提交需求" in chinese.text
    english = client.get("/needs?lang=en")
    assert "Needs library" in english.text and "File a need" in english.text


def test_company_edits_and_withdraws_its_solution(web, cast):
    company = web(cast.company)
    created = company.post_form("/solutions/new", {"title": "肺结节CT检测", "description": "胸部CT", "category": "",
                                                   "modalities": "ct", "maturity": "prototype", "nmpa_class": "",
                                                   "deployments": "0"})
    url = created.headers["location"]
    assert web(cast.owner).get(f"{url}/edit").status_code == 403
    edited = company.post_form(f"{url}/edit", {"title": "肺结节CT智能检测 v2", "description": "胸部CT", "category": "imaging",
                                               "modalities": "ct", "maturity": "nmpa_registered", "nmpa_class": "III",
                                               "deployments": "3"})
    assert edited.status_code == 303
    assert "肺结节CT智能检测 v2" in company.get(url).text
    bad = company.post_form(f"{url}/edit", {"title": "有效标题", "maturity": "prototype", "nmpa_class": "III"})
    assert bad.status_code == 422 and "仅当成熟度为“已获NMPA注册”时才填写NMPA类别" in bad.text
    company.post_form(f"{url}/status", {"status": "withdrawn"})
    assert web(cast.owner).get(url).status_code == 404


def test_dashboard_shows_notifications_and_review_queue(web, cast):
    doctor = web(cast.owner)
    need_id = need_id_from(doctor.post_form("/needs/new", form_need()))
    doctor.post_form(f"/needs/{need_id}/submit", {})
    dashboard = web(cast.admin).get("/")
    assert dashboard.status_code == 200
    assert "/needs/review" in dashboard.text and "1 项需求等待审核" in dashboard.text
    # the platform's notifications card (yizhi.notify) now carries the needs library's notices
    assert "/notifications?state=unread" in dashboard.text and "1 条未读通知" in dashboard.text


def test_category_suggestion_fragment(web, cast):
    client = web(cast.owner)
    fragment = client.get("/needs/suggest-category?title=中医舌诊&description=舌象采集与体质辨识")
    assert 'data-suggested="tcm"' in fragment.text and "平台推荐： 中医药" in fragment.text
    assert client.get("/needs/suggest-category?title=ab").text == ""
