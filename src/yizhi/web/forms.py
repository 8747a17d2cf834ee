"""Form bodies for plain ``def`` routes.

A page route that reads its form with ``await request.form()`` must be ``async def`` — and then
every database call in it blocks the event loop. Read the form in this (async) dependency
instead and keep the route a plain ``def`` (run in the thread pool)::

    @router.post("/needs/new")
    def create_need(request: Request, db: DbSession, person: CurrentPerson, form: FormBody): ...

``form`` is Starlette's ``FormData`` (``form.get``, ``form.getlist``, uploads as ``UploadFile``);
:func:`fields` gives the plain text fields as a dict, without the CSRF token.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from yizhi.web.csrf import CSRF_FIELD


async def read_form(request: Request) -> FormData:
    return await request.form()  # parsed once per request; csrf_protect reads the same object


FormBody = Annotated[FormData, Depends(read_form)]


def fields(form: FormData) -> dict:
    """Text fields (last value of each name wins), without the CSRF token."""
    return {key: value for key, value in form.items() if key != CSRF_FIELD}
