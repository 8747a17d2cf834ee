"""Log in as every demo person and follow every link reachable from the dashboard: no page may fail
with a server error, and every page keeps the layout (navigation and language switch)."""

import re
from urllib.parse import urljoin, urlparse

import pytest

from yizhi.demo import DEMO_PASSWORD, DEMO_PEOPLE

LINK = re.compile(r'href="([^"#]+)"')
MAX_PAGES = 120


def crawl(client, start: str = "/") -> dict[str, int]:
    seen: dict[str, int] = {}
    queue = [start]
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = response.status_code
        if response.status_code != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue
        assert 'class="lang"' in response.text, url
        for href in LINK.findall(response.text):
            target = urljoin(url, href.replace("&amp;", "&"))
            parsed = urlparse(target)
            if parsed.netloc or not parsed.path.startswith("/") or parsed.path.startswith(("/static", "/api/docs")):
                continue
            if "lang=" in (parsed.query or ""):
                continue
            queue.append(parsed.path + (f"?{parsed.query}" if parsed.query else ""))
    return seen


# One person per kind of organisation and role: commission admin, hospital owner and member, company
# owner and member, university annotator.
CRAWLERS = ["admin@commission.demo", "owner@hospital1.demo", "doctor@hospital1.demo", "owner@mediai.demo",
            "engineer@mediai.demo", "annotator@university.demo"]


@pytest.mark.slow
@pytest.mark.parametrize("email", CRAWLERS)
def test_every_reachable_page_renders(web, seeded_demo, email):
    from types import SimpleNamespace

    client = web(SimpleNamespace(email=email, password=DEMO_PASSWORD))
    pages = crawl(client)
    assert {p[0] for p in DEMO_PEOPLE} >= set(CRAWLERS)
    # Not even a 403/404: a page must not offer a link its reader cannot open.
    failures = {url: status for url, status in pages.items() if status != 200}
    assert failures == {}
    assert len(pages) >= 5
    assert pages["/"] == 200
