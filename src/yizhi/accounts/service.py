"""Rules for organisations, people, memberships, invitations, sessions and API tokens.

Functions take the SQLAlchemy session and the acting person; they check nothing about HTTP and
never commit — the caller owns the transaction, so a change and its ledger record land together.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from functools import lru_cache

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session, joinedload

from yizhi.accounts import passwords, throttle, tokens, touch
from yizhi.accounts.models import (
    SELF_REGISTERING_KINDS,
    ApiToken,
    Invitation,
    LoginSession,
    Membership,
    Organization,
    OrgKind,
    Person,
    Role,
)
from yizhi.config import get_settings
from yizhi.errors import N_, Conflict, NotFound, PermissionDenied, ValidationFailed
from yizhi.db import utcnow

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SESSION_PREFIX, TOKEN_PREFIX, INVITE_PREFIX = "yzs", "yzt", "yzi"


def _record(session: Session, kind: str, subject: str, data: dict, actor: Person | None, org: str | None):
    """Append the event to the transparency ledger in the caller's transaction."""
    from yizhi import ledger  # imported late: the ledger package imports these models' metadata

    return ledger.record(
        session, kind, subject, data, actor=str(actor.id) if actor else None, org=org
    )


# --- organisations ---------------------------------------------------------------------------

def validate_slug(slug: str) -> str:
    slug = slug.strip().lower()
    if not SLUG_RE.match(slug):
        raise ValidationFailed(
            N_("short name '%(slug)s' must be 1–64 lowercase letters, digits or hyphens, "
               "not starting or ending with a hyphen"), params={"slug": slug[:80]}, field="slug")
    return slug


def parse_kind(kind: str) -> OrgKind:
    try:
        return OrgKind(kind)
    except ValueError:
        allowed = ", ".join(k.value for k in OrgKind)
        raise ValidationFailed(N_("kind '%(kind)s' is not one of: %(allowed)s"), params={"kind": kind, "allowed": allowed}, field="kind") from None


def parse_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise ValidationFailed(N_("role '%(role)s' is not one of: %(allowed)s"), params={"role": role, "allowed": allowed}, field="role") from None


def create_organization(
    session: Session, *, slug: str, name: str, kind: OrgKind | str, approved: bool = True,
    description: str = "", actor: Person | None = None,
) -> Organization:
    slug = validate_slug(slug)
    kind = parse_kind(kind) if isinstance(kind, str) else kind
    name = name.strip()
    if not name:
        raise ValidationFailed("name must not be empty", field="name")
    if session.scalar(select(Organization.id).where(Organization.slug == slug)):
        raise Conflict(N_("an organisation with slug '%(slug)s' already exists"), params={"slug": slug}, field="slug")
    org = Organization(slug=slug, name=name[:200], kind=kind, description=description,
                       approved=approved, approved_at=utcnow() if approved else None)
    session.add(org)
    session.flush()
    _record(session, "org.created", f"org:{org.id}",
            {"org_id": org.id, "slug": slug, "kind": kind.value, "approved": approved}, actor, slug)
    return org


def get_org_by_slug(session: Session, slug: str) -> Organization:
    org = session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        raise NotFound(N_("no organisation with slug '%(slug)s'"), params={"slug": slug})
    return org


MAX_DESCRIPTION = 5_000


def validate_credit_code(code: str) -> str:
    """A unified social credit code (统一社会信用代码, GB 32100-2015) with a valid check digit."""
    from stdnum.cn import uscc

    text = (code or "").strip().upper()
    if not text:
        raise ValidationFailed(N_("the unified social credit code is required"), field="credit_code")
    try:
        return uscc.validate(text)
    except Exception:  # stdnum raises one of several ValidationError subclasses
        raise ValidationFailed(N_("%(code)s is not a valid unified social credit code (18 characters, "
                                  "check digit per GB 32100-2015)"), params={"code": text[:30]},
                               field="credit_code") from None


def register_organization(
    session: Session, *, slug: str, name: str, kind: str, description: str,
    owner_email: str, owner_name: str, owner_password: str, credit_code: str = "", name_en: str = "",
) -> tuple[Organization | None, Person]:
    """Self-registration of a company or university; it waits for the e-mail confirmation, then for
    the commission's approval. When the e-mail already has an account nothing is created and
    ``(None, existing)`` comes back — the caller answers exactly as for a new one (no enumeration)."""
    org_kind = parse_kind(kind)
    if org_kind not in SELF_REGISTERING_KINDS:
        raise ValidationFailed(N_("only companies and universities may register themselves"), field="kind")
    slug = validate_slug(slug)
    if session.scalar(select(Organization.id).where(Organization.slug == slug)):
        raise Conflict(N_("an organisation with short name %(slug)s already exists"), params={"slug": slug},
                       field="slug")
    if len(description) > MAX_DESCRIPTION:
        raise ValidationFailed(N_("the description must have at most %(n)s characters"),
                               params={"n": MAX_DESCRIPTION}, field="description")
    code = validate_credit_code(credit_code)
    email = normalize_email(owner_email)
    existing = session.scalar(select(Person).where(Person.email == email))
    if existing is not None:
        passwords.hash_password(owner_password)  # the same work as a new account: no timing difference
        return None, existing
    owner = create_person(session, email=email, display_name=owner_name, password=owner_password)
    owner.is_active = False  # until the e-mail link is followed
    org = create_organization(session, slug=slug, name=name, kind=org_kind, approved=False,
                              description=description, actor=owner)
    org.credit_code, org.name_en = code, name_en.strip()[:200]
    add_member(session, org, owner, Role.owner, actor=owner)
    return org, owner


def confirmation_token(person: Person, days: int = 3) -> str:
    """A signed, expiring link token that activates a self-registered account."""
    expires = int((utcnow() + timedelta(days=days)).timestamp())
    payload = f"{person.id}.{expires}"
    return f"{payload}.{_confirmation_signature(payload, person)}"


def _confirmation_signature(payload: str, person: Person) -> str:
    import hmac

    key = get_settings().resolved_secret_key().encode()
    return hmac.new(key, f"confirm:{payload}:{person.email}".encode(), hashlib.sha256).hexdigest()[:40]


def confirm_registration(session: Session, token: str) -> Person:
    import hmac

    parts = token.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or len(parts[0]) > 18:
        raise NotFound(N_("this confirmation link is not valid"))
    person = session.get(Person, int(parts[0]))
    payload = f"{parts[0]}.{parts[1]}"
    if person is None or not hmac.compare_digest(parts[2], _confirmation_signature(payload, person)):
        raise NotFound(N_("this confirmation link is not valid"))
    if int(parts[1]) < utcnow().timestamp():
        raise Conflict(N_("this confirmation link has expired; register again"))
    person.is_active = True
    return person


MAX_REASON = 2_000


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(N_("give the reason; the organisation will read it"), field="reason")
    if len(reason) > MAX_REASON:
        raise ValidationFailed(N_("the reason must have at most %(n)s characters"), params={"n": MAX_REASON},
                               field="reason")
    return reason


def reject_organization(session: Session, org: Organization, actor: Person, reason: str) -> None:
    """The commission turns down a registration, saying why (recorded on the ledger, the reason as a hash)."""
    reason = _reason(reason)
    if org.approved or org.rejected_at is not None:
        raise Conflict(N_("only a registration awaiting approval can be rejected"))
    org.rejected_at, org.status_reason = utcnow(), reason
    _record(session, "org.rejected", f"org:{org.id}",
            {"org_id": org.id, "reason_sha256": hashlib.sha256(reason.encode()).hexdigest()}, actor, org.slug)


def suspend_organization(session: Session, org: Organization, actor: Person, reason: str) -> None:
    """Nobody acts for a suspended organisation until the commission approves it again."""
    reason = _reason(reason)
    if org.is_commission:
        raise PermissionDenied(N_("the commission cannot suspend itself"))
    if not org.approved:
        raise Conflict(N_("only an approved organisation can be suspended"))
    org.approved, org.suspended_at, org.status_reason = False, utcnow(), reason
    _record(session, "org.suspended", f"org:{org.id}",
            {"org_id": org.id, "reason_sha256": hashlib.sha256(reason.encode()).hexdigest()}, actor, org.slug)


def approve_organization(session: Session, org: Organization, actor: Person) -> None:
    """Approve a registration — or reinstate a suspended or rejected organisation."""
    if org.approved:
        raise Conflict(N_("organisation '%(slug)s' is already approved"), params={"slug": org.slug})
    org.approved = True
    org.approved_at = utcnow()
    org.rejected_at = org.suspended_at = None
    org.status_reason = ""
    _record(session, "org.approved", f"org:{org.id}", {"org_id": org.id}, actor, org.slug)


def pending_organizations(session: Session) -> list[Organization]:
    return list(session.scalars(
        select(Organization).where(Organization.approved.is_(False), Organization.rejected_at.is_(None),
                                   Organization.suspended_at.is_(None)).order_by(Organization.created_at)
    ))


# --- people and memberships ------------------------------------------------------------------

def normalize_email(email: str) -> str:
    email = email.strip().lower()
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise ValidationFailed(N_("'%(email)s' is not a valid email address"), params={"email": email}, field="email")
    return email


def create_person(session: Session, *, email: str, display_name: str, password: str) -> Person:
    email = normalize_email(email)
    if session.scalar(select(Person.id).where(Person.email == email)):
        raise Conflict(N_("an account for %(email)s already exists"), params={"email": email}, field="email")
    try:
        passwords.check_policy(password, email=email, name=display_name)
    except passwords.PasswordPolicyError as exc:
        raise ValidationFailed(exc.msgid, params=exc.params, field="password") from None
    display_name = display_name.strip() or email.split("@")[0]
    person = Person(email=email, display_name=display_name[:120],
                    password_hash=passwords.hash_password(password))
    session.add(person)
    session.flush()
    return person


def get_person_by_email(session: Session, email: str) -> Person:
    person = session.scalar(select(Person).where(Person.email == email.strip().lower()))
    if person is None:
        raise NotFound(N_("no person with email '%(email)s'"), params={"email": email})
    return person


def membership_of(session: Session, person: Person, org: Organization) -> Membership | None:
    return session.scalar(select(Membership).where(
        Membership.person_id == person.id, Membership.organization_id == org.id))


def add_member(session: Session, org: Organization, person: Person, role: Role | str,
               actor: Person | None = None) -> Membership:
    role = parse_role(role) if isinstance(role, str) else role
    if membership_of(session, person, org):
        raise Conflict(N_("%(email)s is already a member of %(slug)s"), params={"email": person.email, "slug": org.slug})
    membership = Membership(person=person, organization=org, role=role)
    session.add(membership)
    session.flush()
    _record(session, "member.added", f"org:{org.id}",
            {"org_id": org.id, "person_id": person.id, "role": role.value}, actor, org.slug)
    return membership


def _owner_count(session: Session, org: Organization) -> int:
    return session.scalar(select(func.count()).select_from(Membership).where(
        Membership.organization_id == org.id, Membership.role == Role.owner)) or 0


def change_role(session: Session, membership: Membership, role: Role | str, actor: Person) -> None:
    role = parse_role(role) if isinstance(role, str) else role
    if membership.role == Role.owner and role != Role.owner and _owner_count(session, membership.organization) <= 1:
        raise Conflict("an organisation must keep at least one owner")
    old = membership.role
    membership.role = role
    org = membership.organization
    _record(session, "member.role_changed", f"org:{org.id}",
            {"org_id": org.id, "person_id": membership.person_id, "from": old.value, "to": role.value},
            actor, org.slug)


def remove_member(session: Session, membership: Membership, actor: Person) -> None:
    if membership.role == Role.owner and _owner_count(session, membership.organization) <= 1:
        raise Conflict("an organisation must keep at least one owner")
    org = membership.organization
    _record(session, "member.removed", f"org:{org.id}",
            {"org_id": org.id, "person_id": membership.person_id}, actor, org.slug)
    session.delete(membership)
    session.flush()


# --- invitations -----------------------------------------------------------------------------

def invite(session: Session, org: Organization, *, email: str, role: Role | str,
           actor: Person) -> tuple[Invitation, str]:
    """Create an invitation; returns it and the secret link token (shown once)."""
    email = normalize_email(email)
    role = parse_role(role) if isinstance(role, str) else role
    existing = session.scalar(select(Person).where(Person.email == email))
    if existing and membership_of(session, existing, org):
        raise Conflict(N_("%(email)s is already a member of %(slug)s"), params={"email": email, "slug": org.slug}, field="email")
    secret = tokens.new_secret(INVITE_PREFIX)
    invitation = Invitation(
        organization=org, email=email, role=role, token_hash=tokens.digest(secret),
        invited_by_id=actor.id,
        expires_at=utcnow() + timedelta(days=get_settings().invitation_days),
    )
    session.add(invitation)
    session.flush()
    return invitation, secret


def invite_first_owner(session: Session, org: Organization, *, email: str, actor: Person) -> tuple[Invitation, str]:
    """The commission's audited way into an organisation that has no owner yet (one it created):
    an owner invitation for someone else, recorded on the ledger. Never for the admin themself,
    never once the organisation has an owner (its owners invite from then on)."""
    email = normalize_email(email)
    if _owner_count(session, org) > 0:
        raise Conflict(N_("%(org)s already has an owner; its owners invite people to it"),
                       params={"org": org.slug}, field="email")
    if email == actor.email:
        raise PermissionDenied(N_("platform staff cannot invite themselves into an organisation"), field="email")
    invitation, secret = invite(session, org, email=email, role=Role.owner, actor=actor)
    _record(session, "admin.owner_invited", f"org:{org.id}",
            {"org_id": org.id, "invitation_id": invitation.id,
             "email_sha256": hashlib.sha256(email.encode()).hexdigest()}, actor, org.slug)
    return invitation, secret


def open_invitations(session: Session, org: Organization) -> list[Invitation]:
    return list(session.scalars(select(Invitation).where(
        Invitation.organization_id == org.id, Invitation.accepted_at.is_(None),
        Invitation.revoked_at.is_(None)).order_by(Invitation.created_at.desc())))


def find_invitation(session: Session, secret: str) -> Invitation:
    invitation = session.scalar(select(Invitation).where(Invitation.token_hash == tokens.digest(secret)))
    if invitation is None or invitation.revoked_at is not None:
        raise NotFound("this invitation link is not valid")
    if invitation.accepted_at is not None:
        raise Conflict("this invitation has already been accepted")
    if invitation.expires_at < utcnow():
        raise Conflict("this invitation has expired; ask for a new one")
    return invitation


def accept_invitation(session: Session, secret: str, *, person: Person | None = None,
                      display_name: str = "", password: str = "") -> Person:
    """Accept as the logged-in ``person``, or create the invited account."""
    invitation = find_invitation(session, secret)
    if person is None:
        person = create_person(session, email=invitation.email, display_name=display_name,
                               password=password)
    elif person.email != invitation.email:
        raise PermissionDenied(N_("this invitation was sent to %(email)s, not to you"), params={"email": invitation.email})
    add_member(session, invitation.organization, person, invitation.role, actor=person)
    invitation.accepted_at = utcnow()
    return person


def revoke_invitation(session: Session, invitation: Invitation) -> None:
    invitation.revoked_at = utcnow()


# --- login, sessions, passwords --------------------------------------------------------------

def authenticate(session: Session, *, email: str, password: str, client: str,
                 device_cookie: str | None = None) -> Person:
    """Check credentials under the throttle (accounts.throttle): one answer for a wrong password and
    an unknown e-mail, one answer for every throttled attempt."""
    email_key = email.strip().lower()
    device = throttle.device_for(device_cookie, email_key)
    throttle.check(session, email=email_key, client=client, device=device)
    person = session.scalar(select(Person).where(Person.email == email_key))
    ok = passwords.verify_password(person.password_hash if person else passwords.DUMMY_HASH, password)
    if not ok or person is None or not person.is_active:
        throttle.record_failure(session, email=email_key, client=client, device=device)
        raise PermissionDenied(N_("email or password is wrong"), code="bad_credentials")
    if passwords.needs_rehash(person.password_hash):
        person.password_hash = passwords.hash_password(password)
    return person


def start_session(session: Session, person: Person, user_agent: str = "") -> str:
    secret = tokens.new_secret(SESSION_PREFIX)
    session.add(LoginSession(
        token_hash=tokens.digest(secret), person_id=person.id, user_agent=user_agent[:300],
        expires_at=utcnow() + timedelta(hours=get_settings().session_hours),
    ))
    session.flush()
    return secret


def _with_memberships(relationship):
    """Load the person, memberships and organisations in the same round trips as the login:
    permission checks and the navigation read them on every request."""
    return joinedload(relationship).selectinload(Person.memberships).joinedload(Membership.organization)


@lru_cache(maxsize=2)
def _by_token_hash(model):
    """The lookup every authenticated request makes: one query for the session or token, its
    person, their memberships and organisations (a person has a handful of memberships, so the
    joined rows stay few), built once — building its loader options each time cost more than
    running the cached SQL."""
    return (select(model).where(model.token_hash == bindparam("token_hash"))
            .options(joinedload(model.person).joinedload(Person.memberships).joinedload(Membership.organization)))


def _find_by_token_hash(session: Session, model, secret: str):
    result = session.execute(_by_token_hash(model), {"token_hash": tokens.digest(secret)})
    return result.unique().scalar_one_or_none()


AUTH_CHANGED = "auth_changed"  # same key as yizhi.web.deps.AUTH_CHANGED: something to commit


@lru_cache(maxsize=4)
def _session_and(columns: tuple):
    return _by_token_hash(LoginSession).add_columns(*columns)


def resolve_session_and(session: Session, secret: str, columns: tuple) -> tuple[Person | None, tuple]:
    """:func:`resolve_session`, reading ``columns`` (scalar subqueries, which may be correlated to
    ``LoginSession.person_id``, built once by the caller) in the same round trip; (None, ()) when
    the session is not live."""
    row = session.execute(_session_and(columns), {"token_hash": tokens.digest(secret)}).unique().one_or_none()
    person = _live_person(session, row[0] if row else None)
    return (person, tuple(row[1:])) if person is not None else (None, ())


def resolve_session(session: Session, secret: str) -> Person | None:
    return _live_person(session, _find_by_token_hash(session, LoginSession, secret))


def _live_person(session: Session, login: LoginSession | None) -> Person | None:
    now = utcnow()
    if login is None or login.expires_at < now or not login.person.is_active:
        return None
    # Sliding expiry, written at most once a minute to keep reads cheap, and by one request of
    # those in flight that saw the same stale time (touch.py).
    stale = now - login.last_seen_at > timedelta(minutes=1)
    if stale and touch.claim_write(login.token_hash, login.last_seen_at):
        login.last_seen_at = now
        login.expires_at = now + timedelta(hours=get_settings().session_hours)
        session.info[AUTH_CHANGED] = True
    return login.person


def end_session(session: Session, secret: str) -> None:
    session.execute(delete(LoginSession).where(LoginSession.token_hash == tokens.digest(secret)))


def purge_expired_sessions(session: Session) -> int:
    result = session.execute(delete(LoginSession).where(LoginSession.expires_at < utcnow()))
    return result.rowcount or 0


def change_password(session: Session, person: Person, *, current: str, new: str,
                    keep_session: str | None = None, revoke_tokens: bool = False) -> int:
    """Change the password, end every other session and, when asked, revoke every API token
    (a leaked password may have been used to make one). Returns the number of tokens revoked."""
    if not passwords.verify_password(person.password_hash, current):
        raise ValidationFailed(N_("the current password is wrong"), field="current_password")
    try:
        passwords.check_policy(new, email=person.email, name=person.display_name)
    except passwords.PasswordPolicyError as exc:
        raise ValidationFailed(exc.msgid, params=exc.params, field="new_password") from None
    person.password_hash = passwords.hash_password(new)
    person.password_changed_at = utcnow()
    # Every other session ends: a password change is what people do when they fear a leak.
    query = delete(LoginSession).where(LoginSession.person_id == person.id)
    if keep_session:
        query = query.where(LoginSession.token_hash != tokens.digest(keep_session))
    session.execute(query)
    revoked = 0
    if revoke_tokens:
        for token in session.scalars(select(ApiToken).where(ApiToken.person_id == person.id,
                                                            ApiToken.revoked_at.is_(None))):
            revoke_api_token(session, token, person)
            revoked += 1
    return revoked


# --- API tokens ------------------------------------------------------------------------------

def create_api_token(session: Session, person: Person, name: str) -> tuple[ApiToken, str]:
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationFailed("token name must have 1–100 characters", field="name")
    if session.scalar(select(ApiToken.id).where(
            ApiToken.person_id == person.id, ApiToken.name == name, ApiToken.revoked_at.is_(None))):
        raise Conflict(N_("you already have an active token named '%(name)s'"), params={"name": name}, field="name")
    secret = tokens.new_secret(TOKEN_PREFIX)
    token = ApiToken(person_id=person.id, name=name, prefix=secret[:8], token_hash=tokens.digest(secret))
    session.add(token)
    session.flush()
    _record(session, "token.created", f"person:{person.id}",
            {"token_id": token.id, "person_id": person.id}, person, None)
    return token, secret


def list_api_tokens(session: Session, person: Person) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.person_id == person.id)
                                .order_by(ApiToken.created_at.desc())))


def get_own_token(session: Session, person: Person, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or token.person_id != person.id:
        raise NotFound(N_("no API token %(token_id)s of yours"), params={"token_id": token_id})
    return token


def revoke_api_token(session: Session, token: ApiToken, actor: Person) -> None:
    if token.revoked_at is not None:
        raise Conflict("this token is already revoked")
    token.revoked_at = utcnow()
    _record(session, "token.revoked", f"person:{token.person_id}",
            {"token_id": token.id, "person_id": token.person_id}, actor, None)


def resolve_api_token(session: Session, secret: str) -> Person | None:
    token = _find_by_token_hash(session, ApiToken, secret)
    if token is None or token.revoked_at is not None or not token.person.is_active:
        return None
    now = utcnow()
    stale = token.last_used_at is None or now - token.last_used_at > timedelta(seconds=30)
    if stale and touch.claim_write(token.token_hash, token.last_used_at):
        token.last_used_at = now
        session.info[AUTH_CHANGED] = True
    return token.person


def organizations_of(person: Person) -> list[tuple[Organization, Role]]:
    return [(m.organization, m.role) for m in person.memberships]

