"""Small helpers shared by the evaluation tests."""

from __future__ import annotations

from dataclasses import dataclass

PASSWORD = "Correct-Horse-Battery-9"


@dataclass
class Someone:
    id: int
    email: str
    org_slug: str
    role: str
    password: str = PASSWORD


def add_member(db, org, email: str, role: str = "member") -> Someone:
    from yizhi.accounts import service

    person = service.create_person(db, email=email, display_name=email.split("@")[0], password=PASSWORD)
    service.add_member(db, org, person, role)
    db.commit()
    return Someone(person.id, email, org.slug, role)
