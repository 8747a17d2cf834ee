"""The `yizhi` command. Domains register their own sub-commands; this module only mounts them.

Errors are printed as one clear line on stderr with exit code 1 (2 for usage errors); no traceback.
"""

from __future__ import annotations

import functools
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from yizhi import __version__
from yizhi.catalog.cli import datasets_app
from yizhi.cli_support import cli_message, fail
from yizhi.access.cli import access_app
from yizhi.annotation.cli import annotation_app
from yizhi.deid.cli import app as deid_app
from yizhi.deid.tabular.cli import anonymize_command
from yizhi.engine.cli import engine_app
from yizhi.evaluation.cli import eval_app
from yizhi.ledger.cli import app as ledger_app
from yizhi.market.cli import market_app, vouchers_app
from yizhi.needs.cli import needs_app, solutions_app
from yizhi.space.cli import space_app

app = typer.Typer(help="YiZhi 医智 — the city's medical-AI support platform.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
org_app = typer.Typer(help="Organisations.", no_args_is_help=True)
user_app = typer.Typer(help="People (user accounts).", no_args_is_help=True)
token_app = typer.Typer(help="Personal API tokens.", no_args_is_help=True)
jobs_app = typer.Typer(help="Background jobs.", no_args_is_help=True)
err = Console(stderr=True)


def domain_errors(fn):
    """Turn a domain error into one clear line and a non-zero exit."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from yizhi.errors import YizhiError

        try:
            return fn(*args, **kwargs)
        except YizhiError as exc:
            fail(cli_message(exc))

    return wrapper


@app.command()
def version() -> None:
    """Print the YiZhi version."""
    typer.echo(__version__)


@app.command()
def migrate() -> None:
    """Apply database migrations (also done by `serve` at start)."""
    from yizhi.config import get_settings
    from yizhi.migrate import upgrade_to_head

    upgrade_to_head()
    url = get_settings().resolved_database_url()
    err.print(f"database is up to date ({url.split('@')[-1]})", highlight=False)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (default YIZHI_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default YIZHI_PORT).")] = None,
    no_worker: Annotated[bool, typer.Option("--no-worker", help="Do not run the embedded job worker.")] = False,
) -> None:
    """Apply migrations and serve the web platform and JSON API."""
    import uvicorn

    from yizhi.config import get_settings
    from yizhi.migrate import upgrade_to_head
    from yizhi.web.app import create_app

    settings = get_settings()
    upgrade_to_head()
    settings.resolved_secret_key()  # generated once here, before any server process reads it
    options = {"host": host or settings.host, "port": port or settings.port, "log_level": "info",
               "access_log": settings.access_log, **proxy_options(settings)}
    if settings.web_processes == 1:
        uvicorn.run(create_app(start_worker=not no_worker, serving=True), **options)
        return
    # Several processes share the listening socket, each with its own event loop, thread pool and
    # database pool; they import the app themselves (create_app() never starts a job worker).
    # One job worker is enough: it runs here, in the supervisor, not once per server process.
    worker = None
    if not no_worker and settings.embedded_worker:
        from yizhi.jobs.worker import EmbeddedWorker

        worker = EmbeddedWorker()
        worker.start()
    try:
        from yizhi.web import serving

        if serving.supported():  # a listening socket per process: connections spread evenly
            serving.run_processes("yizhi.web.app:create_served_app", settings.web_processes, **options)
        else:
            uvicorn.run("yizhi.web.app:create_served_app", factory=True, workers=settings.web_processes, **options)
    finally:
        if worker is not None:
            worker.stop()


def proxy_options(settings) -> dict:
    """X-Forwarded-For/-Proto are believed only from the reverse proxies in YIZHI_TRUSTED_PROXIES:
    otherwise any client could choose the address that login throttling counts."""
    proxies = [p.strip() for p in settings.trusted_proxies.split(",") if p.strip()]
    return {"proxy_headers": bool(proxies), "forwarded_allow_ips": ",".join(proxies) or ""}


@app.command()
def worker(
    poll: Annotated[float, typer.Option(help="Seconds between polls when the queue is empty.")] = 1.0,
) -> None:
    """Run background jobs until interrupted (production: alongside `serve --no-worker`)."""
    import signal
    import threading

    from yizhi.jobs.worker import run_forever

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    err.print("worker started; Ctrl-C to stop")
    run_forever(stop, poll_seconds=poll)


@app.command()
@domain_errors
def demo() -> None:
    """Seed demo organisations, people and domain data (idempotent)."""
    from yizhi.demo import seed_demo
    from yizhi.migrate import upgrade_to_head

    upgrade_to_head()
    created = seed_demo()
    err.print(f"demo ready: {created} new record(s)" if created else "demo already seeded; nothing to do")


@app.command("config")
def show_config() -> None:
    """Show every YIZHI_* setting, its current value and what it does."""
    from yizhi.config import all_settings_classes

    table = Table()
    table.add_column("variable", no_wrap=True)
    table.add_column("value", overflow="fold")
    table.add_column("meaning")
    for cls in all_settings_classes():
        current = cls()
        prefix = cls.model_config.get("env_prefix", "YIZHI_")
        for name, field in cls.model_fields.items():
            value = getattr(current, name)
            if "secret" in name and value:
                value = "(set)"
            table.add_row(f"{prefix}{name}".upper(), str(value), field.description or "")
    Console().print(table)


@org_app.command("create")
@domain_errors
def org_create(
    slug: str,
    kind: Annotated[str, typer.Option(help="commission, hospital, company, university or evaluator.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    pending: Annotated[bool, typer.Option("--pending", help="Leave it awaiting approval.")] = False,
) -> None:
    """Create an organisation (approved unless --pending)."""
    from yizhi.accounts import service
    from yizhi.db import session_scope

    with session_scope() as session:
        org = service.create_organization(session, slug=slug, name=name, kind=kind, approved=not pending)
        typer.echo(f"created organisation {org.slug} ({org.kind.value}) id={org.id}")


@org_app.command("list")
def org_list() -> None:
    """List organisations."""
    from sqlalchemy import select

    from yizhi.accounts.models import Organization
    from yizhi.db import session_scope

    table = Table("slug", "kind", "name", "approved", "members")
    with session_scope() as session:
        for org in session.scalars(select(Organization).order_by(Organization.slug)):
            table.add_row(org.slug, org.kind.value, org.name, "yes" if org.approved else "no",
                          str(len(org.memberships)))
    Console().print(table)


@org_app.command("approve")
@domain_errors
def org_approve(slug: str) -> None:
    """Approve a self-registered organisation."""
    from yizhi.accounts import service
    from yizhi.db import session_scope

    with session_scope() as session:
        org = service.get_org_by_slug(session, slug)
        service.approve_organization(session, org, actor=None)
        typer.echo(f"approved {org.slug}")


@user_app.command("create")
@domain_errors
def user_create(
    email: str,
    org: Annotated[str, typer.Option(help="Slug of the organisation to join.")],
    role: Annotated[str, typer.Option(help="owner, member, reviewer or annotator.")] = "member",
    name: Annotated[str, typer.Option(help="Display name (default: the email's name).")] = "",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
) -> None:
    """Create a person and add them to an organisation."""
    from yizhi.accounts import service
    from yizhi.db import session_scope

    if not password_stdin:
        fail("pass the password on standard input with --password-stdin (never on the command line)", 2)
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        fail("no password on standard input", 2)
    with session_scope() as session:
        organization = service.get_org_by_slug(session, org)
        role_value = service.parse_role(role)
        person = service.create_person(session, email=email, display_name=name, password=password)
        service.add_member(session, organization, person, role_value)
        typer.echo(f"created {person.email} as {role_value.value} of {organization.slug} id={person.id}")


@token_app.command("create")
@domain_errors
def token_create(
    email: str,
    name: Annotated[str, typer.Option(help="What the token is for.")],
) -> None:
    """Create a personal API token; the token is printed on the last line, once."""
    from yizhi.accounts import service
    from yizhi.db import session_scope

    with session_scope() as session:
        person = service.get_person_by_email(session, email)
        token, secret = service.create_api_token(session, person, name)
        err.print(f"token {token.name!r} for {person.email}; store it now, it is not shown again:")
    typer.echo(secret)


@jobs_app.command("list")
def jobs_list(limit: Annotated[int, typer.Option(help="How many, newest first.")] = 20) -> None:
    """List recent background jobs."""
    from sqlalchemy import select

    from yizhi.db import session_scope
    from yizhi.jobs.models import Job

    table = Table("id", "kind", "state", "attempts", "progress", "error")
    with session_scope() as session:
        for job in session.scalars(select(Job).order_by(Job.id.desc()).limit(limit)):
            table.add_row(str(job.id), job.kind, job.state.value, f"{job.attempts}/{job.max_attempts}",
                          f"{job.progress:.0%}", (job.error or "").split("\n")[0][:60])
    Console().print(table)


@jobs_app.command("retry")
@domain_errors
def jobs_retry(job_id: int) -> None:
    """Queue a failed job again."""
    from yizhi.db import session_scope
    from yizhi.errors import N_, NotFound
    from yizhi.jobs import service
    from yizhi.jobs.models import Job

    with session_scope() as session:
        job = session.get(Job, job_id)
        if job is None:
            raise NotFound(N_("no job %(id)s"), params={"id": job_id})
        service.retry(session, job)
        typer.echo(f"job {job_id} queued again")


app.add_typer(org_app, name="org")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(jobs_app, name="jobs")
app.add_typer(deid_app, name="deid")
app.add_typer(ledger_app, name="ledger")
app.add_typer(needs_app, name="needs")
app.add_typer(solutions_app, name="solutions")
app.add_typer(space_app, name="space")
app.add_typer(eval_app, name="eval")
app.add_typer(datasets_app, name="datasets")
app.add_typer(engine_app, name="engine")
app.add_typer(access_app, name="access")
app.add_typer(annotation_app, name="annotation")
app.add_typer(market_app, name="market")
app.add_typer(vouchers_app, name="vouchers")

# `yizhi anonymize` (issue 4, tabular) registers here:  app.command("anonymize")(...)
app.command("anonymize")(anonymize_command)


def main() -> None:
    """Entry point: any domain error or database failure becomes one clear line, never a traceback."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from yizhi.errors import YizhiError

    try:
        app()
    except YizhiError as exc:
        err.print(f"[red]error:[/red] {cli_message(exc)}", highlight=False, markup=True, soft_wrap=True)
        raise SystemExit(1) from None
    except (OperationalError, ProgrammingError) as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        err.print(f"[red]error:[/red] database: {reason} — is it reachable and migrated? run `yizhi migrate`",
                  highlight=False)
        raise SystemExit(1) from None
