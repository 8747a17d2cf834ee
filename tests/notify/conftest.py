"""Fixtures of the notification tests: a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import socket

import pytest


@pytest.fixture
def smtp_server(monkeypatch):
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    from yizhi.notify.settings import reset_smtp_settings_cache

    received = []

    class Keep(Message):
        def handle_message(self, message):
            received.append(message)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("YIZHI_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("YIZHI_SMTP_PORT", str(port))
    monkeypatch.setenv("YIZHI_SMTP_STARTTLS", "false")
    reset_smtp_settings_cache()
    yield received
    controller.stop()
    monkeypatch.delenv("YIZHI_SMTP_HOST")
    reset_smtp_settings_cache()
