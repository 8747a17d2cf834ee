"""The pages, in both languages, for applicants, reviewers, holders and the commission: the form
with data minimisation, the request page, the review queue, grants, settings, feedback, register."""

import io
import re

from access_helpers import PDF, walk_to_grant


def _form_post(client, url, fields: list[tuple[str, str]], files=None):
    """A form post with repeated fields (checkboxes) and the CSRF token."""
    data: dict[str, list[str]] = {"csrf_token": [client.csrf]}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    return client.http.post(url, data=data, files=files)


def test_apply_through_the_form_then_submit(web, cast, dataset, db):
    company = web(cast.company)
    chooser = company.get("/access/requests/new")
    assert chooser.status_code == 200 and dataset in chooser.text
    form = company.get(f"/access/requests/new?datasets={dataset}")
    assert form.status_code == 200
    assert 'value="labs/hba1c"' in form.text and 'value="visits/ward"' in form.text   # every column offered
    assert 'value="extract"' in form.text                                          # the holder allows extracts
    fields = [("datasets", dataset), ("kind", "data"), ("title", "血糖控制轨迹"), ("purpose", "scientific_research"),
              ("lay_summary", "研究血糖控制随时间的变化"), ("mode", "space"), ("duration_days", "90"),
              ("col", "labs/hba1c"), ("col", "labs/patient"), ("reason:labs", "HbA1c by patient"),
              ("reason:visits", ""), ("legal_basis", "科研"), ("ethics_reference", "IRB-1"), ("outputs", "论文"),
              ("team", "")]
    saved = _form_post(company, "/access/requests/new", fields,
                       files={"ethics_file": ("irb.pdf", io.BytesIO(PDF), "application/pdf")})
    assert saved.status_code == 303, saved.text[:500]
    url = saved.headers["location"]
    page = company.get(url)
    assert "血糖控制轨迹" in page.text and "hba1c" in page.text and "irb.pdf" in page.text
    request_id = int(re.search(r"/access/requests/(\d+)", url).group(1))
    submitted = company.post_form(f"/access/requests/{request_id}/submit")
    assert submitted.status_code == 303
    assert 'data-state="submitted"' in company.get(url).text
    queue = web(cast.admin).get("/access/review")
    assert "血糖控制轨迹" in queue.text


def test_a_bad_form_keeps_what_was_typed_and_says_what_is_wrong(web, cast, dataset):
    company = web(cast.company)
    fields = [("datasets", dataset), ("kind", "data"), ("title", "Keep me"), ("purpose", "scientific_research"),
              ("lay_summary", "typed text"), ("mode", "space"), ("duration_days", "90"), ("col", "labs/nope"),
              ("team", "stranger@nowhere.test")]
    answer = _form_post(company, "/access/requests/new", fields)
    assert answer.status_code == 422
    assert "Keep me" in answer.text and "typed text" in answer.text
    assert "没有列" in answer.text or "no column" in answer.text


def test_every_page_renders_for_each_role_in_both_languages(web, api, cast, dataset):
    walked = walk_to_grant(api, cast, dataset)
    pages = [
        (cast.company, ["/access/requests", f"/access/requests/{walked.request_id}", "/access/grants",
                       f"/access/grants/{walked.grant_id}", "/access/notifications", "/access/requests/new"]),
        (cast.owner, ["/access/review", f"/access/requests/{walked.request_id}", f"/access/grants/{walked.grant_id}",
                     "/access/feedback", "/access/datasets/dm-emr/settings"]),
        (cast.admin, ["/access/review", f"/access/requests/{walked.request_id}", "/access/grants/new", "/access/grants"]),
    ]
    for member, urls in pages:
        client = web(member)
        for url in urls:
            for lang in ("zh", "en"):
                response = client.get(f"{url}{'&' if '?' in url else '?'}lang={lang}")
                assert response.status_code == 200, (member.email, url, lang, response.text[:300])
    anonymous = web().get("/access/register?lang=en")
    assert anonymous.status_code == 200 and "HbA1c trajectories" in anonymous.text
    zh = web().get("/access/register?lang=zh")
    assert "数据使用登记" in zh.text


def test_the_dashboard_shows_access_cards(web, api, cast, dataset):
    walk_to_grant(api, cast, dataset)
    company = web(cast.company).get("/?lang=en")
    assert 'data-card="access-requests"' in company.text and "1 live grants" in company.text
    owner = web(cast.owner).get("/?lang=en")
    assert 'data-card="access-review"' in owner.text and 'data-card="access-feedback"' in owner.text


def test_the_commission_grants_administratively_through_the_form(web, cast, dataset):
    admin = web(cast.admin)
    bad = admin.post_form("/access/grants/new", {"org": "company", "dataset": dataset, "days": "30", "mode": "space",
                                                 "epsilon": "lots", "columns": "labs:hba1c", "reason": "evaluation"})
    assert bad.status_code == 422 and "evaluation" in bad.text                  # what was typed is kept
    made = admin.post_form("/access/grants/new", {"org": "company", "dataset": dataset, "days": "30", "mode": "space",
                                                  "epsilon": "1.5", "columns": "labs:hba1c visits:ward",
                                                  "reason": "evaluation of model X"})
    assert made.status_code == 303 and "/access/grants/" in made.headers["location"]
    page = web(cast.company).get(made.headers["location"] + "?lang=en")
    assert "evaluation of model X" in page.text and "hba1c" in page.text and "ward" in page.text
    assert web(cast.owner).get("/access/grants/new").status_code == 403


def test_the_owner_sets_review_steps_through_the_form(web, api, cast, dataset):
    owner = web(cast.owner)
    form = {"csrf_token": owner.csrf, "handling": "manual", "step_name": ["Steward", "Ethics", ""],
            "step_reviewers": [cast.colleague.email, "", ""], "step_days": ["3", "7", "10"], "default_epsilon": "0.8"}
    saved = owner.http.post("/access/datasets/dm-emr/settings", data=form)
    assert saved.status_code == 303
    shown = api(cast.owner).get("/api/v1/access/datasets/dm-emr/settings").json()
    assert shown["review_steps"] == [{"name": "Steward", "days": 3, "reviewers": [cast.colleague.email]},
                                     {"name": "Ethics", "days": 7, "reviewers": []}]
    assert shown["default_epsilon"] == 0.8
    form["step_reviewers"] = [cast.company.email, "", ""]
    refused = owner.http.post("/access/datasets/dm-emr/settings", data=form)
    assert refused.status_code == 422 and cast.company.email in refused.text
    assert web(cast.colleague).get("/access/datasets/dm-emr/settings").status_code == 403   # owners only
