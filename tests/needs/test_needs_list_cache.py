"""The needs list's per-process cache (yizhi.needs.list_cache): a change made elsewhere shows on the
next request, and a viewer never gets a rendering made for a viewer with other rights."""

import re

from sqlalchemy import select, update

from yizhi.db import session_scope
from yizhi.needs import list_cache
from yizhi.needs.models import ListVersion, Need


def _file_draft(title: str, org_slug: str = "hospital") -> int:
    """A draft need straight into the database (no encoder: these tests are about the list)."""
    from yizhi.accounts.models import Organization

    with session_scope() as s:
        org = s.scalar(select(Organization).where(Organization.slug == org_slug))
        need = Need(org_id=org.id, title=title, category="other")
        s.add(need)
        s.flush()
        return need.id


def _viewer(app, member):
    """A logged-in page client without the password check (argon2 costs most of a login)."""
    from tests.conftest import WebClient
    from yizhi.accounts import service
    from yizhi.accounts.models import Person
    from yizhi.web.csrf import SESSION_COOKIE

    client = WebClient(app)
    with session_scope() as s:
        client.http.cookies.set(SESSION_COOKIE, service.start_session(s, s.get(Person, member.id), "test"))
    return client


def _version() -> int | None:
    with session_scope() as s:
        return s.scalar(select(ListVersion.version).where(ListVersion.id == 1))


def test_a_change_committed_by_another_session_shows_on_the_next_request(app, cast):
    owner = _viewer(app, cast.owner)
    need_id = _file_draft("病理切片AI初筛")
    assert "病理切片AI初筛" in owner.get("/needs").text
    hits = list_cache.CACHE.hits
    assert "病理切片AI初筛" in owner.get("/needs").text
    assert list_cache.CACHE.hits == hits + 1  # the second one came from the cache

    before = _version()
    with session_scope() as s:  # another process would write the same way: its own session, its own commit
        s.get(Need, need_id).title = "病理切片AI二次筛查"
    assert _version() != before
    page = owner.get("/needs").text
    assert "病理切片AI二次筛查" in page and "病理切片AI初筛" not in page


def test_viewers_share_a_rendering_only_with_the_same_rights_and_never_each_others_names(app, cast):
    owner, colleague = _viewer(app, cast.owner), _viewer(app, cast.colleague)
    _file_draft("医院内部草稿需求")
    owner_page = owner.get("/needs").text
    assert "医院内部草稿需求" in owner_page and "张院长" in owner_page
    owner_token = re.search(r'name="csrf_token" value="([^"]+)"', owner_page).group(1)

    hits = list_cache.CACHE.hits
    colleague_page = colleague.get("/needs").text  # same organisation: the same list, shared
    assert list_cache.CACHE.hits == hits + 1
    assert "医院内部草稿需求" in colleague_page and "陈医生" in colleague_page
    assert "张院长" not in colleague_page and owner_token not in colleague_page
    assert colleague.csrf in colleague_page

    for other in (cast.outsider, cast.admin):  # a draft of another organisation: never
        page = _viewer(app, other).get("/needs").text
        assert 'id="needs-table"' in page and "医院内部草稿需求" not in page, other.email
    english = colleague.get("/needs?lang=en").text  # the language is in the key
    assert "Needs library" in english and "医院内部草稿需求" in english


def test_the_counter_moves_with_listed_changes_only():
    from yizhi.accounts import service
    from yizhi.accounts.models import Organization, Person

    with session_scope() as s:
        service.create_organization(s, slug="hospital", name="第一医院", kind="hospital")
    start = _version()
    assert start is not None  # a new organisation is a listed change
    with session_scope() as s:
        s.add(Person(email="someone@test.test", display_name="某人", password_hash="-"))
    assert _version() == start  # a change the list does not show
    with session_scope() as s:
        s.scalar(select(Organization).where(Organization.slug == "hospital")).name_en = "First Hospital"
    renamed = _version()
    assert renamed != start  # the list shows organisations' names
    _file_draft("批量")
    drafted = _version()
    with session_scope() as s:
        s.execute(update(Need).values(department="放射科"))  # a bulk statement bypasses the flush
    assert _version() != drafted
    bulk = _version()
    with session_scope() as s:
        s.scalar(select(Organization).where(Organization.slug == "hospital")).name_en = "Rolled Back"
        s.flush()
        s.rollback()
    assert _version() == bulk


def test_no_counter_row_means_no_cache_and_a_write_brings_it_back(app, cast):
    with session_scope() as s:
        s.execute(ListVersion.__table__.delete())
    owner = _viewer(app, cast.owner)
    hits, misses = list_cache.CACHE.hits, list_cache.CACHE.misses
    owner.get("/needs")
    owner.get("/needs")
    assert (list_cache.CACHE.hits, list_cache.CACHE.misses) == (hits, misses)  # rendered, never kept
    _file_draft("重新计数")
    assert _version() is not None


def test_the_cache_drops_everything_when_the_counter_moves():
    cache = list_cache.ListingCache(size=2)
    assert cache.get("a", 1) is None
    cache.put("a", 1, "<p>a</p>")
    assert cache.get("a", 1) == "<p>a</p>"
    assert cache.get("a", 2) is None  # newer data: the old rendering is gone
    cache.put("a", 1, "<p>stale</p>")  # rendered from data older than what was since seen: not kept
    assert cache.get("a", 2) is None
    for key in "bcd":
        cache.put(key, 2, key)
    assert len(cache.entries) == 2 and cache.get("b", 2) is None  # bounded, oldest out
