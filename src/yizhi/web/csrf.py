"""CSRF protection for every state-changing request that rides on a cookie.

A random ``yizhi_csrf`` cookie (HttpOnly) is set on every visitor; forms and htmx send a token
that is the HMAC of that cookie under the platform secret. A cross-site page can neither read the
cookie nor compute the HMAC. Requests authenticated by a bearer API token carry no ambient
authority and need no token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request

from yizhi.config import get_settings
from yizhi.errors import PermissionDenied

CSRF_COOKIE = "yizhi_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


def new_cookie_value() -> str:
    return secrets.token_urlsafe(32)


def token_for(cookie_value: str) -> str:
    key = get_settings().resolved_secret_key().encode()
    return hmac.new(key, f"csrf:{cookie_value}".encode(), hashlib.sha256).hexdigest()


def cookie_value(request: Request) -> str:
    # The middleware puts a fresh value on first visits before the cookie exists.
    return request.cookies.get(CSRF_COOKIE) or request.state.new_csrf_cookie


async def csrf_protect(request: Request) -> None:
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
    if not cookie or not sent or not hmac.compare_digest(sent, token_for(cookie)):
        raise PermissionDenied(
            "the form's security token is missing or stale; reload the page and try again",
            code="csrf_failed",
        )
