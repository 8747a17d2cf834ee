"""`yizhi market ...` and `yizhi vouchers ...`: the commission's commands (names exact, issue 20).

    yizhi market certify PRODUCT@VERSION [--months N] [--note TEXT] [--by EMAIL]
    yizhi market refuse PRODUCT@VERSION --note TEXT | withdraw PRODUCT@VERSION --reason TEXT
    yizhi market assess PRODUCT@VERSION [--json] | criteria CATEGORY [--set FILE] | list | queue
    yizhi vouchers programme create SLUG ... | programme list
    yizhi vouchers issue PROGRAMME ORG --amount YUAN [--until DATE] [--grant ID]
    yizhi vouchers statement ORG [--since DATE] [--until DATE] [--json | --csv]
    yizhi vouchers report PROGRAMME | meter | revoke CODE --reason TEXT | verify

Errors are one line on stderr with exit code 1 (``yizhi.cli.main``); a refused certification lists
every reason.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from yizhi.errors import N_, ValidationFailed

market_app = typer.Typer(help="Product supermarket: certification of product versions, criteria.",
                         no_args_is_help=True)
vouchers_app = typer.Typer(help="Compute and data vouchers: programmes, issuing, statements.", no_args_is_help=True)
programme_app = typer.Typer(help="Voucher programmes.", no_args_is_help=True)
vouchers_app.add_typer(programme_app, name="programme")


def _reviewer(session, email: str | None):
    """The commission member named with --by (checked like on the web), or the operator (None)."""
    if not email:
        return None
    from yizhi.accounts import service as accounts
    from yizhi.errors import NotFound

    person = accounts.get_person_by_email(session, email)
    if person is None:
        raise NotFound(N_("no person %(email)s"), params={"email": email})
    return person


def _version(session, ref: str):
    from yizhi.market.products import resolve_version

    return resolve_version(session, ref)


@market_app.command("certify")
def certify(
    ref: Annotated[str, typer.Argument(help="The version, PRODUCT@VERSION.")],
    months: Annotated[int | None, typer.Option(min=1, max=60, help="How long the certificate lasts (default "
                                               "YIZHI_MARKET_CERTIFICATE_MONTHS; never past the NMPA registration).")] = None,
    note: Annotated[str, typer.Option(help="The reviewer's note.")] = "",
    by: Annotated[str | None, typer.Option(help="E-mail of the commission member deciding.")] = None,
) -> None:
    """Certify a product version for the supermarket (refused, with every reason, when it does not qualify)."""
    from yizhi.db import session_scope
    from yizhi.market import certification

    with session_scope() as session:
        version = _version(session, ref)
        cert = certification.certify(session, _reviewer(session, by), version, months=months, note=note)
        typer.echo(f"certified {version.ref} until {cert.valid_until.isoformat()} (certificate {cert.id}, "
                   f"criteria {certification.current_criteria(session, version.product.category).revision}, "
                   f"ledger entry {cert.ledger_index})")


@market_app.command("refuse")
def refuse(ref: str, note: Annotated[str, typer.Option(help="Why it is refused.")],
           by: Annotated[str | None, typer.Option(help="E-mail of the commission member deciding.")] = None) -> None:
    """Refuse the certification of a version, with the reason."""
    from yizhi.db import session_scope
    from yizhi.market import certification

    with session_scope() as session:
        version = _version(session, ref)
        cert = certification.refuse(session, _reviewer(session, by), version, note)
        typer.echo(f"refused {version.ref} (certification {cert.id})")


@market_app.command("withdraw")
def withdraw(ref: str, reason: Annotated[str, typer.Option(help="Shown with the withdrawn certificate.")],
             by: Annotated[str | None, typer.Option(help="E-mail of the commission member deciding.")] = None) -> None:
    """Withdraw a version's certificate; it leaves the supermarket and shows the reason."""
    from yizhi.db import session_scope
    from yizhi.market import certification

    with session_scope() as session:
        version = _version(session, ref)
        cert = certification.withdraw(session, _reviewer(session, by), version, reason)
        typer.echo(f"withdrew the certificate {cert.id} of {version.ref}")


@market_app.command("assess")
def assess(ref: str, as_json: Annotated[bool, typer.Option("--json", help="Print the whole assessment.")] = False) -> None:
    """Check a version as a reviewer would: reports verified, criteria met, NMPA registration valid."""
    from yizhi.db import session_scope
    from yizhi.market import certification

    with session_scope() as session:
        check = certification.assess(session, _version(session, ref))
        if as_json:
            typer.echo(json.dumps({**check, "reports": {str(k): v for k, v in check["reports"].items()}},
                                  ensure_ascii=False, indent=2))
            return
        typer.echo("passes" if check["passed"] else "does not pass")
        for problem in check["problems"]:
            typer.echo(f"- {certification.problem_text(problem)}")


def _read_criteria(path: Path) -> list:
    import yaml

    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationFailed(N_("cannot read %(path)s: %(reason)s"), params={"path": str(path), "reason": str(exc)[:200]},
                               field="criteria") from None
    if len(text) > 64 * 1024:
        raise ValidationFailed(N_("a criteria file is at most 64 KiB"), field="criteria")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationFailed(N_("%(path)s is not YAML or JSON: %(reason)s"),
                               params={"path": str(path), "reason": str(exc).splitlines()[0][:200]},
                               field="criteria") from None
    return data.get("criteria") if isinstance(data, dict) else data


@market_app.command("criteria")
def criteria(
    category: str,
    set_file: Annotated[Path | None, typer.Option("--set", help="Publish these criteria (YAML/JSON list) as a new "
                                                  "revision.")] = None,
    no_nmpa: Annotated[bool, typer.Option("--no-nmpa", help="The category does not require an NMPA "
                                          "registration.")] = False,
    note: Annotated[str, typer.Option(help="Why the criteria change.")] = "",
) -> None:
    """Show a category's published criteria, or publish a new revision with --set."""
    from yizhi.db import session_scope
    from yizhi.market import certification

    with session_scope() as session:
        if set_file is not None:
            published = certification.publish_criteria(session, None, category, _read_criteria(set_file),
                                                       nmpa_required=not no_nmpa, note=note)
            typer.echo(f"published {category} criteria revision {published.revision} "
                       f"(sha256 {published.criteria_sha256[:12]}…)")
            return
        found = certification.current_criteria(session, category)
        if found is None:
            raise ValidationFailed(N_("category %(category)s has no published criteria"), params={"category": category})
        typer.echo(json.dumps({"category": category, "revision": found.revision, "nmpa_required": found.nmpa_required,
                               "criteria": found.criteria}, ensure_ascii=False, indent=2))


@market_app.command("list")
def listing(category: Annotated[str, typer.Option(help="Only this category.")] = "") -> None:
    """The supermarket's certified versions (what the public sees)."""
    from yizhi.db import session_scope
    from yizhi.market import products

    with session_scope() as session:
        for row in products.listing(session, category=category):
            typer.echo(f"{row.version.ref}\t{row.product.name}\t{row.product.organization.slug}\t"
                       f"until {row.certificate.valid_until.isoformat()}")


@market_app.command("queue")
def queue() -> None:
    """Certification requests waiting for the commission's decision."""
    from yizhi.db import session_scope
    from yizhi.market import certification

    with session_scope() as session:
        for cert in certification.queue(session):
            typer.echo(f"{cert.version.ref}\trequested {cert.requested_at.isoformat(timespec='minutes')}")


# ----- vouchers ------------------------------------------------------------------------------------------------------
def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


@programme_app.command("create")
def programme_create(
    slug: str,
    title: Annotated[str, typer.Option(help="The programme's title.")],
    kind: Annotated[str, typer.Option(help="compute or data.")],
    budget: Annotated[str, typer.Option(help="Budget in yuan.")],
    until: Annotated[str, typer.Option("--until", help="Last day vouchers can be used (YYYY-MM-DD).")],
    start: Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD; default today).")] = None,
    kinds: Annotated[str, typer.Option(help="Eligible organisation kinds, comma separated.")] = "",
    orgs: Annotated[str, typer.Option(help="Eligible organisations (slugs), comma separated.")] = "",
    purposes: Annotated[str, typer.Option(help="Grant purposes paid for, comma separated (default any).")] = "",
) -> None:
    """Create a voucher programme with its budget."""
    from pydantic import ValidationError

    from yizhi.db import session_scope, utcnow
    from yizhi.market import vouchers
    from yizhi.market.money import yuan
    from yizhi.market.schemas import ProgrammeIn

    try:
        data = ProgrammeIn(slug=slug, title=title, kind=kind, budget=budget, valid_until=until,
                           valid_from=start or utcnow().date().isoformat(), eligible_kinds=_csv(kinds),
                           eligible_orgs=_csv(orgs), purposes=_csv(purposes))
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValidationFailed(N_("%(field)s: %(problem)s"), params={
            "field": ".".join(str(p) for p in first["loc"]), "problem": first["msg"]}) from None
    with session_scope() as session:
        programme = vouchers.create_programme(session, None, data)
        typer.echo(f"programme {programme.slug}: {programme.kind.value}, budget {yuan(programme.budget_fen)}, "
                   f"{programme.valid_from.isoformat()} to {programme.valid_until.isoformat()}")


@programme_app.command("list")
def programme_list() -> None:
    """Voucher programmes with their budget left to issue."""
    from sqlalchemy import select

    from yizhi.db import session_scope
    from yizhi.market.money import yuan
    from yizhi.market.voucher_models import VoucherProgramme

    with session_scope() as session:
        for p in session.scalars(select(VoucherProgramme).order_by(VoucherProgramme.id)):
            typer.echo(f"{p.slug}\t{p.kind.value}\t{yuan(p.available_fen)} of {yuan(p.budget_fen)} left\t"
                       f"until {p.valid_until.isoformat()}")


@vouchers_app.command("issue")
def issue(
    programme: str,
    org: str,
    amount: Annotated[str, typer.Option(help="Amount in yuan.")],
    until: Annotated[str | None, typer.Option("--until", help="Last day of use (default the programme's end).")] = None,
    grant: Annotated[int | None, typer.Option(help="Bind a compute voucher to one grant.")] = None,
) -> None:
    """Issue a voucher of a programme to an organisation; prints the voucher code last."""
    from pydantic import ValidationError

    from yizhi.db import session_scope
    from yizhi.market import vouchers
    from yizhi.market.money import yuan
    from yizhi.market.schemas import IssueIn

    try:
        data = IssueIn(org=org, amount=amount, valid_until=until, grant_id=grant)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValidationFailed(N_("%(field)s: %(problem)s"), params={
            "field": ".".join(str(p) for p in first["loc"]), "problem": first["msg"]}) from None
    with session_scope() as session:
        voucher = vouchers.issue(session, None, vouchers.get_programme(session, programme), data)
        typer.echo(f"issued {yuan(voucher.amount_fen)} to {org}, usable until {voucher.valid_until.isoformat()}",
                   err=True)
        typer.echo(voucher.code)


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(N_("%(option)s must be a date YYYY-MM-DD (got %(value)s)"),
                               params={"option": option, "value": text[:20]}) from None


@vouchers_app.command("statement")
def statement(
    org: str,
    since: Annotated[str | None, typer.Option(help="First day (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Last day (YYYY-MM-DD).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV lines.")] = False,
) -> None:
    """An organisation's voucher statement: balances and every movement in the period."""
    from yizhi.db import session_scope
    from yizhi.market import statements
    from yizhi.market.money import yuan
    from yizhi.market.products import org_by_slug

    with session_scope() as session:
        data = statements.statement(session, org_by_slug(session, org), _day(since, "--since"), _day(until, "--until"))
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    if as_csv:
        typer.echo(statements.statement_csv(data), nl=False)
        return
    typer.echo(f"statement of {org} ({data['since'] or 'start'} – {data['until'] or 'today'})")
    typer.echo(f"opening: vouchers {yuan(data['opening']['vouchers_fen'])}, received "
               f"{yuan(data['opening']['received_fen'])}")
    for line in data["lines"]:
        typer.echo(f"{line['at']}  {line['kind']:<7} {line['voucher'] or line['account']:<16} "
                   f"{line['amount']:>16}  {line['purpose']} {line['reference']}")
    typer.echo(f"closing: vouchers {yuan(data['closing']['vouchers_fen'])}, received "
               f"{yuan(data['closing']['received_fen'])}")


@vouchers_app.command("report")
def report(programme: str) -> None:
    """A programme's report: issued, spent by purpose/holder/payee, returned, left; closure outcomes."""
    from yizhi.db import session_scope
    from yizhi.market import statements, vouchers

    with session_scope() as session:
        data = statements.programme_report(session, vouchers.get_programme(session, programme))
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


@vouchers_app.command("meter")
def meter() -> None:
    """Charge finished Tier B jobs to compute vouchers now (the worker does it every minute)."""
    from yizhi.market.metering import charge_finished_jobs
    from yizhi.market.money import yuan

    result = charge_finished_jobs()
    typer.echo(f"charged {result['charged']} job(s); vouchers paid {yuan(result['covered_fen'])}"
               + (f"; {result['failed']} failed (retried next time)" if result["failed"] else ""))


@vouchers_app.command("revoke")
def revoke(code: str, reason: Annotated[str, typer.Option(help="Why the voucher is revoked.")]) -> None:
    """Revoke a voucher; its balance goes back to the programme."""
    from yizhi.db import session_scope
    from yizhi.market import vouchers

    with session_scope() as session:
        vouchers.revoke(session, None, vouchers.get_voucher(session, code), reason)
        typer.echo(f"revoked {code}")


@vouchers_app.command("verify")
def verify() -> None:
    """Check the voucher books: every transaction balances and matches its digest, every balance its entries."""
    from yizhi.db import session_scope
    from yizhi.market.statements import verify_books

    with session_scope() as session:
        problems = verify_books(session)
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo("the voucher books are consistent")
