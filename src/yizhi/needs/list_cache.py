"""A per-process cache of the needs library's rendered list (/needs, the part under the header).

Why: /needs is the platform's busiest page, and counting, loading and rendering its 25 rows was most
of its server CPU, while the list changes rarely. A cached rendering is served only when

1. the data has not changed since it was rendered: every transaction that changes a need or an
   organisation bumps one counter row (``needs.models.ListVersion``) in that transaction, so every
   process sees the new value with the commit that made the change. A request reads the counter
   *before* it reads the list, so a rendering kept under value v shows v's data or newer, never older;
2. the viewer would run exactly the same query and see the same buttons: the key holds everything the
   query and the rendering depend on — language, platform-admin flag, the viewer's organisations
   (their drafts are visible to members), whether the viewer may file needs, the filters and page.

The rendering holds nothing else about the viewer: the CSRF token, the name and the unread badge are
in base.html, rendered per request (``yizhi.web.templating.fragment`` gives a template no viewer).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Hashable

from sqlalchemy import select
from sqlalchemy.orm import Session

from yizhi.accounts.permissions import is_platform_admin
from yizhi.needs.models import ListVersion

MAX_ENTRIES = 256  # distinct (viewer scope, filters, page) renderings kept per process
MAX_FREE_TEXT = 200  # longer search texts are rendered, not kept (bounds the cache's memory)


class ListingCache:
    """Renderings for one counter value; all are dropped when the value changes."""

    def __init__(self, size: int = MAX_ENTRIES) -> None:
        self.size = size
        self.version: int | None = None
        self.entries: OrderedDict[Hashable, str] = OrderedDict()
        self.lock = threading.Lock()  # the thread pool serves several requests of a process at once
        self.hits = self.misses = 0

    def get(self, key: Hashable, version: int) -> str | None:
        with self.lock:
            if version != self.version:
                self.entries.clear()
                self.version = version
            html = self.entries.get(key)
            if html is None:
                self.misses += 1
                return None
            self.hits += 1
            self.entries.move_to_end(key)
            return html

    def put(self, key: Hashable, version: int, html: str) -> None:
        with self.lock:
            if version != self.version:  # the data moved on while this was rendered: keep nothing
                return
            self.entries[key] = html
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.version = None


CACHE = ListingCache()


def version_column():
    """The counter as a scalar subquery: /needs reads it in the round trip that looks up the login
    session (``reads_only(with_session=...)``), which also comes before the list is read."""
    return select(ListVersion.version).where(ListVersion.id == 1).scalar_subquery()


def current_version(session: Session) -> int | None:
    """The counter; None when its row is missing (then nothing is cached)."""
    return session.scalar(select(ListVersion.version).where(ListVersion.id == 1))


def viewer_scope(person) -> tuple:
    """What decides which needs a person sees (``service.visible_needs_clause`` and the `mine` filter):
    two people with the same scope run the same query."""
    return is_platform_admin(person), tuple(sorted({m.organization_id for m in person.memberships}))


UNREAD = object()  # "the caller did not read the counter"


def listing(session: Session, key: tuple, render: Callable[[], str], free_text: str = "",
            version=UNREAD) -> str:
    """The cached rendering for `key` if the data is unchanged, else `render()` (kept for the next).
    ``version``: the counter when the request already read it (before the list), else it is read now."""
    if version is UNREAD:
        version = current_version(session)
    if version is None or len(free_text) > MAX_FREE_TEXT:
        return render()
    html = CACHE.get(key, version)
    if html is None:
        html = render()
        CACHE.put(key, version, html)
    return html
