"""Needs-list releases: numbered, frozen, versioned, exported to CSV and XLSX, public."""

import csv
import io

from openpyxl import load_workbook

NEED = {"description": "希望AI自动发现颅内出血并计算出血量。", "modalities": ["ct"], "department": "放射科",
        "contact_name": "陈医生", "contact_info": "chen@hospital.test"}


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def publish(api, cast, title):
    owner, admin = api(cast.owner), api(cast.admin)
    need = ok(owner.post("/api/v1/needs", json={**NEED, "title": title}), 201)
    ok(owner.post(f"/api/v1/needs/{need['id']}/submit"))
    ok(admin.post(f"/api/v1/needs/{need['id']}/review", json={"decision": "approve"}))
    return need


def test_release_numbering_snapshot_and_exports(api, cast):
    admin = api(cast.admin)
    assert api(cast.owner).post("/api/v1/needs/releases", json={}).status_code == 403
    assert admin.post("/api/v1/needs/releases", json={}).status_code == 409  # nothing approved yet
    first = publish(api, cast, "急诊脑出血CT")
    r1 = ok(admin.post("/api/v1/needs/releases", json={}), 201)
    assert r1["number"] == 1 and r1["version"] == 1 and r1["need_count"] == 1
    assert r1["title"].endswith("年第1期医疗人工智能临床需求清单")
    publish(api, cast, "病理切片辅助诊断")
    r2 = ok(admin.post("/api/v1/needs/releases", json={"title": "第二期"}), 201)
    assert r2["number"] == 2 and r2["need_count"] == 1  # only what is new since the first list

    anonymous = api()
    listed = ok(anonymous.get("/api/v1/needs/releases"))
    assert [r["number"] for r in listed] == [2, 1]
    detail = ok(anonymous.get(f"/api/v1/needs/releases/{r1['id']}"))
    assert [n["title"] for n in detail["needs"]] == ["急诊脑出血CT"]

    # frozen: the need closes, the list still shows it as released
    ok(api(cast.owner).post(f"/api/v1/needs/{first['id']}/close"))
    assert ok(anonymous.get(f"/api/v1/needs/releases/{r1['id']}"))["snapshot_sha256"] == r1["snapshot_sha256"]

    exported = anonymous.get(f"/api/v1/needs/releases/{r1['id']}/export.csv")
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][2] == "需求名称 Title" and rows[1][2] == "急诊脑出血CT" and rows[1][3] == "第一医院"

    xlsx = anonymous.get(f"/api/v1/needs/releases/{r1['id']}/export.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet["A1"].value.endswith("需求清单") and sheet["C4"].value == "急诊脑出血CT"
    assert anonymous.get(f"/api/v1/needs/releases/{r1['id']}/export.pdf").status_code == 404

    revised = ok(admin.post(f"/api/v1/needs/releases/{r1['id']}/revise", json={"notes": "更正联系人"}), 201)
    assert (revised["number"], revised["version"]) == (1, 2)
    assert ok(anonymous.get(f"/api/v1/needs/releases/{r1['id']}"))["version"] == 1  # the old version stays
