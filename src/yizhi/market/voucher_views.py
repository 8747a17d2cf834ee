"""Pages of vouchers: programmes (the commission creates them and issues vouchers), a voucher with
its transactions (a data voucher's holder pays a fee from it), statements per organisation."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from sqlalchemy import select
from starlette.datastructures import FormData

from yizhi.accounts.permissions import active_orgs, authorize, can
from yizhi.errors import N_, ValidationFailed, YizhiError
from yizhi.market import statements, vouchers
from yizhi.market.money import yuan
from yizhi.market.products import org_by_slug
from yizhi.market.schemas import IssueIn, ProgrammeIn, RevokeIn, SpendIn
from yizhi.market.voucher_models import Voucher, VoucherProgramme, VoucherTransaction
from yizhi.web.deps import CurrentPerson, DbSession
from yizhi.web.flash import redirect_with_flash
from yizhi.web.forms import FormBody
from yizhi.web.templating import render, translator

router = APIRouter(include_in_schema=False)


def _form(form: FormData) -> dict:
    return {k: v for k, v in form.multi_items() if k != "csrf_token" and isinstance(v, str)}


def _parse(model, data: dict):
    from yizhi.market.views import parse

    return parse(model, data)


def _failed(request: Request, db, back: str, exc: YizhiError) -> Response:
    db.rollback()
    return redirect_with_flash(back, exc.localized(translator(request)), "error")


@router.get("/vouchers", response_class=HTMLResponse)
def index(request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    orgs = active_orgs(person)
    return render(request, "market/vouchers.html", {"yuan": yuan, 
        "programmes": list(db.scalars(select(VoucherProgramme).order_by(VoucherProgramme.id.desc()))),
        "vouchers": vouchers.vouchers_of(db, [o.id for o in orgs]), "orgs": orgs,
        "can_manage": can(person, "vouchers.manage", None)})


@router.get("/vouchers/programmes/new", response_class=HTMLResponse)
def new_programme(request: Request, person: CurrentPerson) -> HTMLResponse:
    authorize(person, "vouchers.manage", None)
    return render(request, "market/programme_form.html", {"purposes": vouchers.PURPOSES,
                                                          "kinds": vouchers.ELIGIBLE_KINDS, "today": date.today()})


@router.post("/vouchers/programmes/new")
def create_programme(request: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    authorize(person, "vouchers.manage", None)
    data = {k: v for k, v in form.multi_items() if k != "csrf_token" and isinstance(v, str)}
    try:
        fields = {k: data.get(k, "") for k in ("slug", "title", "kind", "budget", "valid_from", "valid_until",
                                               "eligible_orgs", "description")}
        fields["eligible_kinds"] = [v for v in form.getlist("eligible_kinds") if isinstance(v, str)]
        fields["purposes"] = [v for v in form.getlist("purposes") if isinstance(v, str)]
        programme = vouchers.create_programme(db, person, _parse(ProgrammeIn, fields))
    except YizhiError as exc:
        return _failed(request, db, "/vouchers/programmes/new", exc)
    db.commit()
    return redirect_with_flash(f"/vouchers/programmes/{programme.slug}", N_("Programme created."))


@router.get("/vouchers/programmes/{slug}", response_class=HTMLResponse)
def programme_page(slug: str, request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    programme = vouchers.get_programme(db, slug)
    authorize(person, "vouchers.programme.view", programme)
    manage = can(person, "vouchers.manage", None)
    report = statements.programme_report(db, programme) if can(person, "vouchers.programme.report", programme) \
        else None
    issued = list(db.scalars(select(Voucher).where(Voucher.programme_id == programme.id).order_by(Voucher.id.desc())))
    if not report:
        mine = {o.id for o in active_orgs(person)}
        issued = [v for v in issued if v.organization_id in mine]
    return render(request, "market/programme.html", {"programme": programme, "yuan": yuan, "report": report, "issued": issued,
                                                     "can_manage": manage, "open": vouchers.programme_open(programme)})


@router.post("/vouchers/programmes/{slug}/issue")
def issue(slug: str, request: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    programme = vouchers.get_programme(db, slug)
    authorize(person, "vouchers.programme.view", programme)
    authorize(person, "vouchers.manage", None)
    data = _form(form)
    back = f"/vouchers/programmes/{slug}"
    try:
        fields = {"org": data.get("org", ""), "amount": data.get("amount", ""),
                  "valid_until": data.get("valid_until") or None, "grant_id": data.get("grant_id") or None}
        voucher = vouchers.issue(db, person, programme, _parse(IssueIn, fields))
    except YizhiError as exc:
        return _failed(request, db, back, exc)
    db.commit()
    return redirect_with_flash(f"/vouchers/v/{voucher.code}", N_("Voucher issued."))


def _voucher(db, person, code: str) -> Voucher:
    voucher = vouchers.get_voucher(db, code)
    authorize(person, "vouchers.voucher.view", voucher)
    return voucher


@router.get("/vouchers/v/{code}", response_class=HTMLResponse)
def voucher_page(code: str, request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    voucher = _voucher(db, person, code)
    txns = list(db.scalars(select(VoucherTransaction).where(VoucherTransaction.voucher_id == voucher.id)
                           .order_by(VoucherTransaction.id)))
    grants = []
    if voucher.programme.kind.value == "data" and can(person, "vouchers.voucher.spend", voucher):
        from yizhi.access.models import Grant

        grants = list(db.scalars(select(Grant).where(Grant.organization_id == voucher.organization_id)
                                 .order_by(Grant.id.desc()).limit(50)))
    return render(request, "market/voucher.html", {"yuan": yuan, 
        "voucher": voucher, "transactions": txns, "grants": grants, "usable": vouchers.usable(voucher),
        "can_revoke": can(person, "vouchers.voucher.revoke", voucher) and voucher.state.value == "active"})


@router.post("/vouchers/v/{code}/{action}")
def voucher_action(code: str, action: str, request: Request, db: DbSession, person: CurrentPerson,
        form: FormBody) -> Response:
    voucher = _voucher(db, person, code)
    data = _form(form)
    back = f"/vouchers/v/{voucher.code}"
    try:
        if action == "spend":
            vouchers.pay_data_fee(db, person, voucher, _parse(SpendIn, {
                "amount": data.get("amount", ""), "grant_id": data.get("grant_id", ""),
                "payee": data.get("payee") or None, "memo": data.get("memo", "")}))
            message = N_("Fee paid from the voucher.")
        elif action == "revoke":
            vouchers.revoke(db, person, voucher, _parse(RevokeIn, {"reason": data.get("reason", "")}).reason)
            message = N_("Voucher revoked.")
        else:
            raise ValidationFailed(N_("no such action"), code="not_found")
    except YizhiError as exc:
        return _failed(request, db, back, exc)
    db.commit()
    return redirect_with_flash(back, message)


@router.get("/vouchers/statements/{org}", response_class=HTMLResponse)
def statement_page(org: str, request: Request, db: DbSession, person: CurrentPerson, since: str = "",
                   until: str = "", format: str = "html") -> Response:
    found = org_by_slug(db, org)
    authorize(person, "vouchers.statement", found)
    try:
        start = date.fromisoformat(since) if since else None
        end = date.fromisoformat(until) if until else None
    except ValueError:
        raise ValidationFailed(N_("dates are YYYY-MM-DD")) from None
    data = statements.statement(db, found, start, end)
    if format == "csv":
        return PlainTextResponse(statements.statement_csv(data), media_type="text/csv",
                                 headers={"Content-Disposition": f'attachment; filename="statement-{found.slug}.csv"'})
    return render(request, "market/statement.html", {"org": found, "yuan": yuan, "data": data})
