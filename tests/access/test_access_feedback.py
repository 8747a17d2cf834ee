"""Feedback: closing a grant requires a closure report; its data-quality problems become issues on
the dataset version that the owning hospital sees and answers; the register shows the outputs."""

from access_helpers import walk_to_grant


def test_closing_through_the_page_files_issues_for_the_holder(web, api, cast, dataset):
    walked = walk_to_grant(api, cast, dataset)
    company = web(cast.company)
    page = company.get(f"/access/grants/{walked.grant_id}?lang=en")
    assert "Close this grant with a closure report" in page.text
    form = {"csrf_token": company.csrf, "output_kind": ["paper", "model", "paper"],
            "output_title": ["HbA1c trajectories in T2D", "risk model v1", ""],
            "output_link": ["https://doi.org/10.1000/xyz", "", ""], "issue_dataset": [dataset, dataset, dataset],
            "issue_table": ["labs", "", ""], "issue_column": ["hba1c", "", ""],
            "issue_description": ["values above 20% look like unit errors", "", ""], "met_need": "partly",
            "comments": "useful"}
    closed = company.http.post(f"/access/grants/{walked.grant_id}/close", data=form)
    assert closed.status_code == 303
    assert 'data-state="closed"' in company.get(f"/access/grants/{walked.grant_id}").text
    again = company.http.post(f"/access/grants/{walked.grant_id}/close", data=form)
    assert again.status_code == 403                                     # closed once, with its report
    owner = web(cast.owner)
    feedback = owner.get("/access/feedback?lang=en")
    assert "values above 20% look like unit errors" in feedback.text and "risk model v1" in feedback.text
    issue_id = api(cast.owner).get("/api/v1/access/feedback").json()["issues"][0]["id"]
    answered = web(cast.colleague).post_form(f"/access/issues/{issue_id}", {"state": "acknowledged",
                                                                           "response": "checking units"})
    assert answered.status_code == 303
    issues = api(cast.owner).get("/api/v1/access/feedback").json()["issues"]
    assert issues[0]["state"] == "acknowledged" and issues[0]["response"] == "checking units"
    assert web(cast.company).post_form(f"/access/issues/{issue_id}", {"state": "resolved"}).status_code == 404
    assert api(cast.company).get("/api/v1/access/feedback?org=hospital").status_code == 403
    entry = api().get("/api/v1/access/register").json()["entries"][0]
    assert [o["title"] for o in entry["outputs"]] == ["HbA1c trajectories in T2D", "risk model v1"]
    assert entry["state"] == "closed" and entry["met_need"] == "partly"


def test_a_closure_needs_its_fields_and_a_live_or_suspended_grant(api, cast, dataset):
    walked = walk_to_grant(api, cast, dataset)
    url = f"/api/v1/access/grants/{walked.grant_id}/close"
    assert walked.company.post(url, json={"outputs": []}).status_code == 422                # met_need required
    bad_issue = walked.company.post(url, json={"met_need": "yes", "issues": [
        {"dataset": "other@1", "description": "x"}]})
    assert bad_issue.status_code == 422 and "not under grant" in bad_issue.json()["error"]["message"]
    assert walked.owner.post(url, json={"met_need": "yes"}).status_code == 403              # the holder does not close
    walked.owner.post(f"/api/v1/access/grants/{walked.grant_id}/revoke", json={"reason": "misuse"})
    assert walked.company.post(url, json={"met_need": "yes"}).status_code == 403            # revoked: nothing to close
