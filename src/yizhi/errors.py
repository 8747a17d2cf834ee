"""Domain errors. Services raise these; the web layer turns them into pages or JSON errors.

Each carries a stable machine ``code`` and a human ``message`` that says what is wrong and
where, so API clients, CLI users and page visitors all get the same explanation.
"""

from __future__ import annotations


class YizhiError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


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
