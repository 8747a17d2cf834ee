"""Who may do what in the annotation service.

- *Managers* (owners and members of the project's organisation) create, configure, review,
  adjudicate, see agreement and export.
- *Annotators*: people with the annotator role in one of the project's named organisations (or named
  on the project); they see only the items given to them, in the browser, and download nothing.
- *Reviewers*: reviewers of the project's organisation, or people named as reviewers.
- Nobody else sees the project (404), the commission included: it holds no data of it.
"""

from __future__ import annotations

from yizhi.accounts.models import Organization, Person, Role
from yizhi.accounts.permissions import acting_role, rule

MANAGERS = (Role.owner, Role.member)


def manages(person: Person, project) -> bool:
    return acting_role(person, project.organization) in MANAGERS


def may_annotate(person: Person, project) -> bool:
    """An approved membership in a named organisation, and: named on the project when it names people,
    else the annotator role."""
    named = project.annotator_people or []
    for membership in person.memberships:
        org = membership.organization
        if org.approved and org.id in (project.annotator_orgs or []):
            if person.id in named or (not named and membership.role == Role.annotator):
                return True
    return False


def may_review(person: Person, project) -> bool:
    if person.id in (project.reviewer_people or []):
        return acting_role(person, project.organization) is not None or may_annotate(person, project)
    return acting_role(person, project.organization) in (*MANAGERS, Role.reviewer)


@rule("annotation.project.create")
def _create(person: Person, org: Organization | None) -> bool:
    return org is not None and acting_role(person, org) in MANAGERS


@rule("annotation.project.view", visible_via="annotation.project.view")
def _view(person: Person, project) -> bool:
    return manages(person, project) or may_annotate(person, project) or may_review(person, project)


@rule("annotation.project.manage", visible_via="annotation.project.view")
def _manage(person: Person, project) -> bool:
    return manages(person, project)


@rule("annotation.annotate", visible_via="annotation.project.view")
def _annotate(person: Person, project) -> bool:
    return may_annotate(person, project)


@rule("annotation.review", visible_via="annotation.project.view")
def _review(person: Person, project) -> bool:
    return may_review(person, project)
