"""/api/docs works without internet: Swagger UI comes from the platform's own static files."""

import pytest


def test_docs_page_uses_only_local_assets(web):
    client = web()
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert "/static/swagger/swagger-ui-bundle.js" in page.text and "//cdn" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]  # no inline script needed
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "init.js"):
        assert client.get(f"/static/swagger/{asset}").status_code == 200


@pytest.mark.browser
def test_docs_render_in_a_browser_with_the_internet_cut_off(page, live_server, shoot):
    outside = []

    def only_local(route):
        if route.request.url.startswith(live_server):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.goto("/api/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "YiZhi" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".opblock").count() >= 20
    assert outside == []
    shoot(page, "api-docs-offline")
