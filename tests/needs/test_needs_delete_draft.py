"""Drafts can be deleted by their hospital (a first-day request); anything submitted keeps its history."""


def test_hospital_deletes_its_draft_but_not_a_submitted_need(api, web, cast):
    owner = api(cast.owner)
    draft = owner.post("/api/v1/needs", json={"title": "写错的草稿"}).json()
    assert api(cast.outsider).delete(f"/api/v1/needs/{draft['id']}").status_code == 404
    assert api(cast.company).delete(f"/api/v1/needs/{draft['id']}").status_code == 404
    assert owner.delete(f"/api/v1/needs/{draft['id']}").status_code == 204
    assert owner.get(f"/api/v1/needs/{draft['id']}").status_code == 404

    submitted = owner.post("/api/v1/needs", json={"title": "已提交"}).json()
    owner.post(f"/api/v1/needs/{submitted['id']}/submit")
    assert owner.delete(f"/api/v1/needs/{submitted['id']}").status_code == 403


def test_the_page_offers_delete_for_drafts_only(api, web, cast):
    draft = api(cast.owner).post("/api/v1/needs", json={"title": "页面草稿"}).json()
    client = web(cast.colleague)
    page = client.get(f"/needs/{draft['id']}").text
    assert f"/needs/{draft['id']}/delete" in page
    response = client.post_form(f"/needs/{draft['id']}/delete")
    assert response.status_code == 303
    assert "草稿已删除" in client.get(response.headers["location"]).text
