"""Domain errors. Services raise these; the web layer turns them into pages or JSON errors.

Each carries a stable machine ``code`` and a human ``message`` that says what is wrong and
where, so API clients, CLI users and page visitors all get the same explanation.

Messages are English msgids with named placeholders, marked for translation, and their values
passed apart, so a page can show the message in the reader's language::

    raise ValidationFailed(N_("table %(table)s has no column %(column)s"),
                           params={"table": t, "column": c}, field="columns")

``message`` is the English text (CLI, logs); :meth:`YizhiError.localized` the translated one.
"""

from __future__ import annotations


class YizhiError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None,
                 params: dict | None = None):
        self.template = message
        self.params = dict(params or {})
        self.message = _fill(message, self.params)
        super().__init__(self.message)
        self.field = field
        if code:
            self.code = code

    def localized(self, gettext) -> str:
        """The message in another language: ``gettext`` translates the template, then values fill it."""
        return _fill(gettext(self.template), self.params)


def _fill(template: str, params: dict) -> str:
    if not params:
        return template
    try:
        return template % params
    except (KeyError, ValueError, TypeError):
        # A translation that lost a placeholder must not turn an error message into a crash.
        return template + " (" + ", ".join(f"{k}={v}" for k, v in params.items()) + ")"


def N_(message: str) -> str:  # noqa: N802 — the conventional gettext marker name
    """Mark a message for extraction into the catalogs; it is translated where it is shown."""
    return message


class ValidationFailed(YizhiError):
    status = 422
    code = "invalid"


class NotAuthenticated(YizhiError):
    status = 401
    code = "not_authenticated"


class PermissionDenied(YizhiError):
    status = 403
    code = "forbidden"


class NotFound(YizhiError):
    status = 404
    code = "not_found"


class Conflict(YizhiError):
    status = 409
    code = "conflict"


class TooManyRequests(YizhiError):
    status = 429
    code = "rate_limited"


class PayloadTooLarge(YizhiError):
    status = 413
    code = "too_large"
