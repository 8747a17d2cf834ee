"""Queue an e-mail in the recipient's language; the ``notify.email`` job sends it."""

from __future__ import annotations

import logging
import smtplib
import time
from email.message import EmailMessage
from email.utils import make_msgid

from sqlalchemy.orm import Session

from yizhi.config import get_settings
from yizhi.errors import N_
from yizhi.notify.settings import get_smtp_settings

log = logging.getLogger("yizhi.notify")
JOB_KIND = "notify.email"
FOOTER = N_("This message was sent by the YiZhi platform; you receive it because of your account there.")


def render_email(locale: str, subject_msgid: str, body_msgid: str, params: dict, link: str | None = None) -> tuple[str, str]:
    """(subject, body) in ``locale``; values fill the translated templates."""
    from yizhi.errors import YizhiError
    from yizhi.web.i18n import gettext

    def text(msgid: str) -> str:
        return YizhiError(msgid, params=params).localized(lambda m: gettext(locale, m))

    body = text(body_msgid)
    if link:
        body += "\n\n" + link
    body += "\n\n-- \n" + gettext(locale, FOOTER)
    return text(subject_msgid), body


def queue_email(session: Session, to: str, subject_msgid: str, body_msgid: str, params: dict | None = None, *,
                locale: str | None = None, link: str | None = None, created_by_id: int | None = None):
    """Write the e-mail now (in ``locale``, default Chinese) and queue its sending; the caller commits."""
    from yizhi.jobs import service as jobs
    from yizhi.web.i18n import DEFAULT_LOCALE

    subject, body = render_email(locale or DEFAULT_LOCALE, subject_msgid, body_msgid, params or {}, link)
    return jobs.enqueue(session, JOB_KIND, {"to": to, "subject": subject, "body": body},
                        created_by_id=created_by_id, max_attempts=5)


def build_message(to: str, subject: str, body: str) -> EmailMessage:
    smtp = get_smtp_settings()
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="yizhi.local")
    message.set_content(body)
    return message


def deliver(message: EmailMessage) -> str:
    """Send through SMTP, or keep in the outbox folder when no server is configured. Returns where."""
    smtp = get_smtp_settings()
    if not smtp.host:
        outbox = get_settings().resolved_data_dir() / "outbox"
        outbox.mkdir(parents=True, exist_ok=True)
        path = outbox / f"{time.time_ns()}.eml"
        path.write_bytes(bytes(message))
        log.info("no YIZHI_SMTP_HOST: e-mail to %s kept in %s", message["To"], path)
        return f"outbox:{path.name}"
    with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as server:
        if smtp.starttls:
            server.starttls()
        if smtp.user:
            server.login(smtp.user, smtp.password or "")
        server.send_message(message)
    return f"smtp:{smtp.host}:{smtp.port}"
