"""Pages in both languages: search with facets, the dataset page, the version page with its
quality charts, the card form and publishing, the public card page."""

import pyarrow as pa
import pytest

from catalog_helpers import FULL_CARD, LABS_CSV, NOTES_JSONL, build_version_via_job, org
from yizhi.catalog.testing import make_version


@pytest.fixture
def built(cast):
    return build_version_via_job("dm-pages", {"labs.csv": LABS_CSV.encode(), "notes.jsonl": NOTES_JSONL.encode()})


def test_version_page_in_chinese_and_english(web, cast, built):
    client = web(cast.owner)
    zh = client.get("/datasets/dm-pages/1?lang=zh")
    assert zh.status_code == 200
    for text in ("质量报告", "数据集卡片", "缺失值占比", "<svg", "与上一版本相比的变化", "发布所需"):
        assert text in zh.text, text
    assert "张三" not in zh.text and "13812345678" not in zh.text   # no row-level data on a page
    en = client.get("/datasets/dm-pages/1?lang=en")
    for text in ("Quality report", "Dataset card", "Share of missing values", "Changes since the previous version"):
        assert text in en.text, text
    assert "inclusion_criteria" in en.text                          # the missing template field is named


def test_card_form_then_publish_from_the_page(web, cast, built):
    client = web(cast.colleague)
    refused = client.post_form("/datasets/dm-pages/1/publish")
    assert refused.status_code == 303
    page = client.get("/datasets/dm-pages/1")
    assert "无法发布 dm-pages@1：卡片缺少" in page.text and "inclusion_criteria" in page.text
    bad = client.post_form("/datasets/dm-pages/1/card", {"number_of_records": "lots"})
    assert bad.status_code == 422 and "必须是整数" in bad.text
    saved = client.post_form("/datasets/dm-pages/1/card", {
        **{k: (v if isinstance(v, str) else "; ".join(v)) for k, v in FULL_CARD.items()}})
    assert saved.status_code == 303
    assert client.post_form("/datasets/dm-pages/1/publish").status_code == 303
    assert "已发布" in client.get("/datasets/dm-pages/1?lang=zh").text
    public = web().get("/catalog/dm-pages/1?lang=en")
    assert public.status_code == 200 and "HbA1c results" in public.text


def test_search_facets_and_new_dataset_form(web, db, cast):
    table = pa.table({"patient": [f"p{i}" for i in range(12)]})
    card = {**FULL_CARD, "title": "t", "publisher": "H", "number_of_records": 12, "access_rights": "NON_PUBLIC"}
    lung = make_version(db, org(db, "hospital"), "lung-set", {"t": table}, card=card)
    lung.dataset.organ, lung.dataset.disease, lung.dataset.modalities = "lung", "pulmonary nodule", ["CT"]
    make_version(db, org(db, "other-hospital"), "eye-set", {"t": table}, card=card)
    db.commit()
    client = web(cast.company)
    page = client.get("/datasets?lang=zh")
    assert "lung-set" in page.text and "eye-set" in page.text and "肺结节" in page.text
    filtered = client.get("/datasets?organ=lung")
    assert "lung-set" in filtered.text and 'data-dataset="eye-set"' not in filtered.text
    by_hospital = client.get("/datasets?hospital=other-hospital&lang=en")
    assert 'data-dataset="eye-set"' in by_hospital.text and 'data-dataset="lung-set"' not in by_hospital.text
    assert client.get("/datasets/new").status_code == 404          # a company keeps no datasets
    owner = web(cast.owner)
    form = owner.get("/datasets/new?lang=zh")
    assert form.status_code == 200 and "2型糖尿病电子病历" in form.text
    created = owner.post_form("/datasets/new", {"org": "hospital", "slug": "stroke-2026", "title": "卒中",
                                                "template": "stroke"})
    assert created.status_code == 303 and created.headers["location"] == "/datasets/stroke-2026"
    again = owner.post_form("/datasets/new", {"org": "hospital", "slug": "stroke-2026", "title": "卒中"})
    assert again.status_code == 409 and "已存在" in again.text


def test_ingest_from_the_page_with_a_plain_file_field(web, cast):
    client = web(cast.owner)
    client.post_form("/datasets/new", {"org": "hospital", "slug": "form-dm", "title": "DM"})
    page = client.get("/datasets/form-dm")
    assert 'id="upload-form"' in page.text and "/datasets/upload.js" in page.text
    assert client.get("/datasets/upload.js").headers["content-type"].startswith("text/javascript")
    response = client.http.post("/datasets/form-dm/ingest", data={"csrf_token": client.csrf, "profile": ""},
                                files={"files": ("notes.jsonl", NOTES_JSONL.encode(), "application/octet-stream")})
    assert response.status_code == 303 and response.headers["location"] == "/datasets/form-dm/1"
    building = client.get("/datasets/form-dm/1/status")
    assert building.status_code == 200 and "hx-trigger" in building.text
    from catalog_helpers import run_jobs
    run_jobs()
    done = client.get("/datasets/form-dm/1?lang=en")
    assert "ready" in done.text and "notes" in done.text


def test_dashboard_counts_versions_waiting(web, db, cast):
    make_version(db, org(db, "hospital"), "waiting", {"t": pa.table({"patient": ["p"]})}, publish=False)
    db.commit()
    page = web(cast.colleague).get("/?lang=en")
    assert "Datasets of" in page.text and "1 version(s) ready to publish" in page.text
    assert "Datasets of" not in web(cast.company).get("/?lang=en").text
