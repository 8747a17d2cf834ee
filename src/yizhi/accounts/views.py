"""Pages: log in and out, self-registration, invitations, profile, API tokens, organisations,
and the commission's approval queue."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from yizhi.accounts import service, throttle
from yizhi.accounts.api import invitation_link
from yizhi.accounts.models import Membership, Organization, OrgKind, Role, SELF_REGISTERING_KINDS
from yizhi.accounts.permissions import authorize, can, is_platform_admin, role_in
from yizhi.config import get_settings
from yizhi.errors import N_, NotFound, YizhiError
from yizhi.web.deps import SESSION_COOKIE, CurrentPerson, DbSession, OptionalPerson, public
from yizhi.web.flash import redirect_with_flash
from yizhi.web.templating import NavItem, locale_of, render, translator

router = APIRouter(include_in_schema=False)

NAV = [
    NavItem("/", "Dashboard", order=0),
    NavItem("/admin/organizations", "Organisations", order=90,
            visible=lambda p: p is not None and is_platform_admin(p)),
]

Text = Annotated[str, Form()]


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect after login is a phishing tool.
    if not target or not target.startswith("/") or target.startswith("//") or urlparse(target).netloc:
        return "/"
    return target


def _set_session_cookie(response: Response, secret: str) -> None:
    settings = get_settings()
    response.set_cookie(SESSION_COOKIE, secret, httponly=True, samesite="lax",
                        secure=settings.secure_cookies, max_age=settings.session_hours * 3600)


# --- log in / out ------------------------------------------------------------------------------

@router.get("/login", response_class=HTMLResponse)
@public
def login_page(request: Request, person: OptionalPerson, next: str = "/") -> Response:
    if person is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "accounts/login.html", {"next": _safe_next(next)})


@router.post("/login", response_class=HTMLResponse)
@public
def login(request: Request, db: DbSession, email: Text, password: Text,
          next: Annotated[str, Form()] = "/") -> Response:
    try:
        person = service.authenticate(db, email=email, password=password, client=_client(request),
                                      device_cookie=request.cookies.get(throttle.DEVICE_COOKIE))
    except YizhiError as exc:
        db.commit()  # failed attempts are counted even though the login is refused
        return render(request, "accounts/login.html",
                      {"error": exc.localized(translator(request)), "email": email[:254], "next": _safe_next(next)},
                      status_code=exc.status)
    secret = service.start_session(db, person, request.headers.get("user-agent", ""))
    db.commit()
    response = RedirectResponse(_safe_next(next), status_code=303)
    _set_session_cookie(response, secret)
    # This browser is now known for this account: a throttle triggered by others does not lock it out.
    response.set_cookie(throttle.DEVICE_COOKIE, throttle.new_device_cookie(person.email), httponly=True,
                        samesite="lax", secure=get_settings().secure_cookies, max_age=180 * 24 * 3600)
    return response


@router.post("/logout")
def logout(request: Request, db: DbSession, person: CurrentPerson) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        service.end_session(db, cookie)
        db.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


# --- self-registration -------------------------------------------------------------------------

@router.get("/register", response_class=HTMLResponse)
@public
def register_page(request: Request) -> HTMLResponse:
    return render(request, "accounts/register.html", {"kinds": SELF_REGISTERING_KINDS, "form": {}})


@router.post("/register", response_class=HTMLResponse)
@public
def register(request: Request, db: DbSession, slug: Text, name: Text, kind: Text, email: Text,
             display_name: Text, password: Text, description: Annotated[str, Form()] = "",
             credit_code: Annotated[str, Form()] = "", name_en: Annotated[str, Form()] = "") -> Response:
    form = {"slug": slug[:64], "name": name[:200], "name_en": name_en[:200], "kind": kind[:20], "email": email[:254],
            "display_name": display_name[:120], "description": description[:5000], "credit_code": credit_code[:30]}
    try:
        org, owner = service.register_organization(
            db, slug=slug, name=name, kind=kind, description=description, owner_email=email,
            owner_name=display_name, owner_password=password, credit_code=credit_code, name_en=name_en)
    except YizhiError as exc:
        db.rollback()
        return render(request, "accounts/register.html",
                      {"kinds": SELF_REGISTERING_KINDS, "form": form, "error": exc.localized(translator(request)),
                       "field": exc.field}, status_code=exc.status)
    _send_registration_mail(request, db, org, owner)
    db.commit()
    # The same answer whether or not the address already had an account: the e-mail tells its owner.
    return render(request, "accounts/register_sent.html", {"email": owner.email})


REGISTRATION_SUBJECT = N_("Confirm your registration on YiZhi")
REGISTRATION_BODY = N_("Hello %(name)s,\n\nfollow this link to confirm the registration of %(org)s. "
                       "The health commission then reviews it.")
EXISTS_SUBJECT = N_("Someone tried to register with your e-mail address")
EXISTS_BODY = N_("Hello %(name)s,\n\nsomeone (perhaps you) tried to register an organisation on YiZhi with this "
                 "e-mail address, which already has an account. Nothing was created. To act for a new "
                 "organisation, log in and ask the commission; if it was not you, you can ignore this message.")


def _send_registration_mail(request: Request, db, org, owner) -> None:
    from yizhi.notify import queue_email
    from yizhi.web.links import absolute_url

    locale = getattr(request.state, "locale", None)
    if org is None and owner.is_active:
        queue_email(db, owner.email, EXISTS_SUBJECT, EXISTS_BODY, {"name": owner.display_name},
                    locale=owner.locale or locale, link=absolute_url("/login", request))
        return
    named = org if org is not None else next((m.organization for m in owner.memberships), None)
    org_name = named.display_name(locale or "zh") if named is not None else ""
    link = absolute_url(f"/register/confirm/{service.confirmation_token(owner)}", request)
    queue_email(db, owner.email, REGISTRATION_SUBJECT, REGISTRATION_BODY,
                {"name": owner.display_name, "org": org_name}, locale=locale, link=link)


@router.get("/register/confirm/{token}", response_class=HTMLResponse)
@public
def confirm_page(token: str, request: Request) -> HTMLResponse:
    # A button, not an action on GET: mail scanners open links before people do.
    return render(request, "accounts/register_confirm.html", {"token": token})


@router.post("/register/confirm/{token}")
@public
def confirm_registration(token: str, request: Request, db: DbSession) -> Response:
    owner = service.confirm_registration(db, token)
    secret = service.start_session(db, owner, request.headers.get("user-agent", ""))
    db.commit()
    response = redirect_with_flash("/", "Registered. The commission will review your organisation.", "info")
    _set_session_cookie(response, secret)
    return response


# --- invitations -------------------------------------------------------------------------------

@router.get("/invitations/{secret}", response_class=HTMLResponse)
@public
def invitation_page(secret: str, request: Request, db: DbSession, person: OptionalPerson) -> HTMLResponse:
    invitation = service.find_invitation(db, secret)
    return render(request, "accounts/invitation.html", {"invitation": invitation, "secret": secret})


@router.post("/invitations/{secret}", response_class=HTMLResponse)
@public
def accept_invitation(secret: str, request: Request, db: DbSession, person: OptionalPerson,
                      display_name: Annotated[str, Form()] = "",
                      password: Annotated[str, Form()] = "") -> Response:
    invitation = service.find_invitation(db, secret)
    org_slug = invitation.organization.slug
    try:
        joined = service.accept_invitation(db, secret, person=person, display_name=display_name,
                                           password=password)
    except YizhiError as exc:
        db.rollback()
        invitation = service.find_invitation(db, secret)
        return render(request, "accounts/invitation.html",
                      {"invitation": invitation, "secret": secret, "error": exc.message,
                       "display_name": display_name}, status_code=exc.status)
    response = redirect_with_flash(f"/orgs/{org_slug}", "You have joined the organisation.")
    if person is None:
        _set_session_cookie(response, service.start_session(db, joined, request.headers.get("user-agent", "")))
    db.commit()
    return response


# --- profile and password ------------------------------------------------------------------------

@router.get("/profile", response_class=HTMLResponse)
def profile_page(request: Request, person: CurrentPerson) -> HTMLResponse:
    return render(request, "accounts/profile.html", {})


@router.post("/profile", response_class=HTMLResponse)
def update_profile(request: Request, db: DbSession, person: CurrentPerson, display_name: Text,
                   locale: Annotated[str, Form()] = "") -> Response:
    display_name = display_name.strip()
    if not display_name:
        return render(request, "accounts/profile.html", {"error": "name must not be empty"}, status_code=422)
    person.display_name = display_name[:120]
    person.locale = locale if locale in ("zh", "en") else None
    db.commit()
    return redirect_with_flash("/profile", "Saved.")


@router.post("/profile/password", response_class=HTMLResponse)
def change_password(request: Request, db: DbSession, person: CurrentPerson, current_password: Text,
                    new_password: Text, confirm_password: Text,
                    revoke_tokens: Annotated[str, Form()] = "") -> Response:
    if new_password != confirm_password:
        return render(request, "accounts/profile.html",
                      {"password_error": "the two new passwords differ"}, status_code=422)
    try:
        revoked = service.change_password(db, person, current=current_password, new=new_password,
                                          keep_session=request.cookies.get(SESSION_COOKIE),
                                          revoke_tokens=bool(revoke_tokens))
    except YizhiError as exc:
        db.rollback()
        return render(request, "accounts/profile.html", {"password_error": exc.localized(translator(request))},
                      status_code=exc.status)
    db.commit()
    if revoked:
        return redirect_with_flash("/profile", N_("Password changed. Your other sessions have been logged out and "
                                                  "your API tokens revoked."))
    return redirect_with_flash("/profile", "Password changed. Your other sessions have been logged out.")


# --- API tokens ----------------------------------------------------------------------------------

@router.get("/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    return render(request, "accounts/tokens.html", {"tokens": service.list_api_tokens(db, person)})


@router.post("/tokens", response_class=HTMLResponse)
def create_token(request: Request, db: DbSession, person: CurrentPerson, name: Text) -> HTMLResponse:
    try:
        _token, secret = service.create_api_token(db, person, name)
    except YizhiError as exc:
        db.rollback()
        return render(request, "accounts/tokens.html",
                      {"tokens": service.list_api_tokens(db, person), "error": exc.message},
                      status_code=exc.status)
    db.commit()
    # Shown once, in this response only; the database keeps a hash.
    return render(request, "accounts/tokens.html",
                  {"tokens": service.list_api_tokens(db, person), "new_secret": secret}, status_code=201)


@router.post("/tokens/{token_id}/revoke")
def revoke_token(token_id: int, db: DbSession, person: CurrentPerson) -> Response:
    token = service.get_own_token(db, person, token_id)
    service.revoke_api_token(db, token, person)
    db.commit()
    return redirect_with_flash("/tokens", "Token revoked.")


# --- organisations ---------------------------------------------------------------------------------

def _org_for(db, slug: str, person, action: str) -> Organization:
    org = service.get_org_by_slug(db, slug)
    authorize(person, action, org)
    return org


@router.get("/orgs/{slug}", response_class=HTMLResponse)
def org_page(slug: str, request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    org = _org_for(db, slug, person, "org.view")
    members = sorted(org.memberships, key=lambda m: (m.role != Role.owner, m.person.display_name))
    return render(request, "accounts/org.html", {
        "org": org, "members": members, "roles": list(Role),
        "can_manage": can(person, "org.manage", org), "my_role": role_in(person, org),
    })


def _membership(db, org: Organization, membership_id: int) -> Membership:
    membership = db.get(Membership, membership_id)
    if membership is None or membership.organization_id != org.id:
        raise NotFound("no such member")
    return membership


@router.post("/orgs/{slug}/members/{membership_id}/role")
def change_member_role(slug: str, membership_id: int, db: DbSession, person: CurrentPerson,
                       role: Text) -> Response:
    org = _org_for(db, slug, person, "org.manage")
    membership = _membership(db, org, membership_id)
    try:
        service.change_role(db, membership, role, person)
    except YizhiError as exc:
        db.rollback()
        return redirect_with_flash(f"/orgs/{slug}", exc.message, "error")
    db.commit()
    return redirect_with_flash(f"/orgs/{slug}", "Role changed.")


@router.post("/orgs/{slug}/members/{membership_id}/remove")
def remove_member(slug: str, membership_id: int, db: DbSession, person: CurrentPerson) -> Response:
    org = _org_for(db, slug, person, "org.manage")
    membership = _membership(db, org, membership_id)
    try:
        service.remove_member(db, membership, person)
    except YizhiError as exc:
        db.rollback()
        return redirect_with_flash(f"/orgs/{slug}", exc.message, "error")
    db.commit()
    return redirect_with_flash(f"/orgs/{slug}", "Member removed.")


@router.get("/orgs/{slug}/invitations", response_class=HTMLResponse)
def invitations_page(slug: str, request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    org = _org_for(db, slug, person, "org.manage")
    return render(request, "accounts/invitations.html",
                  {"org": org, "invitations": service.open_invitations(db, org), "roles": list(Role)})


@router.post("/orgs/{slug}/invitations", response_class=HTMLResponse)
def create_invitation(slug: str, request: Request, db: DbSession, person: CurrentPerson,
                      email: Text, role: Text) -> HTMLResponse:
    org = _org_for(db, slug, person, "org.manage")
    try:
        invitation, secret = service.invite(db, org, email=email, role=role, actor=person)
    except YizhiError as exc:
        db.rollback()
        return render(request, "accounts/invitations.html",
                      {"org": org, "invitations": service.open_invitations(db, org), "roles": list(Role),
                       "error": exc.message, "email": email}, status_code=exc.status)
    db.commit()
    return render(request, "accounts/invitations.html", {
        "org": org, "invitations": service.open_invitations(db, org), "roles": list(Role),
        "new_link": invitation_link(secret, request), "new_email": invitation.email}, status_code=201)


@router.post("/orgs/{slug}/invitations/{invitation_id}/revoke")
def revoke_invitation(slug: str, invitation_id: int, db: DbSession, person: CurrentPerson) -> Response:
    org = _org_for(db, slug, person, "org.manage")
    invitation = next((i for i in service.open_invitations(db, org) if i.id == invitation_id), None)
    if invitation is None:
        raise NotFound("no such open invitation")
    service.revoke_invitation(db, invitation)
    db.commit()
    return redirect_with_flash(f"/orgs/{slug}/invitations", "Invitation revoked.")


# --- the commission: organisations and approvals -------------------------------------------------

@router.get("/admin/organizations", response_class=HTMLResponse)
def admin_orgs(request: Request, db: DbSession, person: CurrentPerson) -> HTMLResponse:
    authorize(person, "platform.admin")
    orgs = list(db.scalars(select(Organization).order_by(Organization.approved, Organization.slug)))
    return render(request, "accounts/admin_orgs.html",
                  {"pending": [o for o in orgs if not o.approved and o.rejected_at is None and o.suspended_at is None],
                   "stopped": [o for o in orgs if o.rejected_at is not None or o.suspended_at is not None],
                   "orgs": [o for o in orgs if o.approved],
                   "kinds": list(OrgKind),
                   "ownerless": {o.id for o in orgs if not any(m.role == Role.owner for m in o.memberships)}})


@router.post("/admin/organizations", response_class=HTMLResponse)
def admin_create_org(request: Request, db: DbSession, person: CurrentPerson, slug: Text, name: Text,
                     kind: Text) -> Response:
    authorize(person, "platform.admin")
    try:
        service.create_organization(db, slug=slug, name=name, kind=kind, approved=True, actor=person)
    except YizhiError as exc:
        db.rollback()
        return redirect_with_flash("/admin/organizations", exc.message, "error")
    db.commit()
    return redirect_with_flash("/admin/organizations", "Organisation created.")


@router.post("/admin/organizations/{slug}/owner-invitation", response_class=HTMLResponse)
def admin_invite_owner(slug: str, request: Request, db: DbSession, person: CurrentPerson, email: Text) -> Response:
    org = _org_for(db, slug, person, "org.admin")
    try:
        _invitation, secret = service.invite_first_owner(db, org, email=email, actor=person)
    except YizhiError as exc:
        db.rollback()
        return redirect_with_flash("/admin/organizations", exc.message, "error")
    db.commit()
    return render(request, "accounts/invitation_created.html",
                  {"org": org, "email": email, "link": invitation_link(secret, request)}, status_code=201)


@router.post("/admin/organizations/{slug}/approve")
def admin_approve(slug: str, db: DbSession, person: CurrentPerson) -> Response:
    org = _org_for(db, slug, person, "org.approve")
    try:
        service.approve_organization(db, org, person)
    except YizhiError as exc:
        db.rollback()
        return redirect_with_flash("/admin/organizations", exc.message, "error")
    db.commit()
    return redirect_with_flash("/admin/organizations", "Organisation approved.")


@router.post("/admin/organizations/{slug}/{decision}")
def admin_decide(slug: str, decision: str, request: Request, db: DbSession, person: CurrentPerson,
                 reason: Annotated[str, Form()] = "") -> Response:
    """Reject a registration or suspend an organisation, with the reason it will read."""
    org = _org_for(db, slug, person, "org.admin")
    actions = {"reject": (service.reject_organization, N_("Registration rejected.")),
               "suspend": (service.suspend_organization, N_("Organisation suspended."))}
    if decision not in actions:
        raise NotFound(N_("not found"))
    act, done = actions[decision]
    try:
        act(db, org, person, reason)
    except YizhiError as exc:
        db.rollback()
        return redirect_with_flash("/admin/organizations", exc.localized(translator(request)), "error")
    db.commit()
    return redirect_with_flash("/admin/organizations", done)


# --- dashboard cards --------------------------------------------------------------------------------

def dashboard_cards(request: Request, db, person) -> list[dict]:
    from yizhi.web.templating import translator

    _ = translator(request)
    cards = []
    if is_platform_admin(person):
        pending = len(service.pending_organizations(db))
        cards.append({"key": "approvals", "order": 1, "primary": pending > 0,
                      "title": _("Organisations awaiting approval"),
                      "text": _("%(n)d organisation(s) wait for the commission's review.") % {"n": pending},
                      "link": "/admin/organizations", "action": _("Review")})
    for membership in person.memberships:
        org = membership.organization
        if not org.approved:
            cards.append({"key": f"pending-{org.slug}", "order": 0, "title": org.display_name(locale_of(request)),
                          "text": _("Your organisation is waiting for the commission's approval. "
                                    "You can act on its behalf once it is approved."),
                          "link": f"/orgs/{org.slug}", "action": _("View")})
            continue
        if membership.role == Role.owner:
            cards.append({"key": f"invite-{org.slug}", "order": 20, "title": org.display_name(locale_of(request)),
                          "text": _("Invite colleagues and manage their roles."),
                          "link": f"/orgs/{org.slug}/invitations", "action": _("Invite colleagues")})
        else:
            cards.append({"key": f"org-{org.slug}", "order": 30, "title": org.display_name(locale_of(request)),
                          "text": _("See your organisation and its members."),
                          "link": f"/orgs/{org.slug}", "action": _("Open")})
    cards.append({"key": "tokens", "order": 80, "title": _("API tokens"),
                  "text": _("Create a personal token for scripts and the JSON API."),
                  "link": "/tokens", "action": _("Manage tokens")})
    return cards
