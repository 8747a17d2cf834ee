"""Tier A commands of `yizhi space`: `yizhi space query --grant ID QUERY.json [--dp --epsilon E]`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from yizhi.cli_support import fail


def _acting_person(session, grant, email: str | None):
    from sqlalchemy import select

    from yizhi.accounts.models import Person
    from yizhi.errors import N_, ValidationFailed

    if email:
        person = session.scalar(select(Person).where(Person.email == email.strip().lower()))
        if person is None:
            raise ValidationFailed(N_("no person with e-mail %(email)s"), params={"email": email}, field="as")
        return person
    team = [member.person for member in grant.team]
    if len(team) == 1:
        return team[0]
    raise ValidationFailed(N_("name the person who runs the query with --as EMAIL (grant %(id)s has no single-member "
                              "team)"), params={"id": grant.id}, field="as")


def query_command(
    query_file: Annotated[Path, typer.Argument(help="The query as JSON (see docs/readme/space.md).",
                                               metavar="QUERY.json")],
    grant: Annotated[int, typer.Option("--grant", min=1, help="The grant the query runs under.")],
    dp_mode: Annotated[bool, typer.Option("--dp", help="Release a differentially private answer.")] = False,
    epsilon: Annotated[float | None, typer.Option("--epsilon", help="ε this DP query may spend.")] = None,
    email: Annotated[str | None, typer.Option("--as", help="E-mail of the grantee running it (default: the "
                                                           "grant's only team member).")] = None,
) -> None:
    """Run a disclosure-controlled query on a grant's dataset and print the released JSON."""
    from yizhi.access import grants
    from yizhi.db import session_factory
    from yizhi.errors import YizhiError
    from yizhi.space.query_schemas import parse_query_bytes
    from yizhi.space.query_service import run_query
    from yizhi.space.settings import get_query_settings

    if epsilon is not None and not dp_mode:
        fail("--epsilon goes with --dp")
    try:
        raw = query_file.read_bytes()
    except OSError as exc:
        fail(f"cannot read {query_file}: {exc.strerror}")
    session = session_factory()()
    try:
        query = parse_query_bytes(raw, max_bytes=get_query_settings().query_max_body)
        grant_row = grants.get_grant(session, grant)
        person = _acting_person(session, grant_row, email)
        released = run_query(session, person, grant, query, dp_mode=dp_mode, epsilon=epsilon, client="cli")
    except YizhiError as exc:
        fail(exc.message)
    finally:
        session.close()
    typer.echo(json.dumps({k: released[k] for k in ("status", "reason", "result", "suppressed", "epsilon_spent",
                                                    "epsilon_left", "ledger_index")}, ensure_ascii=False, indent=2))


def register(space_app: typer.Typer) -> None:
    """Add this tier's commands to `yizhi space`."""
    space_app.command("query")(query_command)
