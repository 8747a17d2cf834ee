"""Pydantic's validation errors in the reader's language: what is wrong, with which field.

Pydantic's own messages are English sentences ("String should have at least 1 character"). Here
each error *type* maps to an English msgid with named placeholders (translated in the catalogs),
and each field to a label: a schema names its fields' labels in a class attribute, English msgids
marked for extraction::

    class NeedIn(BaseModel):
        field_labels: ClassVar[dict[str, str]] = {"budget_min": N_("minimum budget"), ...}

Fields without a label are shown by name. A ``ValueError`` raised in a validator carries an English
msgid as its text (``raise ValueError(N_("the minimum budget is larger than the maximum"))``) and is
translated like any other message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from yizhi.errors import N_

# pydantic error type -> (msgid, names of the error's ctx values it uses)
MESSAGES: dict[str, str] = {
    "missing": N_("%(field)s is required"),
    "string_too_short": N_("%(field)s must have at least %(min_length)s characters"),
    "string_too_long": N_("%(field)s must have at most %(max_length)s characters"),
    "too_short": N_("%(field)s must have at least %(min_length)s items"),
    "too_long": N_("%(field)s must have at most %(max_length)s items"),
    "string_type": N_("%(field)s must be text"),
    "string_unicode": N_("%(field)s must be valid text"),
    "int_type": N_("%(field)s must be a whole number"),
    "int_parsing": N_("%(field)s must be a whole number"),
    "int_from_float": N_("%(field)s must be a whole number"),
    "float_type": N_("%(field)s must be a number"),
    "float_parsing": N_("%(field)s must be a number"),
    "finite_number": N_("%(field)s must be a finite number"),
    "bool_type": N_("%(field)s must be true or false"),
    "bool_parsing": N_("%(field)s must be true or false"),
    "greater_than": N_("%(field)s must be greater than %(gt)s"),
    "greater_than_equal": N_("%(field)s must be at least %(ge)s"),
    "less_than": N_("%(field)s must be less than %(lt)s"),
    "less_than_equal": N_("%(field)s must be at most %(le)s"),
    "literal_error": N_("%(field)s must be one of: %(expected)s"),
    "enum": N_("%(field)s must be one of: %(expected)s"),
    "date_type": N_("%(field)s must be a date (YYYY-MM-DD)"),
    "date_parsing": N_("%(field)s must be a date (YYYY-MM-DD)"),
    "date_from_datetime_parsing": N_("%(field)s must be a date (YYYY-MM-DD)"),
    "datetime_parsing": N_("%(field)s must be a date and time"),
    "datetime_type": N_("%(field)s must be a date and time"),
    "list_type": N_("%(field)s must be a list"),
    "dict_type": N_("%(field)s must be an object"),
    "model_type": N_("%(field)s must be an object"),
    "model_attributes_type": N_("%(field)s must be an object"),
    "extra_forbidden": N_("%(field)s is not a known field"),
    "json_invalid": N_("the body is not valid JSON"),
    "json_type": N_("the body is not valid JSON"),
    "url_parsing": N_("%(field)s must be a web address"),
    "uuid_parsing": N_("%(field)s must be a UUID"),
}
FALLBACK = N_("%(field)s is not valid")
WHOLE_REQUEST = N_("the request")


def _field_name(loc: Iterable) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie", "form")
             and not isinstance(p, int)]
    return parts[-1] if parts else ""


def label_for(name: str, labels: dict[str, str], gettext: Callable[[str], str]) -> str:
    if not name:
        return gettext(WHOLE_REQUEST)
    return gettext(labels[name]) if name in labels else name


def _expected(ctx: dict, gettext) -> str:
    expected = str(ctx.get("expected", ""))
    # pydantic quotes the choices ("'high', 'medium' or 'low'"); show them as translated codes.
    choices = [c.strip().strip("'\"") for c in expected.replace(" or ", ",").split(",") if c.strip()]
    return "、".join(gettext(c) for c in choices) if choices else expected


def translate_error(error: dict, gettext: Callable[[str], str], labels: dict[str, str] | None = None) -> str:
    """One pydantic error (an item of ``exc.errors()``) as a sentence in the reader's language."""
    labels = labels or {}
    kind = error.get("type", "")
    ctx = dict(error.get("ctx") or {})
    field = label_for(_field_name(error.get("loc", ())), labels, gettext)
    if kind in ("value_error", "assertion_error"):
        reason = ctx.get("error")
        text = str(reason.args[0]) if isinstance(reason, BaseException) and reason.args else str(reason or "")
        translated = gettext(text) if text else gettext(FALLBACK) % {"field": field}
        name = _field_name(error.get("loc", ()))
        return f"{field}: {translated}" if name else translated
    template = MESSAGES.get(kind, FALLBACK)
    values = {"field": field, **{k: v for k, v in ctx.items() if isinstance(v, (int, float, str))}}
    if "expected" in ctx:
        values["expected"] = _expected(ctx, gettext)
    try:
        return gettext(template) % values
    except (KeyError, ValueError, TypeError):
        return gettext(FALLBACK) % {"field": field}


def as_problems(errors: Iterable[dict], labels: dict[str, str] | None = None, *, line: int | None = None) -> list[dict]:
    """pydantic errors as stored problems (msgid + values, see ``yizhi.errors.problem``), so a job
    can keep them and each reader later sees them in their language."""
    from yizhi.errors import problem

    labels = labels or {}
    found = []
    for error in errors:
        kind = error.get("type", "")
        ctx = dict(error.get("ctx") or {})
        name = _field_name(error.get("loc", ()))
        field_label = labels.get(name, name) or WHOLE_REQUEST
        if kind in ("value_error", "assertion_error"):
            reason = ctx.get("error")
            text = str(reason.args[0]) if isinstance(reason, BaseException) and reason.args else str(reason or "")
            found.append(problem(text or FALLBACK, {"field": field_label}, line=line, field=name or None,
                                 translate=("field",)))
            continue
        values = {"field": field_label, **{k: v for k, v in ctx.items() if isinstance(v, (int, float, str))}}
        if "expected" in ctx:
            values["expected"] = str(ctx["expected"]).replace("'", "")
        found.append(problem(MESSAGES.get(kind, FALLBACK), values, line=line, field=name or None,
                             translate=("field",)))
    return found


def translate_errors(errors: Iterable[dict], gettext: Callable[[str], str],
                     labels: dict[str, str] | None = None) -> list[str]:
    seen, out = set(), []
    for error in errors:
        text = translate_error(error, gettext, labels)
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


def labels_of(*models) -> dict[str, str]:
    """The field labels of schema classes (``field_labels`` class attribute), merged."""
    merged: dict[str, str] = {}
    for model in models:
        for cls in reversed(getattr(model, "__mro__", ())):
            merged.update(getattr(cls, "field_labels", None) or {})
    return merged


def schema_named(title: str | None):
    """The platform's pydantic model class a ValidationError came from (its ``title`` is the class name)."""
    from pydantic import BaseModel

    stack = list(BaseModel.__subclasses__())
    while stack:
        cls = stack.pop()
        if cls.__name__ == title and cls.__module__.startswith("yizhi."):
            return cls
        stack.extend(cls.__subclasses__())
    return None


def messages_for(exc, gettext: Callable[[str], str]) -> list[str]:
    """All problems of a pydantic ValidationError, translated, with its schema's field labels."""
    model = schema_named(getattr(exc, "title", None))
    return translate_errors(exc.errors(), gettext, labels_of(model) if model is not None else {})


def english(text: str) -> str:
    return text


# Messages of modules outside the domain folders (extracted from here into web's catalog).
LINE = N_("line %(line)s: %(problem)s")  # yizhi.errors.localize_problem
STORAGE = [N_("no stored file %(digest)s"), N_("%(digest)s is not a SHA-256 hex digest"),  # yizhi.storage
           N_("the upload is larger than %(limit)s bytes")]
