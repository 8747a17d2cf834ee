"""`yizhi access ...` — for administrators (the operator at the command line is trusted like a
database administrator; everything it does is on the ledger as ``cli``).

    yizhi access list [--state S] [--json]          access requests, newest first
    yizhi access show ID [--json]                   one request with its steps, history and grant
    yizhi access grant --org ORG --dataset SLUG@N [--columns TABLE:COL,COL ...] [--days N]
                       [--mode space|extract] [--epsilon E] --reason TEXT
                                                    an administrative grant; last line: the grant id
    yizhi access grant-check --org ORG --dataset SLUG@N   exit 0 when a live grant exists, 1 otherwise
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from yizhi.cli_support import cli_session, fail

access_app = typer.Typer(help="Access requests and grants (apply — use — feedback).", no_args_is_help=True)


def _org(session, slug: str):
    from sqlalchemy import select

    from yizhi.accounts.models import Organization
    from yizhi.errors import NotFound

    org = session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        raise NotFound(f"no organisation {slug!r}")
    return org


@access_app.command("list")
def list_requests(
    state: Annotated[str | None, typer.Option(help="Only requests in this state (draft, submitted, prescreen, "
                                                   "in_review, approved, ..., granted, closed).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array on stdout.")] = False,
) -> None:
    """List access requests, newest first."""
    from yizhi.access import request_service
    from yizhi.access.request_models import RequestState

    if state is not None and state not in RequestState.__members__:
        fail(f"--state must be one of {', '.join(RequestState.__members__)}", 2)
    with cli_session() as session:
        rows = [{"id": r.id, "version": r.version, "state": r.state.value, "kind": r.kind.value,
                 "org": r.organization.slug, "holder": r.holder.slug, "datasets": [d.version.ref for d in r.datasets],
                 "title": r.title, "grant_id": r.grant_id}
                for r in request_service.visible_requests(session, None, state=state, limit=10_000)]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "v", "state", "kind", "org", "holder", "datasets", "grant", "title")
    for r in rows:
        table.add_row(str(r["id"]), str(r["version"]), r["state"], r["kind"], r["org"], r["holder"],
                      ", ".join(r["datasets"]), str(r["grant_id"] or ""), r["title"][:50])
    Console().print(table)


@access_app.command("show")
def show(
    request_id: Annotated[int, typer.Argument(help="The request's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="The request as JSON on stdout.")] = False,
) -> None:
    """Show one access request: what it asks, its steps, history, decision and grant."""
    from yizhi.access import grant_service, request_service
    from yizhi.access.views_common import request_public

    with cli_session() as session:
        request = request_service.get_request(session, None, request_id)
        shown = request_public(session, _Operator(), request)
        shown["grant"] = grant_service.grant_public(request.grant) if request.grant else None
    if as_json:
        typer.echo(json.dumps(shown, ensure_ascii=False))
        return
    typer.echo(f"request {shown['id']} v{shown['version']} ({shown['change']}): {shown['title']}")
    typer.echo(f"  state {shown['state']} · {shown['kind']} · {shown['org']} → {shown['holder']} · mode {shown['mode']}")
    for entry in shown["datasets"]:
        typer.echo(f"  {entry['ref']}: {json.dumps(entry['columns'], ensure_ascii=False)}")
    for step in shown["steps"]:
        late = " OVERDUE" if step["overdue"] else ""
        typer.echo(f"  step {step['position']} {step['name']}: {step['state']} due {step['due_at'] or '-'}{late}")
    for event in shown["history"]:
        typer.echo(f"  {event['at'][:16]} {event['action']}: {event['from'] or '-'} → {event['to']}")
    if shown["grant"]:
        g = shown["grant"]
        typer.echo(f"  grant {g['id']}: {g['state']}, expires {g['expires_at'][:10]}")


class _Operator:
    """The operator belongs to no side of a request: the command line shows no messages or notes."""

    id = 0
    memberships: list = []
    is_active = True


@access_app.command("grant", context_settings={"allow_extra_args": True})
def grant(
    ctx: typer.Context,
    org: Annotated[str, typer.Option("--org", help="Slug of the organisation that receives the grant.")],
    dataset: Annotated[str, typer.Option("--dataset", help="The dataset version, SLUG@N.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (shown on the public register).")],
    columns: Annotated[list[str] | None, typer.Option("--columns", help="TABLE:COL,COL [TABLE:COL ...] (or repeat "
                                                                       "--columns); default: every column.")] = None,
    days: Annotated[int, typer.Option("--days", help="Days until it expires.")] = 365,
    mode: Annotated[str, typer.Option("--mode", help="space (analysis in the space) or extract.")] = "space",
    epsilon: Annotated[float | None, typer.Option("--epsilon", help="ε budget (default: the dataset's).")] = None,
) -> None:
    """Make an administrative grant (the commission's, e.g. for its evaluators); prints its id last."""
    from yizhi.access import grant_service

    if mode not in ("space", "extract"):
        fail("--mode must be space or extract", 2)
    # `--columns labs:a,b visits:c`: the tables after the first arrive as extra arguments
    stray = [arg for arg in ctx.args if ":" not in arg or arg.startswith("-")]
    if stray or (ctx.args and not columns):
        fail(f"unexpected argument(s): {' '.join(stray or ctx.args)}", 2)
    with cli_session() as session:
        made = grant_service.administrative_grant(
            session, None, org=_org(session, org), ref=dataset,
            columns=grant_service.parse_columns([*(columns or []), *ctx.args]),
            days=days, mode=mode, epsilon=epsilon, reason=reason)
        typer.echo(f"granted {dataset} to {org} until {made.expires_at:%Y-%m-%d} ({mode})", err=True)
        grant_id = made.id
    typer.echo(str(grant_id))


@access_app.command("grant-check")
def grant_check(
    org: Annotated[str, typer.Option("--org", help="Slug of the organisation.")],
    dataset: Annotated[str, typer.Option("--dataset", help="The dataset version, SLUG@N.")],
) -> None:
    """Exit 0 when ORG holds a live grant on SLUG@N, 1 otherwise."""
    from yizhi.access.grants import live_grant_exists
    from yizhi.catalog import service as catalog

    with cli_session() as session:
        found = live_grant_exists(session, _org(session, org), catalog.resolve_version(session, dataset))
        answer = f"grant {found.id} is live until {found.expires_at:%Y-%m-%d}" if found else "no live grant"
    typer.echo(answer)
    raise typer.Exit(0 if found else 1)
