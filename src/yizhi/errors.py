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
                 params: dict | None = None, problems: list[dict] | None = None):
        self.template = message
        self.params = dict(params or {})
        self.message = _fill(message, self.params)
        super().__init__(self.message)
        self.field = field
        # Several problems at once (every bad line of an import): see :func:`problem`.
        self.problems = list(problems or [])
        if code:
            self.code = code

    def localized(self, gettext) -> str:
        """The message in another language: ``gettext`` translates the template, then values fill it."""
        return _fill(gettext(self.template), self.params)


def problem(message: str, params: dict | None = None, *, line: int | None = None, field: str | None = None,
            translate: tuple[str, ...] = ()) -> dict:
    """One problem of many (a bad line of an uploaded file), kept as msgid + values so each reader
    sees it in their language. ``translate`` names params that are msgids themselves (field labels)."""
    return {"line": line, "field": field, "message": message, "params": dict(params or {}),
            "translate": list(translate)}


def localize_problem(item: dict, gettext) -> str:
    """"line 3: title must have at most 200 characters" in the reader's language."""
    params = dict(item.get("params") or {})
    for name in item.get("translate") or ():
        if isinstance(params.get(name), str):
            params[name] = gettext(params[name])
    text = _fill(gettext(item.get("message") or ""), params)
    if item.get("line") is not None:
        return _fill(gettext(N_("line %(line)s: %(problem)s")), {"line": item["line"], "problem": text})
    return text


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
