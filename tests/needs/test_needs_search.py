"""Browse and search: filters, relevance order, drafts visible only to their hospital, paging."""


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def make_need(api, member, title, description, modalities, publish_by=None):
    need = ok(api(member).post("/api/v1/needs", json={"title": title, "description": description,
                                                       "modalities": modalities}), 201)
    if publish_by is not None:
        ok(api(member).post(f"/api/v1/needs/{need['id']}/submit"))
        ok(api(publish_by).post(f"/api/v1/needs/{need['id']}/review", json={"decision": "approve"}))
    return need["id"]


def titles(payload):
    return [n["title"] for n in payload["items"]]


def test_search_filters_and_visibility(api, cast):
    draft = make_need(api, cast.owner, "急诊脑出血CT草稿", "头颅CT颅内出血自动检测", ["ct"])
    fundus = make_need(api, cast.owner, "社区糖网筛查", "眼底照相筛查糖尿病视网膜病变", ["fundus"], cast.admin)
    tongue = make_need(api, cast.outsider, "中医舌诊客观化", "舌象采集与体质辨识", ["image"], cast.admin)
    owner, outsider = api(cast.owner), api(cast.outsider)

    assert titles(ok(owner.get("/api/v1/needs?q=diabetic retinopathy screening")))[0] == "社区糖网筛查"
    assert "急诊脑出血CT草稿" in titles(ok(owner.get("/api/v1/needs?q=脑出血")))
    assert "急诊脑出血CT草稿" not in titles(ok(outsider.get("/api/v1/needs?q=脑出血")))
    assert titles(ok(owner.get("/api/v1/needs?modality=fundus"))) == ["社区糖网筛查"]
    assert {n["id"] for n in ok(owner.get("/api/v1/needs?status=published"))["items"]} == {fundus, tongue}
    assert [n["id"] for n in ok(owner.get("/api/v1/needs?mine=true"))["items"]] == [fundus, draft]
    assert titles(ok(owner.get("/api/v1/needs?org=other-hospital"))) == ["中医舌诊客观化"]
    assert owner.get("/api/v1/needs?status=sleeping").status_code == 422
    first = ok(owner.get("/api/v1/needs?limit=1"))
    second = ok(owner.get("/api/v1/needs?limit=1&offset=1"))
    assert first["total"] == second["total"] == 3 and first["items"][0]["id"] != second["items"][0]["id"]
    # The total rides on the page as a window count; past the end it is counted alone.
    beyond = ok(owner.get("/api/v1/needs?limit=2&offset=5"))
    assert beyond == {"total": 3, "items": []}
    assert ok(owner.get("/api/v1/needs?limit=2&offset=2&mine=true"))["total"] == 2
    assert ok(owner.get("/api/v1/needs?category=nothing-filed")) == {"total": 0, "items": []}


def test_solution_search_and_withdrawal(api, cast):
    company = api(cast.company)
    kept = ok(company.post("/api/v1/needs/solutions", json={"title": "病理切片AI", "description": "宫颈细胞学阅片",
                                                            "maturity": "product"}), 201)
    gone = ok(company.post("/api/v1/needs/solutions", json={"title": "病理切片扫描仪", "description": "全切片扫描"}), 201)
    ok(company.post(f"/api/v1/needs/solutions/{gone['id']}/withdraw"))
    found = ok(api(cast.owner).get("/api/v1/needs/solutions?q=病理"))
    assert [s["id"] for s in found["items"]] == [kept["id"]]
    assert api(cast.owner).get(f"/api/v1/needs/solutions/{gone['id']}").status_code == 404
    assert ok(company.get(f"/api/v1/needs/solutions/{gone['id']}"))["status"] == "withdrawn"
    assert ok(api(cast.owner).get("/api/v1/needs/solutions?maturity=product"))["total"] == 1
