"""The FastAPI application factory: middleware, error pages, and every domain's routers."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from yizhi import __version__
from yizhi.config import get_settings
from pydantic import ValidationError as PydanticValidationError

from yizhi.errors import N_, NotAuthenticated, ValidationFailed, YizhiError
from yizhi.registry import domain_modules
from yizhi.web import i18n, validation
from yizhi.web.checks import check_request_values
from yizhi.web.deps import authenticate
from yizhi.web.middleware import PlatformMiddleware, choose_locale  # noqa: F401  (choose_locale re-exported)
from yizhi.web.templating import render

log = logging.getLogger("yizhi.web")
STATIC_DIR = Path(__file__).parent / "static"


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_json(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    body = {"error": {"code": code, "message": message}}
    if field:
        body["error"]["field"] = field
    return JSONResponse(body, status_code=status)


def error_page(request: Request, status: int, message: str) -> Response:
    if not hasattr(request.state, "locale"):
        request.state.locale = i18n.DEFAULT_LOCALE
    return render(request, "error.html", {"status": status, "message": message}, status_code=status)


def localized_message(request: Request, exc: YizhiError) -> str:
    """Pages always speak the reader's language; API answers do when the client asked for one
    (``?lang=``, the language cookie, ``Accept-Language`` or the account's choice)."""
    locale = getattr(request.state, "locale", i18n.DEFAULT_LOCALE)
    if is_api(request) and getattr(request.state, "locale_source", "default") == "default":
        return exc.message
    return exc.localized(lambda text: i18n.gettext(locale, text))


async def handle_domain_error(request: Request, exc: YizhiError) -> Response:
    if is_api(request):
        return error_json(exc.status, exc.code, localized_message(request, exc), exc.field)
    if isinstance(exc, NotAuthenticated):
        target = "/login?next=" + quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    return error_page(request, exc.status, localized_message(request, exc))


HTTP_MESSAGES = {
    404: ("not_found", N_("not found")),
    405: ("method_not_allowed", N_("method not allowed")),
    413: ("too_large", N_("the request body is larger than this address accepts")),
    400: ("bad_request", N_("the request could not be read")),
}


async def handle_http_error(request: Request, exc: StarletteHTTPException) -> Response:
    code, msgid = HTTP_MESSAGES.get(exc.status_code, ("http_error", str(exc.detail)))
    error = YizhiError(msgid, code=code)
    error.status = exc.status_code
    if exc.status_code == 413:
        response = await handle_domain_error(request, error)
        response.headers["Connection"] = "close"  # the rest of the body is not read
        return response
    return await handle_domain_error(request, error)


def _route_labels(request: Request) -> dict[str, str]:
    """Field labels of the route's body schema (its ``field_labels``), for error messages."""
    route = request.scope.get("route")
    models = []
    for field in getattr(getattr(route, "dependant", None), "body_params", []) or []:
        models.append(field.field_info.annotation)
    return validation.labels_of(*[m for m in models if isinstance(m, type)])


def _validation_response(request: Request, errors: list[dict], labels: dict[str, str]) -> Response:
    locale = getattr(request.state, "locale", i18n.DEFAULT_LOCALE)
    if is_api(request) and getattr(request.state, "locale_source", "default") == "default":
        gettext = validation.english
    else:
        gettext = lambda text: i18n.gettext(locale, text)  # noqa: E731
    problems = validation.translate_errors(errors, gettext, labels)
    message = "; ".join(problems) or gettext(validation.FALLBACK) % {"field": gettext(validation.WHOLE_REQUEST)}
    if is_api(request):
        body = {"error": {"code": "invalid", "message": message, "problems": problems}}
        first = next((e for e in errors if e.get("loc")), None)
        field = ".".join(str(p) for p in first["loc"] if p not in ("body", "query", "path")) if first else ""
        if field:
            body["error"]["field"] = field
        return JSONResponse(body, status_code=422)
    return error_page(request, 422, message)


async def handle_validation_error(request: Request, exc: RequestValidationError) -> Response:
    return _validation_response(request, list(exc.errors()), _route_labels(request))


async def handle_pydantic_error(request: Request, exc: PydanticValidationError) -> Response:
    """A schema validated inside a route (a page's form): the same translated messages, never a 500."""
    model = validation.schema_named(exc.title)
    labels = validation.labels_of(model) if model is not None else {}
    return _validation_response(request, list(exc.errors()), labels)



def _is_bad_value(exc: Exception) -> bool:
    """A value the database cannot store (an integer past 64 bits, text with a lone surrogate):
    the client's mistake, answered 422, whatever schema forgot to bound it."""
    from sqlalchemy.exc import DataError, StatementError

    if isinstance(exc, (OverflowError, UnicodeEncodeError, DataError)):
        return True
    return isinstance(exc, StatementError) and isinstance(exc.orig, (OverflowError, UnicodeEncodeError))


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    if _is_bad_value(exc):
        log.info("refused a value the database cannot store on %s %s: %s", request.method, request.url.path,
                 type(exc).__name__)
        return await handle_domain_error(request, ValidationFailed(
            N_("a number in the request is too large or a text contains an invalid character")))

    if isinstance(exc, PoolTimeout):
        # Every database connection stayed busy for YIZHI_DB_POOL_TIMEOUT seconds: say so, briefly.
        log.warning("database pool exhausted on %s %s", request.method, request.url.path)
        busy = YizhiError(N_("the server is busy; try again in a moment"), code="busy")
        busy.status = 503
        return await handle_domain_error(request, busy)
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    if is_api(request):
        return error_json(500, "internal", "an internal error occurred; it has been logged")
    return error_page(request, 500, "an internal error occurred; it has been logged")


DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>YiZhi 医智 API</title>
<link rel="stylesheet" href="/static/swagger/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/static/swagger/swagger-ui-bundle.js"></script><script src="/static/swagger/init.js"></script>
</body></html>"""


async def api_docs(request: Request) -> Response:
    """Swagger UI from the platform's own static files (vendored from swagger-ui-dist)."""
    from fastapi.responses import HTMLResponse

    return HTMLResponse(DOCS_PAGE)


def install_middleware(app: FastAPI) -> None:
    app.add_middleware(PlatformMiddleware)


def include_domain_routers(app: FastAPI) -> None:
    for kind in ("api", "views"):
        for module in domain_modules(kind):
            app.include_router(module.router)
    _skip_routers_by_path_head(app)


def _literal_head(path: str) -> str:
    """The part of a route's path before its first parameter: every path it matches starts so."""
    return path.split("{", 1)[0]


def _skip_routers_by_path_head(app: FastAPI) -> None:
    """Let each included router refuse at once a path that none of its routes can match.

    FastAPI tries every route of every included router in turn (about 400 regular expressions and
    scope bookkeeping for a page near the end: a sixth of a small page's CPU time). A router whose
    routes all start with known literal text (``/api/v1/needs/``, ``/needs``) answers "no match" for
    any other path with one ``str.startswith``; the order in which routes are tried, and therefore
    which route wins, is unchanged. Routers whose shape is not the expected one are left alone.
    """
    from starlette.routing import Match, get_route_path

    for included in app.router.routes:
        if not (hasattr(included, "original_router") and hasattr(included, "include_context")):
            continue
        heads = tuple(sorted({_literal_head(path) for path, _route in iter_api_routes(
            included.original_router.routes, included.include_context.prefix)}))
        if not heads or any(head in ("", "/") for head in heads):
            continue  # a route with a parameter right after "/" could match anything
        if len(iter_api_routes(included.original_router.routes)) != _count_routes(included.original_router.routes):
            continue  # mounts or plain routes inside: keep FastAPI's own matching
        original = included.matches

        def matches(scope, _heads=heads, _original=original):
            if scope.get("type") == "http" and not get_route_path(scope).startswith(_heads):
                return Match.NONE, {}
            return _original(scope)

        included.matches = matches


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI):
    import anyio.to_thread

    # Request handlers and database calls run in these threads; the pool is sized to match.
    anyio.to_thread.current_default_thread_limiter().total_tokens = get_settings().threads
    # Compile the message catalogs before the first request, not in the first burst of them.
    await anyio.to_thread.run_sync(i18n.preload)
    if app.state.serving:
        _freeze_startup_heap()
    worker = None
    if app.state.start_worker and get_settings().embedded_worker:
        from yizhi.jobs.worker import EmbeddedWorker

        worker = EmbeddedWorker()
        worker.start()
    try:
        yield
    finally:
        if worker is not None:
            worker.stop()


def _freeze_startup_heap() -> None:
    """Keep the objects of start-up (modules, routes, catalogs: ~400 k) out of every later collection.

    Under load, the objects of requests in flight survive the young collections and reach the oldest
    generation, so full collections run every second or so; each one walked the whole start-up heap,
    pausing every request of the process for 25 ms to over 300 ms (measured with gc.callbacks under
    wrk on /healthz: eight full collections in 10 s per process, the source of the p99 tail).
    ``gc.freeze`` moves what exists now to a generation the collector never walks.
    """
    import gc

    gc.collect()
    gc.freeze()


def create_served_app() -> FastAPI:
    """The application as ``yizhi serve`` runs it in each server process (see ``_freeze_startup_heap``)."""
    return create_app(serving=True)


def create_app(*, start_worker: bool = False, serving: bool = False) -> FastAPI:
    from yizhi.web.csrf import csrf_protect

    app = FastAPI(
        title="YiZhi 医智 API",
        version=__version__,
        docs_url=None,  # served from our static files below: no CDN, works offline
        redoc_url=None,
        openapi_url="/api/openapi.json",
        # Order matters: who you are (401) is decided before whether the form is genuine (403).
        dependencies=[Depends(authenticate), Depends(csrf_protect), Depends(check_request_values)],
        lifespan=_lifespan,
    )
    app.state.start_worker = start_worker
    app.state.serving = serving  # a real server process, not a test client
    app.add_exception_handler(YizhiError, handle_domain_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(PydanticValidationError, handle_pydantic_error)
    # Values the database cannot store: handled here (ExceptionMiddleware), not as a 500.
    from sqlalchemy.exc import DataError, StatementError

    for bad_value in (OverflowError, UnicodeEncodeError, DataError, StatementError):
        app.add_exception_handler(bad_value, handle_unexpected)
    app.add_exception_handler(Exception, handle_unexpected)
    install_middleware(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_route("/api/docs", api_docs, include_in_schema=False)
    include_domain_routers(app)
    return app


def _count_routes(routes) -> int:
    """Every route, nested routers included (what iter_api_routes should find if all are APIRoutes)."""
    return sum(_count_routes(r.original_router.routes) if hasattr(r, "original_router") else 1 for r in routes)


def iter_api_routes(routes, prefix: str = "") -> list[tuple[str, object]]:
    """(full path, APIRoute) for every route, including those of nested routers.

    FastAPI keeps included routers nested; a nested include carries the prefix under which its
    routes are served, so the full path is the accumulated include prefix plus the route's path.
    """
    from fastapi.routing import APIRoute

    found = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append((prefix + route.path, route))
        elif hasattr(route, "original_router"):
            found.extend(iter_api_routes(route.original_router.routes, prefix + route.include_context.prefix))
    return found
