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
from yizhi.errors import NotAuthenticated, YizhiError
from yizhi.registry import domain_modules
from yizhi.web import csrf, i18n
from yizhi.web.deps import authenticate
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


async def handle_http_error(request: Request, exc: StarletteHTTPException) -> Response:
    message = {404: "not found", 405: "method not allowed"}.get(exc.status_code, str(exc.detail))
    if is_api(request):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_json(exc.status_code, code, message)
    return error_page(request, exc.status_code, message)


async def handle_validation_error(request: Request, exc: RequestValidationError) -> Response:
    problems = []
    for err in exc.errors():
        where = ".".join(str(part) for part in err.get("loc", ()) if part not in ("body",)) or "request"
        problems.append(f"{where}: {err.get('msg', 'invalid')}")
    message = "; ".join(problems) or "invalid request"
    if is_api(request):
        return error_json(422, "invalid", message)
    return error_page(request, 422, message)


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    if is_api(request):
        return error_json(500, "internal", "an internal error occurred; it has been logged")
    return error_page(request, 500, "an internal error occurred; it has been logged")


def choose_locale(request: Request) -> tuple[str, str]:
    """(locale, source): ?lang= wins, then the remembered cookie, then Accept-Language."""
    asked = i18n.normalize(request.query_params.get("lang"))
    if asked:
        return asked, "query"
    remembered = i18n.normalize(request.cookies.get(i18n.LANG_COOKIE))
    if remembered:
        return remembered, "cookie"
    negotiated = i18n.from_accept_language(request.headers.get("accept-language"))
    if negotiated:
        return negotiated, "accept"
    return i18n.DEFAULT_LOCALE, "default"


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'",
}


def _add_receipt_links(request: Request, response: Response) -> None:
    """Every action recorded on the ledger answers with links to its receipts (entry, inclusion
    proof, signed checkpoint), which anyone can fetch and verify offline."""
    from yizhi.ledger.store import COMMITTED_KEY

    info = getattr(request.state, "db_info", None)
    indexes = info.get(COMMITTED_KEY) if info else None
    if indexes:
        response.headers["X-Ledger-Entries"] = ",".join(str(i) for i in indexes)
        response.headers["Link"] = ", ".join(
            f'</api/v1/ledger/entries/{i}/receipt>; rel="ledger-receipt"' for i in indexes)


def install_middleware(app: FastAPI) -> None:
    settings = get_settings()

    @app.middleware("http")
    async def per_request(request: Request, call_next):
        locale, source = choose_locale(request)
        request.state.locale, request.state.locale_source = locale, source
        new_csrf = None if request.cookies.get(csrf.CSRF_COOKIE) else csrf.new_cookie_value()
        request.state.new_csrf_cookie = new_csrf
        response = await call_next(request)
        if new_csrf:
            response.set_cookie(csrf.CSRF_COOKIE, new_csrf, httponly=True, samesite="lax",
                                secure=settings.secure_cookies, max_age=60 * 60 * 24 * 30)
        if source == "query":
            response.set_cookie(i18n.LANG_COOKIE, locale, samesite="lax", max_age=60 * 60 * 24 * 365,
                                secure=settings.secure_cookies)
        _add_receipt_links(request, response)
        for name, value in SECURITY_HEADERS.items():
            if request.url.path.startswith("/api/docs") and name == "Content-Security-Policy":
                continue  # Swagger UI loads its own assets and inline script
            response.headers.setdefault(name, value)
        return response


def include_domain_routers(app: FastAPI) -> None:
    for kind in ("api", "views"):
        for module in domain_modules(kind):
            app.include_router(module.router)


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI):
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


def create_app(*, start_worker: bool = False) -> FastAPI:
    from yizhi.web.csrf import csrf_protect

    app = FastAPI(
        title="YiZhi 医智 API",
        version=__version__,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        # Order matters: who you are (401) is decided before whether the form is genuine (403).
        dependencies=[Depends(authenticate), Depends(csrf_protect)],
        lifespan=_lifespan,
    )
    app.state.start_worker = start_worker
    app.add_exception_handler(YizhiError, handle_domain_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(Exception, handle_unexpected)
    install_middleware(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    include_domain_routers(app)
    return app


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
