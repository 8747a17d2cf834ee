"""The platform's ASGI middleware: language, CSRF cookie, security headers, ledger receipt links,
and *who is asking before the body is read*.

A plain ASGI class rather than ``@app.middleware("http")``: it adds no task or queue per request
(the decorator's ``BaseHTTPMiddleware`` halves throughput on small requests) and it can answer
before the application reads a byte of the request body.

Admission: a request holds one pooled database connection from its authentication until its
session closes, across several thread-pool hops. With more requests in flight than connections,
threads would block waiting for a connection while the requests holding connections wait for a
thread — a deadlock until the pool times out. So at most ``pool_size`` requests are inside the
application at once (and never more than ``pool_size + max_overflow - 4``: four connections stay
free for the job worker); the others wait on the event loop, holding neither a thread nor a
connection. Static files do not wait. Not ``pool_size + max_overflow``: the overflow connections
are closed as soon as they are given back, so requests that used them opened a new database
connection almost every time (under 64 clients on PostgreSQL, 139 new server processes in 6 s);
one process on one core gains nothing from more than ``pool_size`` requests in flight.

Bodies: FastAPI reads a request's body before it runs the route's dependencies, so an anonymous
client could make the server buffer a large upload only to be told 401 afterwards. Here a request
that carries a body to a route that is not ``@public`` must first show a live API token or login
session (checked in the thread pool); the body limits themselves (``YIZHI_MAX_BODY_BYTES`` for
every route, ``max_body_size=`` on an upload route's decorator) are counted here while the body
streams: a declared Content-Length over the limit is answered 413 at once (in the API's error
shape), a chunked body is cut off when it passes the limit.
"""

from __future__ import annotations

import asyncio
from functools import lru_cache

from fastapi import HTTPException
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yizhi.config import get_settings
from yizhi.errors import N_, NotAuthenticated
from yizhi.web import csrf, i18n

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'",
}
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


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


def _bearer_of(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _cookie_header(name: str, value: str, **options) -> bytes:
    response = Response()
    response.set_cookie(name, value, **options)
    return next(v for k, v in response.raw_headers if k == b"set-cookie")


def has_body(scope: Scope) -> bool:
    if scope["method"] not in BODY_METHODS:
        return False
    for name, value in scope["headers"]:
        if name == b"transfer-encoding":
            return True
        if name == b"content-length":
            return value.strip() not in (b"0", b"")
    return False


@lru_cache(maxsize=4)
def _route_table(app_id: int, app) -> tuple:
    """(methods, compiled full path, public?, body limit or None) of every route, built once per app."""
    from yizhi.web.app import iter_api_routes
    from yizhi.web.deps import is_public

    table = []
    for path, route in iter_api_routes(app.routes):
        regex, _format, _convertors = compile_path(path)
        table.append((frozenset(route.methods or ()), regex, is_public(route.endpoint),
                      getattr(route, "max_body_size", None)))
    return tuple(table)


def route_facts(scope: Scope) -> tuple[bool, int]:
    """(is the target route public?, its body limit) — the global limit unless the route sets one."""
    default = get_settings().max_body_bytes
    app = scope.get("app")
    if app is None:
        return False, default
    path, method = scope["path"], scope["method"]
    for methods, regex, public, limit in _route_table(id(app), app):
        if method in methods and regex.match(path):
            return public, limit if limit is not None else default
    return False, default


def small_body_limit(scope: Scope) -> int:
    """A declared length up to this needs no route look-up: it is small enough to read before the
    route authenticates the caller, and within the body limit of every route and the global one."""
    app = scope.get("app")
    smallest = _smallest_route_limit(id(app), app) if app is not None else SMALL_BODY_BYTES
    return min(SMALL_BODY_BYTES, get_settings().max_body_bytes, smallest)


@lru_cache(maxsize=4)
def _smallest_route_limit(app_id: int, app) -> int:
    limits = [limit for _methods, _regex, _public, limit in _route_table(app_id, app) if limit is not None]
    return min(limits, default=SMALL_BODY_BYTES)


def declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _too_large() -> HTTPException:
    return HTTPException(status_code=413)


def limited_receive(receive: Receive, limit: int) -> Receive:
    """Count the body while it streams; past ``limit`` the reader gets a 413 (never the bytes)."""
    total = 0

    async def receive_counted() -> Message:
        nonlocal total
        message = await receive()
        if message["type"] == "http.request":
            total += len(message.get("body", b""))
            if total > limit:
                raise _too_large()
        return message

    return receive_counted


def _credentials_are_live(bearer: str | None, session_cookie: str | None) -> bool:
    """A live API token or login session (its own short read; the route re-resolves in its session)."""
    from yizhi.accounts import service as accounts
    from yizhi.db import session_scope

    with session_scope() as session:
        if bearer is not None:
            return accounts.resolve_api_token(session, bearer) is not None
        if session_cookie:
            return accounts.resolve_session(session, session_cookie) is not None
    return False


SMALL_BODY_BYTES = 64 * 1024  # bodies up to this size are read before the route authenticates the caller
RESERVED_CONNECTIONS = 4  # for the embedded job worker and progress updates outside requests


def admission_slots() -> int:
    """Requests let into the application at once: no more than the connections the pool keeps open."""
    settings = get_settings()
    return max(1, min(settings.threads, settings.db_pool_size,
                      settings.db_pool_size + settings.db_max_overflow - RESERVED_CONNECTIONS))


class PlatformMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._slots: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        if self._slots is None:
            self._slots = asyncio.Semaphore(admission_slots())
        async with self._slots:
            await self._handle(scope, receive, send)

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        locale, source = choose_locale(request)
        state = scope.setdefault("state", {})
        state["locale"], state["locale_source"] = locale, source
        # API clients with a bearer token need no CSRF cookie (they send no forms): none is made.
        needs_cookie = not request.cookies.get(csrf.CSRF_COOKIE) and not _bearer_of(request)
        new_csrf = csrf.new_cookie_value() if needs_cookie else None
        state["new_csrf_cookie"] = new_csrf
        settings = get_settings()
        extra_cookies: list[bytes] = []
        if new_csrf:
            extra_cookies.append(_cookie_header(csrf.CSRF_COOKIE, new_csrf, httponly=True, samesite="lax",
                                                secure=settings.secure_cookies, max_age=60 * 60 * 24 * 30))
        if source == "query":
            extra_cookies.append(_cookie_header(i18n.LANG_COOKIE, locale, samesite="lax",
                                                max_age=60 * 60 * 24 * 365, secure=settings.secure_cookies))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for cookie in extra_cookies:
                    headers.append("set-cookie", cookie.decode("latin-1"))
                _add_receipt_links(state, headers)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        if has_body(scope):
            declared = declared_length(scope)
            if declared is not None and declared <= small_body_limit(scope):
                # small and within every route's limit (an answer, a form): the route need not be
                # looked up (a regex walk over every route), the caller is authenticated by the route
                await self.app(scope, limited_receive(receive, declared), send_with_headers)
                return
            public, limit = route_facts(scope)
            # A small declared body (an answer, a form) costs less to read than a second look-up of the
            # caller (a session, a thread hop, a query): the route's own authentication refuses it with
            # the same answer. Bodies that are large or of unknown length are refused before reading.
            small = declared is not None and declared <= SMALL_BODY_BYTES
            if not public and not small and not await self._caller_is_known(request):
                await self._refuse(request, NotAuthenticated(N_("log in first")), scope, receive, send_with_headers)
                return
            if declared is not None and declared > limit:
                await self._refuse(request, None, scope, receive, send_with_headers)
                return
            receive = limited_receive(receive, limit)
        await self.app(scope, receive, send_with_headers)

    @staticmethod
    async def _caller_is_known(request: Request) -> bool:
        bearer = _bearer_of(request)
        session_cookie = request.cookies.get(csrf.SESSION_COOKIE)
        if bearer is None and not session_cookie:
            return False
        return await run_in_threadpool(_credentials_are_live, bearer, session_cookie)

    @staticmethod
    async def _refuse(request: Request, error, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer before reading the body: ``error`` (a YizhiError), or None for 413."""
        from yizhi.web.app import handle_domain_error, handle_http_error

        if error is None:
            response = await handle_http_error(request, _too_large())
        else:
            response = await handle_domain_error(request, error)
        response.headers["Connection"] = "close"  # the unread body is not worth draining
        await response(scope, receive, send)


def _add_receipt_links(state: dict, headers: MutableHeaders) -> None:
    """Every action recorded on the ledger answers with links to its receipts (entry, inclusion
    proof, signed checkpoint), which anyone can fetch and verify offline."""
    from yizhi.ledger.store import COMMITTED_KEY

    info = state.get("db_info")
    indexes = info.get(COMMITTED_KEY) if info else None
    if indexes:
        headers["X-Ledger-Entries"] = ",".join(str(i) for i in indexes)
        headers["Link"] = ", ".join(
            f'</api/v1/ledger/entries/{i}/receipt>; rel="ledger-receipt"' for i in indexes)
