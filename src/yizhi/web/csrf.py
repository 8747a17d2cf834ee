"""CSRF protection for every state-changing request that rides on a cookie.

A random ``yizhi_csrf`` cookie (HttpOnly) is set on every visitor; forms and htmx send a token
that is the HMAC, under the platform secret, of that cookie *and of the login session* the
request rides on. A cross-site page can neither read the cookies nor compute the HMAC, and a
token leaked from one session (or planted before a login) is worthless in another. Requests
authenticated by a bearer API token carry no ambient authority and need no token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request

from yizhi.config import get_settings
from yizhi.errors import N_, PermissionDenied

CSRF_COOKIE = "yizhi_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_COOKIE = "yizhi_session"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


def new_cookie_value() -> str:
    return secrets.token_urlsafe(32)


def token_for(cookie_value: str, session_cookie: str | None = None) -> str:
    """The token for this visitor's CSRF cookie, bound to the login session (if any)."""
    key = get_settings().resolved_secret_key().encode()
    bound = hashlib.sha256((session_cookie or "").encode()).hexdigest()
    return hmac.new(key, f"csrf:{cookie_value}:{bound}".encode(), hashlib.sha256).hexdigest()


def cookie_value(request: Request) -> str:
    # The middleware puts a fresh value on first visits before the cookie exists.
    return request.cookies.get(CSRF_COOKIE) or request.state.new_csrf_cookie


def session_value(request: Request) -> str | None:
    """The session the page is rendered for: a login answered in this response starts a new one."""
    return getattr(request.state, "new_session_cookie", None) or request.cookies.get(SESSION_COOKIE)


def request_token(request: Request) -> str:
    return token_for(cookie_value(request), session_value(request))


async def csrf_protect(request: Request) -> None:
    """Runs on the event loop: reads the form asynchronously, computes one HMAC, no blocking call."""
    if request.method in SAFE_METHODS:
        return
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return
    cookie = request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    expected = token_for(cookie, request.cookies.get(SESSION_COOKIE)) if cookie else ""
    if not cookie or not sent or not hmac.compare_digest(sent, expected):
        raise PermissionDenied(
            N_("the form's security token is missing or stale; reload the page and try again"),
            code="csrf_failed",
        )
