"""JSON routes for people, organisations, invitations and API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from yizhi.accounts import service
from yizhi.accounts.models import Membership, Person
from yizhi.accounts.permissions import authorize, is_platform_admin
from yizhi.accounts.schemas import (
    InvitationCreate,
    InvitationCreated,
    MemberPublic,
    MembershipPublic,
    MePublic,
    OrgPublic,
    TokenCreate,
    TokenCreated,
    TokenPublic,
)
from yizhi.web.links import absolute_url
from yizhi.web.deps import CurrentPerson, DbSession

router = APIRouter(prefix="/api/v1", tags=["accounts"])


def _me(person: Person) -> MePublic:
    return MePublic(
        id=person.id, email=person.email, display_name=person.display_name, locale=person.locale,
        platform_admin=is_platform_admin(person),
        memberships=[MembershipPublic(org=OrgPublic.model_validate(m.organization), role=m.role.value)
                     for m in person.memberships],
    )


@router.get("/me", response_model=MePublic)
async def me(person: CurrentPerson) -> MePublic:
    # async: no database here (authentication loaded the person with memberships and
    # organisations), so neither the handler nor its response check costs a thread-pool hop.
    return _me(person)


@router.get("/orgs", response_model=list[OrgPublic])
def list_orgs(db: DbSession, person: CurrentPerson) -> list[OrgPublic]:
    """Your organisations; commission staff see every organisation."""
    if is_platform_admin(person):
        from sqlalchemy import select

        from yizhi.accounts.models import Organization

        orgs = db.scalars(select(Organization).order_by(Organization.slug))
    else:
        orgs = (m.organization for m in person.memberships)
    return [OrgPublic.model_validate(org) for org in orgs]


@router.get("/orgs/{slug}", response_model=OrgPublic)
def get_org(slug: str, db: DbSession, person: CurrentPerson) -> OrgPublic:
    org = service.get_org_by_slug(db, slug)
    authorize(person, "org.view", org)
    return OrgPublic.model_validate(org)


@router.get("/orgs/{slug}/members", response_model=list[MemberPublic])
def list_members(slug: str, db: DbSession, person: CurrentPerson) -> list[MemberPublic]:
    org = service.get_org_by_slug(db, slug)
    authorize(person, "org.view", org)
    return [_member(m) for m in org.memberships]


def _member(m: Membership) -> MemberPublic:
    return MemberPublic(membership_id=m.id, person_id=m.person_id, email=m.person.email,
                        display_name=m.person.display_name, role=m.role.value)


@router.post("/orgs/{slug}/invitations", response_model=InvitationCreated, status_code=201)
def create_invitation(slug: str, body: InvitationCreate, db: DbSession, request: Request,
                      person: CurrentPerson) -> InvitationCreated:
    org = service.get_org_by_slug(db, slug)
    authorize(person, "org.manage", org)
    invitation, secret = service.invite(db, org, email=body.email, role=body.role, actor=person)
    db.commit()
    return InvitationCreated(id=invitation.id, email=invitation.email, role=invitation.role.value,
                             expires_at=invitation.expires_at, link=invitation_link(secret, request))


def invitation_link(secret: str, request: Request | None = None) -> str:
    return absolute_url(f"/invitations/{secret}", request)


@router.post("/admin/orgs/{slug}/owner-invitation", response_model=InvitationCreated, status_code=201)
def admin_invite_first_owner(slug: str, body: InvitationCreate, db: DbSession, request: Request,
                             person: CurrentPerson) -> InvitationCreated:
    """Commission staff: invite the first owner of an organisation that has none (audited)."""
    org = service.get_org_by_slug(db, slug)
    authorize(person, "org.admin", org)
    invitation, secret = service.invite_first_owner(db, org, email=body.email, actor=person)
    db.commit()
    return InvitationCreated(id=invitation.id, email=invitation.email, role=invitation.role.value,
                             expires_at=invitation.expires_at, link=invitation_link(secret, request))


class Decision(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


@router.post("/orgs/{slug}/reject", response_model=OrgPublic)
def reject_org(slug: str, body: Decision, db: DbSession, person: CurrentPerson) -> OrgPublic:
    org = service.get_org_by_slug(db, slug)
    authorize(person, "org.admin", org)
    service.reject_organization(db, org, person, body.reason)
    db.commit()
    return OrgPublic.model_validate(org)


@router.post("/orgs/{slug}/suspend", response_model=OrgPublic)
def suspend_org(slug: str, body: Decision, db: DbSession, person: CurrentPerson) -> OrgPublic:
    org = service.get_org_by_slug(db, slug)
    authorize(person, "org.admin", org)
    service.suspend_organization(db, org, person, body.reason)
    db.commit()
    return OrgPublic.model_validate(org)


@router.post("/orgs/{slug}/approve", response_model=OrgPublic)
def approve_org(slug: str, db: DbSession, person: CurrentPerson) -> OrgPublic:
    org = service.get_org_by_slug(db, slug)
    authorize(person, "org.approve", org)
    service.approve_organization(db, org, person)
    db.commit()
    return OrgPublic.model_validate(org)


@router.get("/tokens", response_model=list[TokenPublic])
def list_tokens(db: DbSession, person: CurrentPerson) -> list[TokenPublic]:
    return [TokenPublic.model_validate(t) for t in service.list_api_tokens(db, person)]


@router.post("/tokens", response_model=TokenCreated, status_code=201)
def create_token(body: TokenCreate, db: DbSession, person: CurrentPerson) -> TokenCreated:
    token, secret = service.create_api_token(db, person, body.name)
    db.commit()
    return TokenCreated(**TokenPublic.model_validate(token).model_dump(), token=secret)


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: int, db: DbSession, person: CurrentPerson) -> None:
    token = service.get_own_token(db, person, token_id)
    service.revoke_api_token(db, token, person)
    db.commit()
