"""`yizhi demo`: a commission, two hospitals, two companies and a university, with people in
every role — created once; running it again changes nothing.

Domains add their own demo data in ``yizhi/<domain>/demo.py`` with
``seed(session, orgs: dict[str, Organization], people: dict[str, Person]) -> int`` (records created).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from yizhi.accounts import service
from yizhi.accounts.models import Organization, OrgKind, Person, Role
from yizhi.db import session_scope
from yizhi.registry import domain_modules

# Documented in the README. A demo only: `yizhi demo` is never run by `yizhi serve` on its own.
DEMO_PASSWORD = "yizhi-demo-2026"

DEMO_ORGS = [
    ("city-commission", OrgKind.commission, "市卫生健康委员会（演示）", "Municipal health commission (demo)"),
    ("first-hospital", OrgKind.hospital, "市第一人民医院（演示）", "First People's Hospital (demo)"),
    ("tcm-hospital", OrgKind.hospital, "市中医医院（演示）", "Hospital of Traditional Chinese Medicine (demo)"),
    ("mediai", OrgKind.company, "医图智能科技有限公司（演示）", "MediAI imaging company (demo)"),
    ("cardio-ai", OrgKind.company, "心智医疗科技有限公司（演示）", "CardioAI company (demo)"),
    ("med-university", OrgKind.university, "医科大学（演示）", "Medical University (demo)"),
]

DEMO_PEOPLE = [
    ("admin@commission.demo", "王主任", "city-commission", Role.owner),
    ("reviewer@commission.demo", "李审核", "city-commission", Role.reviewer),
    ("owner@hospital1.demo", "张院长", "first-hospital", Role.owner),
    ("doctor@hospital1.demo", "陈医生", "first-hospital", Role.member),
    ("reviewer@hospital1.demo", "赵伦理", "first-hospital", Role.reviewer),
    ("annotator@hospital1.demo", "孙标注", "first-hospital", Role.annotator),
    ("owner@hospital2.demo", "周院长", "tcm-hospital", Role.owner),
    ("owner@mediai.demo", "吴总", "mediai", Role.owner),
    ("engineer@mediai.demo", "郑工程师", "mediai", Role.member),
    ("owner@cardio.demo", "冯总", "cardio-ai", Role.owner),
    ("owner@university.demo", "何教授", "med-university", Role.owner),
    ("annotator@university.demo", "许同学", "med-university", Role.annotator),
]


def _ensure_org(session: Session, slug: str, kind: OrgKind, name: str, description: str) -> tuple[Organization, bool]:
    org = session.scalar(select(Organization).where(Organization.slug == slug))
    if org is not None:
        if not org.name_en:
            org.name_en = description.removesuffix(" (demo)") + " (demo)"  # English pages show English names
        return org, False
    org = service.create_organization(session, slug=slug, name=name, kind=kind, approved=True,
                                      description=description)
    org.name_en = description
    return org, True


def _ensure_person(session: Session, email: str, name: str, org: Organization, role: Role) -> tuple[Person, int]:
    person = session.scalar(select(Person).where(Person.email == email))
    created = 0
    if person is None:
        person = service.create_person(session, email=email, display_name=name, password=DEMO_PASSWORD)
        created += 1
    if service.membership_of(session, person, org) is None:
        service.add_member(session, org, person, role)
        created += 1
    return person, created


def seed_demo() -> int:
    created = 0
    with session_scope() as session:
        orgs: dict[str, Organization] = {}
        for slug, kind, name, description in DEMO_ORGS:
            orgs[slug], new = _ensure_org(session, slug, kind, name, description)
            created += int(new)
        people: dict[str, Person] = {}
        for email, name, slug, role in DEMO_PEOPLE:
            people[email], new = _ensure_person(session, email, name, orgs[slug], role)
            created += new
        modules = domain_modules("demo")
        # the ledger's demo witness cosigns the checkpoint over what every other demo recorded: last
        modules.sort(key=lambda module: module.__name__ == "yizhi.ledger.demo")
        for module in modules:
            created += module.seed(session, orgs, people) or 0
    return created
