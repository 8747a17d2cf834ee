"""Notifications: in-app notices with an unread badge (``service.notify``) and e-mail (``queue_email``).

E-mails are written in the recipient's language when queued and sent by the ``notify.email`` job
(retried like every job), through the SMTP server in ``YIZHI_SMTP_*`` — or, when no server is set
(the embedded default), into ``<data_dir>/outbox/*.eml`` and the log, so nothing is lost.
"""

from yizhi.notify.mail import queue_email, render_email

__all__ = ["queue_email", "render_email"]
