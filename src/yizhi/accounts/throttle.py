"""Login throttling that neither locks out the real user nor tells an attacker which accounts exist.

* Failures are counted per e-mail address typed (whether or not an account has it) and per client
  address, over ``YIZHI_LOGIN_LOCKOUT_MINUTES``: ``YIZHI_LOGIN_MAX_FAILURES`` for one e-mail, four
  times that for one address (a hospital's NAT). Past either, *every* login from there answers the
  same 429 — for real and unknown accounts alike.
* A browser that has logged in to an account before holds a signed *device cookie* for it (OWASP's
  "device cookies"). Its attempts skip the per-e-mail and per-address counts and have a budget of
  their own, so an attacker guessing from elsewhere cannot lock the owner of a known-good session out.
* The client address is the TCP peer's unless ``YIZHI_TRUSTED_PROXIES`` names the reverse proxy in
  front (then uvicorn takes it from X-Forwarded-For).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yizhi.accounts.models import LoginFailure
from yizhi.config import get_settings
from yizhi.db import utcnow
from yizhi.errors import N_, TooManyRequests

DEVICE_COOKIE = "yizhi_device"
DEVICE_PREFIX = "device:"
THROTTLED = N_("too many failed logins; wait a few minutes and try again")


def _key() -> bytes:
    return get_settings().resolved_secret_key().encode()


def _signature(email: str, nonce: str) -> str:
    return hmac.new(_key(), f"device:{email}:{nonce}".encode(), hashlib.sha256).hexdigest()[:32]


def new_device_cookie(email: str) -> str:
    nonce = secrets.token_urlsafe(12)
    return f"{nonce}.{_signature(email.strip().lower(), nonce)}"


def device_for(cookie: str | None, email: str) -> str | None:
    """The device id when ``cookie`` was issued to this browser for ``email``, else None."""
    if not cookie or "." not in cookie:
        return None
    nonce, _, signature = cookie.partition(".")
    if not nonce or not hmac.compare_digest(signature, _signature(email.strip().lower(), nonce)):
        return None
    return DEVICE_PREFIX + nonce[:40]


def _failures(session: Session, *conditions) -> int:
    since = utcnow() - timedelta(minutes=get_settings().login_lockout_minutes)
    return session.scalar(select(func.count()).select_from(LoginFailure).where(
        LoginFailure.at >= since, *conditions)) or 0


def check(session: Session, *, email: str, client: str, device: str | None) -> None:
    """Raise the one 429 answer when this attempt is over a limit."""
    limit = get_settings().login_max_failures
    if device is not None:
        if _failures(session, LoginFailure.client == device) >= limit:
            raise TooManyRequests(THROTTLED)
        return
    if _failures(session, LoginFailure.client == client[:64]) >= limit * 4:
        raise TooManyRequests(THROTTLED)
    if _failures(session, LoginFailure.email == email[:254], ~LoginFailure.client.startswith(DEVICE_PREFIX)) >= limit:
        raise TooManyRequests(THROTTLED)


def record_failure(session: Session, *, email: str, client: str, device: str | None) -> None:
    session.add(LoginFailure(client=(device or client)[:64], email=email[:254]))
