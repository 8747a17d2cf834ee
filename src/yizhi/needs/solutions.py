"""Solutions: what companies and universities offer."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from yizhi.accounts.models import Organization, OrgKind, Person
from yizhi.db import utcnow
from yizhi.errors import N_, NotFound, ValidationFailed
from yizhi.needs.common import check, embed, fill_category
from yizhi.needs.index import solution_document
from yizhi.needs.models import Solution, SolutionStatus
from yizhi.needs.schemas import SolutionIn


SOLUTION_FIELDS = (
    "title", "description", "modalities", "maturity", "nmpa_class", "deployments", "contact_name", "contact_info",
)


def _apply_solution(solution: Solution, data: SolutionIn) -> None:
    for name in SOLUTION_FIELDS:
        setattr(solution, name, getattr(data, name))
    vector = embed(solution, solution_document(solution))
    fill_category(solution, data.category, vector)
    solution.updated_at = utcnow()


def create_solution(session: Session, person: Person | None, org: Organization, data: SolutionIn) -> Solution:
    check(person, "solutions.create", org)
    if org.kind not in (OrgKind.company, OrgKind.university):
        raise ValidationFailed(N_("%(slug)s is not a company or university"), params={"slug": org.slug}, field="org")
    solution = Solution(org_id=org.id, created_by_id=person.id if person else None, category="other",
                        status=SolutionStatus.published)
    _apply_solution(solution, data)
    session.add(solution)
    session.flush()
    return solution


def update_solution(session: Session, person: Person | None, solution: Solution, data: SolutionIn) -> Solution:
    check(person, "solutions.edit", solution)
    _apply_solution(solution, data)
    session.flush()
    return solution


def set_solution_status(session: Session, person: Person | None, solution: Solution, status: SolutionStatus) -> Solution:
    check(person, "solutions.edit", solution)
    solution.status = status
    solution.updated_at = utcnow()
    session.flush()
    return solution


def get_solution(session: Session, person: Person | None, solution_id: int) -> Solution:
    solution = session.get(Solution, solution_id)
    if solution is None:
        raise NotFound(N_("no solution %(solution_id)s"), params={"solution_id": solution_id})
    check(person, "solutions.view", solution)
    return solution


def solutions_of(session: Session, org_ids: list[int]) -> list[Solution]:
    """Published solutions of the given organisations (to attach one to an interest)."""
    return list(session.scalars(select(Solution).where(
        Solution.org_id.in_(org_ids or [-1]), Solution.status == SolutionStatus.published).order_by(Solution.title)))
