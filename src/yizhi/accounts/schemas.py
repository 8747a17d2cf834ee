"""JSON shapes of the accounts API: one schema per use."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class OrgPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    slug: str
    name: str
    kind: str
    description: str
    approved: bool
    status: str = ""
    status_reason: str = ""


class MembershipPublic(BaseModel):
    org: OrgPublic
    role: str


class MePublic(BaseModel):
    id: int
    email: str
    display_name: str
    locale: str | None
    platform_admin: bool
    memberships: list[MembershipPublic]


class MemberPublic(BaseModel):
    membership_id: int
    person_id: int
    email: str
    display_name: str
    role: str


class InvitationCreate(BaseModel):
    email: str = Field(max_length=254)
    role: str = "member"


class InvitationCreated(BaseModel):
    id: int
    email: str
    role: str
    expires_at: datetime
    link: str


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)


class TokenPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenPublic):
    token: str = Field(description="The secret, shown only this once.")
