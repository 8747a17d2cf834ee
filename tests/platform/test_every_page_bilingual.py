"""Every page, for every demo role, in both languages, error pages included, speaks the reader's
language (issue 17, first-day findings): no English sentence on a Chinese page, no raw code
(``assisted_diagnosis``, ``under_review``) on either, and no organisation's Chinese name on an
English page when the organisation has an English one (``display_name(locale)`` everywhere). Pages are found by crawling from the dashboard
and from the navigation of each role, so pages that other domains add are covered once merged.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import urljoin, urlparse

import pytest

from yizhi.demo import DEMO_PASSWORD, DEMO_PEOPLE

MAX_PAGES = 60
LINK = re.compile(r'href="([^"#]+)"')
# Runs of three or more English words: a sentence that was not translated.
ENGLISH_RUN = re.compile(r"\b[A-Za-z][a-z]+(?: [A-Za-z][a-z]+){2,}\b")
ALLOWED_ENGLISH = {"YiZhi"}
SKIPPED_TAGS = {"script", "style", "code", "pre", "textarea"}
SKIPPED_CLASSES = {"mono", "secret", "user-text"}


def known_codes() -> set[str]:
    """Codes a page must never show raw: enum values and category / maturity codes with an underscore."""
    from yizhi.accounts.models import OrgKind, Role
    from yizhi.jobs.models import JobState
    from yizhi.needs.matching.engine import CATEGORIES, MATURITY_LEVELS
    from yizhi.needs.models import EngagementStatus, NeedStatus

    values = {*CATEGORIES, *MATURITY_LEVELS}
    for enum in (OrgKind, Role, JobState, NeedStatus, EngagementStatus):
        values |= {member.value for member in enum}
    return {v for v in values if "_" in v}


class VisibleText(HTMLParser):
    """Text a reader sees, leaving out scripts, code, secrets and user-written text."""

    def __init__(self):
        super().__init__()
        self.stack: list[bool] = []
        self.chunks: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "img", "input", "meta", "link", "hr", "wbr"):
            return
        classes = set((dict(attrs).get("class") or "").split())
        hidden = tag in SKIPPED_TAGS or bool(classes & SKIPPED_CLASSES) or "data-user-text" in dict(attrs)
        self.stack.append(hidden or (self.stack[-1] if self.stack else False))

    def handle_endtag(self, tag):
        if self.stack and tag not in ("br", "img", "input", "meta", "link", "hr", "wbr"):
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]):
            self.chunks.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.chunks).split())


def user_strings() -> list[str]:
    """Every text people entered (titles, descriptions, names ...), read from every table: such text
    is shown as written, in whatever language its author used, and is not what this test checks."""
    from sqlalchemy import String, Text, select

    from yizhi.db import Base, session_scope
    from yizhi.registry import import_domain_models

    import_domain_models()
    found: set[str] = set()
    with session_scope() as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, (String, Text))]
            if not columns:
                continue
            for row in session.execute(select(*columns)).all():
                found.update(v for v in row if isinstance(v, str) and len(v) >= 4)
    return sorted(found, key=len, reverse=True)


def chinese_org_names() -> set[str]:
    """Chinese names of organisations that have a different English name."""
    from sqlalchemy import select

    from yizhi.accounts.models import Organization
    from yizhi.db import session_scope

    with session_scope() as session:
        return {o.name for o in session.scalars(select(Organization)) if o.name_en and o.name_en != o.name}


def problems_on(html: str, locale: str, codes: set[str], entered: list[str] = (),
                org_names: set[str] = frozenset()) -> list[str]:
    text = visible_text(html)
    for value in entered:
        if value in text and value not in org_names:  # longer texts that quote a name go first
            text = text.replace(value, " ")
    found = []
    if locale == "en":
        found += [f"Chinese organisation name on an English page: {name!r}" for name in org_names if name in text]
    if locale == "zh":
        for run in ENGLISH_RUN.findall(text):
            if run not in ALLOWED_ENGLISH:
                found.append(f"English on a Chinese page: {run!r}")
    for code in codes:
        if re.search(rf"(?<![\w/.-]){re.escape(code)}(?![\w/.-])", text):
            found.append(f"raw code {code!r}")
    return found


def crawl(client, start_pages: list[str]) -> dict[str, str]:
    pages: dict[str, str] = {}
    queue = list(start_pages)
    while queue and len(pages) < MAX_PAGES:
        url = queue.pop(0)
        if url in pages:
            continue
        response = client.get(url)
        if "text/html" not in response.headers.get("content-type", ""):
            pages[url] = ""
            continue
        pages[url] = response.text
        for href in LINK.findall(response.text):
            target = urlparse(urljoin(url, href.replace("&amp;", "&")))
            if target.netloc or not target.path.startswith("/") or target.path.startswith(("/static", "/api")):
                continue
            if "lang=" in (target.query or "") or target.path.endswith((".csv", ".xlsx", ".zip", ".jsonl")):
                continue
            queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return pages


ERROR_PATHS = ["/needs/999999", "/jobs/999999", "/orgs/no-such-org", "/needs/lists/999999", "/no/such/page"]


# Every role of every kind of organisation: commission owner and reviewer, hospital owner, member,
# reviewer and annotator, company owner and member, university annotator.
READERS = ["admin@commission.demo", "reviewer@commission.demo", "owner@hospital1.demo", "doctor@hospital1.demo",
           "reviewer@hospital1.demo", "annotator@hospital1.demo", "owner@mediai.demo", "engineer@mediai.demo",
           "annotator@university.demo"]


@pytest.mark.slow
@pytest.mark.parametrize("locale", ["zh", "en"])
@pytest.mark.parametrize("email", READERS)
def test_every_page_speaks_the_readers_language(web, seeded_demo, email, locale):
    assert set(READERS) <= {p[0] for p in DEMO_PEOPLE}
    client = web(SimpleNamespace(email=email, password=DEMO_PASSWORD))
    client.get(f"/?lang={locale}")  # remembered on the account and in the cookie
    pages = crawl(client, ["/", *ERROR_PATHS])
    codes, entered, org_names = known_codes(), user_strings(), chinese_org_names()
    assert org_names  # the demo gives its organisations English names
    failures = {url: found for url, html in pages.items()
                if html and (found := problems_on(html, locale, codes, entered, org_names))}
    assert len(pages) >= 3
    assert failures == {}, "\n".join(f"{url}: {found[:5]}" for url, found in list(failures.items())[:15])


def test_the_checker_finds_what_it_should():
    codes = known_codes()
    assert problems_on("<p>String should have at least 1 character</p>", "zh", codes)
    assert problems_on("<td>assisted_diagnosis</td>", "en", codes)
    assert not problems_on("<p>标题 至少需要 1 个字符</p><code>some english code here</code>", "zh", codes)
    assert not problems_on('<p class="mono">a user wrote this english</p>', "zh", codes)
    assert problems_on("<td>第一医院</td>", "en", codes, org_names={"第一医院"})
    assert not problems_on("<td>第一医院</td>", "zh", codes, org_names={"第一医院"})
    assert not problems_on("<td>First Hospital</td>", "en", codes, org_names={"第一医院"})
