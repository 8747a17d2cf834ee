"""Values no route should ever see: integers past what the database stores (an id like
99999999999999999999999, ``offset=1e19``) and text with lone UTF-16 surrogates (``"\\ud800"`` in JSON,
which Python decodes but neither database can store). Checked once for every route, before its
handler, from the route's own parameter types — new domains are covered without a line of theirs.
"""

from __future__ import annotations

import json
import re
import typing

from fastapi import Request

from yizhi.errors import N_, NotFound, ValidationFailed

INT64_MAX = 2**63 - 1
ID_MAX = 2**31 - 1  # ids are INTEGER columns on PostgreSQL: a larger one cannot name any row
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _is_int_param(field) -> bool:
    annotation = field.field_info.annotation
    if annotation is int:
        return True
    return int in typing.get_args(annotation) and bool not in typing.get_args(annotation)


def _out_of_range(raw: str, limit: int = INT64_MAX) -> bool:
    text = raw.strip()
    if not text.lstrip("+-").isdigit() or len(text) > 40:
        return len(text) > 40 and text.lstrip("+-").isdigit()
    return abs(int(text)) > limit


def check_parameters(request: Request) -> None:
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    for field in dependant.path_params:
        raw = request.path_params.get(field.alias)
        if raw is not None and _is_int_param(field) and _out_of_range(str(raw), ID_MAX):
            raise NotFound(N_("not found"))
    for field in dependant.query_params:
        if not _is_int_param(field):
            continue
        for raw in request.query_params.getlist(field.alias):
            if _out_of_range(raw):
                raise ValidationFailed(N_("%(field)s is out of range"), params={"field": field.alias},
                                       field=field.alias)


def _walk(value, path: str):
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            yield path, "text"
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if abs(value) > INT64_MAX:
            yield path, "number"
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(key, path)
            yield from _walk(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")


async def check_json_body(request: Request) -> None:
    content_type = request.headers.get("content-type", "")
    if request.method not in ("POST", "PUT", "PATCH") or "json" not in content_type:
        return
    body = await request.body()  # already read (and cached) by FastAPI for routes with a body
    if not body or not (_SURROGATE_ESCAPE.search(body) or re.search(rb"\d{19}", body)):
        return  # the common case: nothing that could be out of range
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return  # FastAPI answers the syntax error itself
    for where, problem in _walk(data, ""):
        if problem == "text":
            raise ValidationFailed(N_("%(field)s contains an invalid character (a lone UTF-16 surrogate)"),
                                   params={"field": where or "body"}, field=where or None)
        raise ValidationFailed(N_("%(field)s is out of range"), params={"field": where or "body"},
                               field=where or None)


async def check_request_values(request: Request) -> None:
    check_parameters(request)
    await check_json_body(request)
