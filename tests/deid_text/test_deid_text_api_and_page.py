"""POST /api/v1/deid/text and the /deid/text page, with the fixed cast."""

import json

NOTE = "患者张三，电话13812345678，于2024年3月5日入院。"


def test_api_requires_login(api, cast):
    response = api().post("/api/v1/deid/text", json={"text": NOTE})
    assert response.status_code == 401


def test_api_returns_no_span_text_unless_asked(api, cast):
    body = api(cast.colleague).post("/api/v1/deid/text", json={"text": NOTE}).json()
    assert "张三" not in json.dumps(body, ensure_ascii=False) and "13812345678" not in json.dumps(body)
    assert all(set(span) == {"start", "end", "type", "confidence", "recognizer"} for span in body["spans"])


def test_api_deidentifies_with_offsets_into_the_original(api, cast):
    response = api(cast.colleague).post("/api/v1/deid/text", json={"text": NOTE, "keep_span_text": True})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["text"] == "患者[姓名]，电话[电话]，于[日期]入院。"
    assert body["lang"] == "zh" and body["policy"] == "redact"
    assert {(s["type"], s["text"]) for s in body["spans"]} == {("NAME", "张三"), ("PHONE", "13812345678"), ("DATE", "2024年3月5日")}
    for span in body["spans"]:
        assert NOTE[span["start"] : span["end"]] == span["text"]
        assert 0 < span["confidence"] <= 1 and span["recognizer"]


def test_api_surrogates_are_stable_across_calls(api, cast):
    client = api(cast.owner)
    first = client.post("/api/v1/deid/text", json={"text": NOTE, "policy": "surrogate", "patient_id": "p1"}).json()
    second = client.post("/api/v1/deid/text", json={"text": NOTE, "policy": "surrogate", "patient_id": "p1"}).json()
    assert first["text"] == second["text"] and "张三" not in first["text"]


def test_api_refuses_more_than_one_megabyte(api, cast):
    response = api(cast.colleague).post("/api/v1/deid/text", json={"text": "字" * 400_000})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_api_explains_bad_input(api, cast):
    client = api(cast.colleague)
    broken = client.post("/api/v1/deid/text", content=b'{"text": ', headers={"Content-Type": "application/json"})
    assert broken.status_code == 422 and "not valid JSON" in broken.json()["error"]["message"]
    wrong = client.post("/api/v1/deid/text", json={"text": NOTE, "policy": "blur"})
    assert wrong.status_code == 422 and wrong.json()["error"]["message"].startswith("policy")
    missing = client.post("/api/v1/deid/text", json={"note": NOTE})
    assert missing.status_code == 422


def test_page_needs_login(web):
    response = web().get("/deid/text")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_page_shows_identifiers_beside_the_result_in_chinese(web, cast):
    client = web(cast.colleague)
    assert client.get("/deid/text").status_code == 200
    response = client.post_form("/deid/text", {"text": NOTE, "lang": "auto", "policy": "redact"})
    assert response.status_code == 200
    html = response.text
    assert '<mark class="phi" data-type="NAME"' in html and ">张三</mark>" in html
    assert "患者[姓名]，电话[电话]，于[日期]入院。" in html
    assert "去标识化" in html  # the page speaks Chinese by default


def test_page_in_english(web, cast):
    client = web(cast.owner)
    page = client.get("/deid/text?lang=en")
    assert page.status_code == 200 and "De-identify a note" in page.text


def test_page_escapes_the_note(web, cast):
    client = web(cast.colleague)
    response = client.post_form("/deid/text", {"text": "<script>alert(1)</script> 患者李四", "lang": "zh", "policy": "mask"})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text and "&lt;script&gt;" in response.text


def test_page_refuses_an_oversized_note_with_a_clear_page(web, cast):
    client = web(cast.colleague)
    response = client.post_form("/deid/text", {"text": "a" * (1024 * 1024 + 10), "lang": "auto", "policy": "redact"})
    # the route's body limit (the note's 1 MB) answers 413 while the form streams, before the form parser
    # (which would give a vaguer 400) reads it: a page in the reader's language that says why
    assert response.status_code == 413
    assert "超过此地址允许的大小" in response.text
    english = client.post_form("/deid/text?lang=en", {"text": "a" * (1024 * 1024 + 10), "lang": "auto", "policy": "redact"})
    assert english.status_code == 413 and "larger than this address accepts" in english.text
