"""One-shot messages shown on the page after a redirect (post → redirect → get)."""

from __future__ import annotations

from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import RedirectResponse

FLASH_COOKIE = "yizhi_flash"


def redirect_with_flash(url: str, message: str, kind: str = "ok") -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(FLASH_COOKIE, quote(f"{kind}|{message}"), max_age=60, httponly=True, samesite="lax")
    return response


def pop_flash(request: Request) -> tuple[str | None, str | None]:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None, None
    kind, _, message = unquote(raw).partition("|")
    return message or None, kind if kind in ("ok", "error", "info") else "info"
