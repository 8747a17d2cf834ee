"""Jinja2 rendering with the person, the language, CSRF and the navigation in every page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from babel.dates import format_datetime, get_timezone
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

import yizhi
from yizhi.web import csrf, i18n


@dataclass(frozen=True)
class NavItem:
    """A link in the top navigation; domains list theirs in ``views.NAV``."""

    path: str
    label: str  # English msgid, translated when rendered
    order: int = 100
    visible: Callable[[Any], bool] = lambda person: person is not None


def template_dirs() -> list[Path]:
    root = Path(yizhi.__file__).parent
    return [root / "web" / "templates", *sorted(p for p in root.glob("*/templates") if p.is_dir()
                                               and p.parent.name != "web")]


_env: Environment | None = None
SHOWN_TIMEZONE = get_timezone("Asia/Shanghai")  # resolved once, not for every date on a page


def environment() -> Environment:
    global _env
    if _env is None:
        _env = Environment(
            loader=FileSystemLoader([str(p) for p in template_dirs()]),
            autoescape=select_autoescape(["html", "xml"]),
            trim_blocks=True,
            lstrip_blocks=True,
            # Templates ship with the package: no stat of every template file on every render.
            auto_reload=False,
        )
    return _env


_nav_cache: list[NavItem] | None = None


def nav_items() -> list[NavItem]:
    global _nav_cache
    if _nav_cache is None:
        from yizhi.registry import domain_modules

        items = [item for module in domain_modules("views") for item in getattr(module, "NAV", [])]
        _nav_cache = sorted(items, key=lambda item: item.order)
    return _nav_cache


def locale_of(request: Request) -> str:
    return getattr(request.state, "locale", i18n.DEFAULT_LOCALE)


def translator(request: Request) -> Callable[[str], str]:
    translations = i18n.translations_for(locale_of(request))
    return translations.gettext


def unread_notifications(person) -> int | None:
    """The unread badge: counted in the request's own session (the one that loaded the person), so a
    page never takes a second pooled connection; None when there is no live session to ask."""
    if person is None:
        return None
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.orm import object_session

    from yizhi.notify.service import unread_count

    session = object_session(person)
    if session is None:
        return _unread_in_own_session(person.id)
    try:
        return unread_count(session, person.id)
    except SQLAlchemyError:  # an error page after a failed statement: show the page without the count
        return None


def _unread_for(request: Request, person) -> int | None:
    """The badge read with the session on a page that only reads (``reads_only``: nothing in the
    request can have changed it since), else counted now."""
    preloaded = getattr(request.state, "unread_notifications", None)
    if person is not None and preloaded is not None:
        return preloaded
    return unread_notifications(person)


def _unread_in_own_session(person_id: int) -> int | None:
    """Pages whose route takes no database session get the person detached after authentication
    (the connection goes back to the pool early): count in a short session of our own — but never on
    the event loop (an async error handler), where a blocking query would stall every request."""
    import asyncio

    from sqlalchemy.exc import SQLAlchemyError

    from yizhi.db import session_scope
    from yizhi.notify.service import unread_count

    try:
        asyncio.get_running_loop()
        return None
    except RuntimeError:
        pass  # a worker thread: a blocking query is fine here
    try:
        with session_scope() as db:
            return unread_count(db, person_id)
    except SQLAlchemyError:
        return None


def _when_for(locale: str) -> Callable[..., str]:
    def when(value: datetime | None, fmt: str = "medium") -> str:
        if value is None:
            return ""
        return format_datetime(value, format=fmt, locale=i18n.babel_locale(locale), tzinfo=SHOWN_TIMEZONE)

    return when


def fragment(request: Request, template: str, context: dict) -> str:
    """A part of a page rendered on its own with the language helpers (`_`, `when`, `locale`) and
    nothing about the viewer — no person, CSRF token or flash — so it may be cached and shared by
    viewers with the same rights (``yizhi.needs.list_cache``); pass it to `render` as Markup."""
    locale = locale_of(request)
    gettext = translator(request)
    full = {"locale": locale, "_": gettext, "gettext": gettext, "when": _when_for(locale), **context}
    return environment().get_template(template).render(full)


def render(request: Request, template: str, context: dict | None = None, *,
           status_code: int = 200, headers: dict | None = None) -> HTMLResponse:
    locale = locale_of(request)
    gettext = translator(request)
    person = getattr(request.state, "person", None)
    when = _when_for(locale)

    full = {
        "request": request,
        "person": person,
        "locale": locale,
        "locales": i18n.LOCALE_LABELS,
        "_": gettext,
        "gettext": gettext,
        "when": when,
        "csrf_token": csrf.request_token(request),
        "nav": [item for item in nav_items() if item.visible(person)],
        "current_path": request.url.path,
        "unread_notifications": _unread_for(request, person),
    }
    from yizhi.web.flash import FLASH_COOKIE, pop_flash

    flash, flash_kind = pop_flash(request)
    if flash:
        full["flash"], full["flash_kind"] = gettext(flash), flash_kind
    full.update(context or {})
    html = environment().get_template(template).render(full)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    if flash:
        response.delete_cookie(FLASH_COOKIE)
    return response
