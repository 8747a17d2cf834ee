"""E-mail goes through a real SMTP server (aiosmtpd: the shared `smtp_server` fixture of
tests/conftest.py) in the recipient's language."""

from __future__ import annotations

import socket

import pytest

from yizhi.notify.settings import reset_smtp_settings_cache


def test_registration_mail_is_sent_through_smtp_in_chinese(web, smtp_server, outbox):
    from yizhi.jobs.service import work_once

    response = web().post_form("/register", {
        "slug": "smtp-co", "name": "邮件公司", "kind": "company", "credit_code": "91110000600037341L",
        "email": "boss@smtp-co.test", "display_name": "老板", "password": "Startup-Pass-2026"})
    assert response.status_code == 200
    assert work_once()
    assert len(smtp_server) == 1 and outbox.messages() == []
    message = smtp_server[0]
    assert message["To"] == "boss@smtp-co.test"
    assert "确认" in str(message["Subject"]) or "确认" in message.get_payload(decode=True).decode("utf-8")
    assert "/register/confirm/" in message.get_payload(decode=True).decode("utf-8")


def test_an_unreachable_smtp_server_leaves_the_job_to_retry(monkeypatch, db):
    from yizhi.jobs.models import Job, JobState
    from yizhi.jobs.service import work_once
    from yizhi.notify import queue_email

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    monkeypatch.setenv("YIZHI_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("YIZHI_SMTP_PORT", str(closed_port))
    monkeypatch.setenv("YIZHI_SMTP_TIMEOUT", "2")
    reset_smtp_settings_cache()
    try:
        job = queue_email(db, "x@y.test", "Confirm your registration on YiZhi", "Check your e-mail", {})
        db.commit()
        assert work_once()
        db.expire_all()
        assert db.get(Job, job.id).state == JobState.queued  # nothing lost: it is tried again
    finally:
        monkeypatch.delenv("YIZHI_SMTP_HOST")
        reset_smtp_settings_cache()
