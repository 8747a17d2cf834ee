"""A registration with a 200,000-character description made the approval page 1.6 million pixels
wide (issue 17, first day): the field is limited, the refusal names it in the reader's language,
and nothing is registered."""

from sqlalchemy import select

CREDIT_CODE = "91110000600037341L"  # a valid 统一社会信用代码


def _register(web, description, lang="zh"):
    return web().post_form(f"/register?lang={lang}", {
        "slug": "long-co", "name": "长描述公司", "kind": "company", "credit_code": CREDIT_CODE,
        "email": "long@co.test", "display_name": "某人", "password": "Startup-Pass-2026",
        "description": description})


def test_an_overlong_description_is_refused_with_the_field_named(web, db):
    from yizhi.accounts.models import Organization

    response = _register(web, "长" * 20_000)
    assert response.status_code == 422
    assert "描述" in response.text and "长" * 5_001 not in response.text  # the form keeps a bounded copy
    huge = _register(web, "长" * 200_000)  # 1.8 MB url-encoded: past the form parser's part limit
    assert huge.status_code in (400, 413, 422)
    assert db.scalar(select(Organization).where(Organization.slug == "long-co")) is None
    english = _register(web, "x" * 200_000, lang="en")
    assert english.status_code == 422 and "description must have at most" in english.text
