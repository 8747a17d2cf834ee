"""Request dependencies shared by every router: the database session and the current person.

Authentication is applied to *every* route by the app; a route is reachable without logging in
only when its endpoint is marked :func:`public`. Forgetting to protect a new route therefore
fails closed, and the route-walk test finds any public route nobody meant to make public.

Dependencies that touch the database are plain ``def`` functions: FastAPI runs them in the
thread pool, so a slow query or a wait for a pooled connection never blocks the event loop
(``async def`` here would stall every other request, /healthz included). Dependencies that only
read the request are ``async def``: they cost no thread hop.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from yizhi.accounts import service as accounts
from yizhi.accounts.models import Person
from yizhi.db import session_factory
from yizhi.errors import N_, NotAuthenticated
from yizhi.web.csrf import SESSION_COOKIE

AUTOCOMMIT_CONNECTION = "autocommit_connection"  # session.info key: the connection authenticate set to autocommit
AUTH_CHANGED = "auth_changed"  # session.info key: authentication wrote something worth committing
_PUBLIC_ENDPOINTS: set = set()


def public(endpoint):
    """Mark a route endpoint as reachable without logging in."""
    _PUBLIC_ENDPOINTS.add(endpoint)
    return endpoint


def is_public(endpoint) -> bool:
    return endpoint in _PUBLIC_ENDPOINTS


_READING_ENDPOINTS: dict = {}  # endpoint -> the extra columns it reads with the session (name -> factory)


def reads_only(endpoint=None, *, with_session: dict | None = None):
    """Mark a busy page that only reads: on PostgreSQL its statements run without a transaction
    (each sees the latest commits), which saves the BEGIN and ROLLBACK round trips. Anything it
    wrote would be committed at once, statement by statement — so nothing that writes.

    ``with_session`` names scalar subqueries (name -> a function building one, called once) read in
    the same round trip as the login session when the page is opened with one; the endpoint finds
    their values with :func:`read_with_session` (absent for API tokens: it then queries itself)."""

    def mark(function):
        wrapper = _authenticating_in_its_thread(function)
        _READING_ENDPOINTS[wrapper] = tuple((with_session or {}).items())
        return wrapper

    return mark(endpoint) if endpoint is not None else mark


def _authenticating_in_its_thread(function):
    """The endpoint as a coroutine that authenticates, runs it and closes the session in ONE
    thread-pool call (so its response must be complete when it returns: no streaming from the session).

    Why: a sync dependency and a sync endpoint are two trips through the thread pool; under load
    each trip queues behind the other requests' (the p99 of /needs was made of those waits). The
    app-wide :func:`authenticate` steps aside for these endpoints. The person parameters
    (``CurrentPerson``/``OptionalPerson``) leave the signature FastAPI sees and are filled in here."""
    hints = typing.get_type_hints(function, include_extras=True)
    signature = inspect.signature(function)
    parameters = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in signature.parameters.values()]
    person_names = {p.name: p.annotation == CurrentPerson for p in parameters
                    if p.annotation == CurrentPerson or p.annotation == OptionalPerson}
    request_name = next((p.name for p in parameters if p.annotation is Request), None)
    db_name = next((p.name for p in parameters if p.annotation == DbSession), None)
    if db_name is None:
        raise TypeError(f"reads_only: {function.__qualname__} must take a DbSession")
    own_request = request_name is None  # (an API route that takes no Request: one is asked for on its behalf)
    if own_request:
        request_name = "_reads_only_request"
        parameters.append(inspect.Parameter(request_name, inspect.Parameter.KEYWORD_ONLY, annotation=Request))

    async def endpoint(**values):
        request, db = (values.pop(request_name) if own_request else values[request_name]), values[db_name]

        def authenticated_call():
            authenticate_now(request, db)
            person = request.state.person
            for name, required in person_names.items():
                if required and person is None:
                    raise NotAuthenticated(N_("log in first"))
                values[name] = person
            response = function(**values)
            # The page is rendered: the connection goes back in this thread, not in another trip
            # (get_db's close then finds nothing to do). On an error it stays open for the error page.
            db.close()
            return response

        return await run_in_threadpool(authenticated_call)

    hands_session_to_thread_pool(endpoint)
    endpoint.__signature__ = signature.replace(
        parameters=[p for p in parameters if p.name not in person_names],
        return_annotation=hints.get("return", signature.return_annotation))
    for attribute in ("__module__", "__name__", "__qualname__", "__doc__"):
        setattr(endpoint, attribute, getattr(function, attribute))
    return endpoint


_MISSING = object()


def hands_session_to_thread_pool(function):
    """Mark an ``async def`` that takes the database session but uses it only inside a
    ``run_in_threadpool`` call (the loop-blocking check, tests/platform/test_event_loop.py, lets
    exactly these through)."""
    function.uses_session_in_thread_pool = True
    return function


def read_with_session(request: Request, name: str, default=_MISSING):
    """A value ``reads_only(with_session=...)`` read with the login session, or ``default`` when it
    was not (token or anonymous requests, or a page opened without a session cookie)."""
    return getattr(request.state, "with_session", {}).get(name, default)


def _track_ledger_commits(session: Session) -> None:
    """Entries recorded in a transaction become receipt links only if it commits (the listeners
    below, registered once for every session: a listener per session cost a tenth of a request)."""
    from yizhi.ledger.store import COMMITTED_KEY

    session.info[COMMITTED_KEY] = []


@event.listens_for(Session, "after_commit")
def _ledger_entries_committed(session: Session) -> None:
    from yizhi.ledger.store import COMMITTED_KEY, PENDING_KEY

    committed = session.info.get(COMMITTED_KEY)
    if committed is not None:
        committed.extend(session.info.pop(PENDING_KEY, []))


@event.listens_for(Session, "after_rollback")
def _ledger_entries_rolled_back(session: Session) -> None:
    from yizhi.ledger.store import COMMITTED_KEY, PENDING_KEY

    if COMMITTED_KEY in session.info:
        session.info.pop(PENDING_KEY, None)


async def get_db(request: Request) -> AsyncIterator[Session]:
    """The request's session. Creating it touches nothing (connections are taken on first use), so
    it is made on the loop; closing it returns the connection with a rollback, in the thread pool."""
    session = session_factory()()
    _track_ledger_commits(session)
    request.state.db_info = session.info
    try:
        yield session
    finally:
        # Handlers commit what they change; close() discards the rest without expiring loaded
        # objects, so error pages rendered after the route can still show who is logged in.
        if session.in_transaction() and not _idle_autocommit(session):
            await run_in_threadpool(session.close)
        else:
            session.close()


def _idle_autocommit(session: Session) -> bool:
    """Is the session's connection the PostgreSQL autocommit one ``authenticate`` took, with no
    transaction open? Then closing sends nothing (psycopg skips ROLLBACK on an idle connection and
    resets autocommit locally), so it is done on the loop: one thread-pool hop fewer per read."""
    connection = session.info.get(AUTOCOMMIT_CONNECTION)
    if connection is None or connection.closed:
        return False  # committed and given back, or never taken: the session may hold another
    try:
        import psycopg

        dbapi = connection.connection.dbapi_connection
        return dbapi.autocommit and dbapi.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    except Exception:  # noqa: BLE001 - any doubt: close in the thread pool as before
        return False


DbSession = Annotated[Session, Depends(get_db)]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def resolve_person(request: Request, db: Session) -> Person | None:
    bearer = _bearer(request)
    if bearer is not None:
        person = accounts.resolve_api_token(db, bearer)
        if person is None:
            # A wrong token is an error, not a silent fall-back to the cookie.
            raise NotAuthenticated(N_("the API token is not valid or has been revoked"), code="bad_token")
        request.state.auth = "token"
        return person
    cookie = request.cookies.get(SESSION_COOKIE)
    reading = getattr(request.state, "reading_page", None)
    if cookie and reading is not None:
        # A page that only reads: its unread badge, and what else it reads first, come in the same
        # round trip as the session.
        names, columns = _session_columns(reading)
        person, values = accounts.resolve_session_and(db, cookie, columns)
        if person is not None:
            request.state.auth, request.state.unread_notifications = "session", int(values[0] or 0)
            request.state.with_session = dict(zip(names, values[1:]))
            return person
    elif cookie:
        person = accounts.resolve_session(db, cookie)
        if person is not None:
            request.state.auth = "session"
            return person
    return None


_COLUMNS_BY_READER: dict = {}


def _session_columns(extra: tuple) -> tuple[tuple[str, ...], tuple]:
    """The badge column and a page's own, built once per page (a statement that carries the same
    column objects is found in SQLAlchemy's statement cache)."""
    known = _COLUMNS_BY_READER.get(extra)
    if known is None:
        names = tuple(name for name, _ in extra)
        columns = (_unread_column(), *(factory().label(name) for name, factory in extra))
        known = _COLUMNS_BY_READER.setdefault(extra, (names, columns))
    return known


@lru_cache(maxsize=1)
def _unread_column():
    """The person's unread notices, as a column of the session lookup (built once: the statement
    that carries it is cached by identity)."""
    from yizhi.accounts.models import LoginSession
    from yizhi.notify.models import Notification

    return (select(func.count()).select_from(Notification)
            .where(Notification.person_id == LoginSession.person_id, Notification.read_at.is_(None))
            .correlate(LoginSession).scalar_subquery().label("unread_notifications"))


@hands_session_to_thread_pool
async def authenticate(request: Request, db: DbSession) -> None:
    """Who is asking: :func:`authenticate_now` in the thread pool (see the module docstring), unless
    the endpoint does it in its own thread-pool call (``reads_only``)."""
    route = request.scope.get("route")
    if route is not None and getattr(route, "endpoint", None) in _READING_ENDPOINTS:
        if _bearer(request) is None and not request.cookies.get(SESSION_COOKIE) and not is_public(route.endpoint):
            # No credentials at all: refused here, before the parameters are checked, as on every other route
            # (an anonymous caller gets "log in first", not a 422 about the query).
            raise NotAuthenticated(N_("log in first"))
        return
    await run_in_threadpool(authenticate_now, request, db)


def authenticate_now(request: Request, db: Session) -> None:
    """Who is asking (blocking: never on the event loop)."""
    route = request.scope.get("route")
    alone = route is not None and not _route_uses_session(route)
    extra = _READING_ENDPOINTS.get(getattr(route, "endpoint", None)) if route is not None else None
    reading = alone or extra is not None
    # What the session lookup reads besides the login (None: a page that may write, looked up plainly)
    request.state.reading_page = (extra or ()) if reading else None
    if reading and db.get_bind().dialect.name == "postgresql":
        # The lookup below is the request's only use of the database (``/api/v1/me``), or the route
        # only reads (``reads_only``): no transaction, so PostgreSQL is spared the BEGIN and ROLLBACK
        # round trips. A sliding-expiry or language write then commits on its own, which is all it needs.
        db.info[AUTOCOMMIT_CONNECTION] = db.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    person = resolve_person(request, db)
    if person is not None:
        _apply_person_locale(request, person, db)
        if db.info.pop(AUTH_CHANGED, False):
            db.commit()  # last-used / sliding-expiry / remembered-language, written at most once a minute
    request.state.person = person
    if alone:
        # Nothing after us reads the database (``/api/v1/me``): give the connection back now, in
        # this thread, instead of another thread-pool hop to close the session after the route.
        # Loaded objects stay readable (close() does not expire them).
        db.close()
    if person is None and not (route is not None and is_public(route.endpoint)):
        raise NotAuthenticated(N_("log in first"))


def _route_uses_session(route) -> bool:
    """Does anything of the route other than authentication take the database session?
    (Worked out once per route and kept on it.)"""
    known = getattr(route, "_yizhi_uses_session", None)
    if known is None:
        known = _needs_db(getattr(route, "dependant", None))
        route._yizhi_uses_session = known
    return known


def _needs_db(dependant) -> bool:
    if dependant is None:
        return True  # not a FastAPI route: assume it does
    for sub in dependant.dependencies:
        if sub.call is authenticate:
            continue
        if sub.call is get_db or _needs_db(sub):
            return True
    return False


def _apply_person_locale(request: Request, person: Person, db: Session) -> None:
    """An explicit ?lang= is remembered on the account; otherwise the account's choice applies."""
    source = getattr(request.state, "locale_source", "default")
    if source == "query" and person.locale != request.state.locale:
        person.locale = request.state.locale
        db.info[AUTH_CHANGED] = True
    elif source in ("accept", "default") and person.locale:
        request.state.locale = person.locale


async def current_person(request: Request) -> Person:
    person = getattr(request.state, "person", None)
    if person is None:
        raise NotAuthenticated(N_("log in first"))
    return person


async def optional_person(request: Request) -> Person | None:
    return getattr(request.state, "person", None)


CurrentPerson = Annotated[Person, Depends(current_person)]
OptionalPerson = Annotated[Person | None, Depends(optional_person)]
