"""Absolute links (invitations, e-mails, receipts): from ``YIZHI_BASE_URL`` when it is set — the
public address behind a proxy — and otherwise from the address the request came to, so a server
on another port never hands out a link to 127.0.0.1:8000."""

from __future__ import annotations

from fastapi import Request

from yizhi.config import get_settings


def base_url(request: Request | None = None) -> str:
    configured = get_settings().base_url
    if configured:
        return configured.rstrip("/")
    if request is not None:
        return str(request.base_url).rstrip("/")
    settings = get_settings()
    return f"http://{settings.host}:{settings.port}"


def absolute_url(path: str, request: Request | None = None) -> str:
    return base_url(request) + "/" + path.lstrip("/")
