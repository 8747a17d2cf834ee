"""A dataset's access settings, set by its owning hospital: the ordered review steps (with
reviewers and a deadline in days), manual or automatic handling for approved organisations of
chosen kinds (e.g. the commission's evaluators), and the default ε budget of grants on it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from yizhi import ledger
from yizhi.access.feedback_models import DatasetAccessSettings, Handling
from yizhi.access.grants import actor_label
from yizhi.access.permissions import HOLDER_READERS
from yizhi.access.schemas import SettingsIn
from yizhi.accounts.models import Organization, Person
from yizhi.accounts.permissions import authorize, role_in
from yizhi.catalog.models import Dataset
from yizhi.db import utcnow
from yizhi.errors import N_, NotFound, ValidationFailed

# When a holder has not set its steps: one review by its owners within ten days.
DEFAULT_STEPS = [{"name": "Data steward review", "reviewers": [], "days": 10}]


def settings_for(session: Session, dataset: Dataset) -> DatasetAccessSettings | None:
    return session.scalar(select(DatasetAccessSettings).where(DatasetAccessSettings.dataset_id == dataset.id))


def review_steps(session: Session, dataset: Dataset) -> list[dict]:
    found = settings_for(session, dataset)
    return list(found.review_steps) if found and found.review_steps else [dict(s) for s in DEFAULT_STEPS]


def accepts_automatically(session: Session, dataset: Dataset, org: Organization) -> bool:
    """Automatic handling applies to approved (verified) organisations of the kinds the owner chose."""
    found = settings_for(session, dataset)
    return (found is not None and found.handling == Handling.automatic and org.approved
            and org.kind.value in (found.auto_kinds or []))


def get_dataset(session: Session, slug: str) -> Dataset:
    dataset = session.scalar(select(Dataset).where(Dataset.slug == str(slug)[:64]))
    if dataset is None:
        raise NotFound(N_("no dataset %(slug)s"), params={"slug": str(slug)[:64]})
    return dataset


def _reviewer_ids(session: Session, holder: Organization, emails: list[str], step: str) -> list[int]:
    ids = []
    for email in emails:
        person = session.scalar(select(Person).where(Person.email == email.strip().lower()))
        if person is None or role_in(person, holder) not in HOLDER_READERS:
            raise ValidationFailed(N_("review step %(step)s: %(email)s is not an owner, member or reviewer of %(org)s"),
                                   params={"step": step, "email": email, "org": holder.slug}, field="review_steps")
        ids.append(person.id)
    return ids


def save_settings(session: Session, person: Person | None, dataset: Dataset, data: SettingsIn) -> DatasetAccessSettings:
    """Replace the dataset's settings (flushes; the caller commits); recorded on the ledger."""
    if person is not None:
        authorize(person, "access.settings.edit", dataset)
    if data.handling == "automatic" and not data.auto_kinds:
        raise ValidationFailed(N_("automatic handling needs at least one kind of organisation to accept"),
                               field="auto_kinds")
    steps = [{"name": s.name, "reviewers": _reviewer_ids(session, dataset.organization, s.reviewers, s.name),
              "days": s.days} for s in data.review_steps]
    found = settings_for(session, dataset) or DatasetAccessSettings(dataset_id=dataset.id)
    found.handling, found.auto_kinds = Handling(data.handling), sorted(set(data.auto_kinds))
    found.review_steps, found.default_epsilon = steps, data.default_epsilon
    found.updated_by_id, found.updated_at = (person.id if person else None), utcnow()
    session.add(found)
    session.flush()
    ledger.record(session, "access.settings_changed", f"dataset:{dataset.id}", {
        "dataset": dataset.slug, "handling": found.handling.value, "auto_kinds": found.auto_kinds,
        "steps": [{"days": s["days"], "reviewers": s["reviewers"]} for s in steps],
        "default_epsilon": found.default_epsilon,
    }, actor=actor_label(person), org=dataset.organization.slug)
    return found


def settings_as_form(session: Session, dataset: Dataset) -> dict:
    """The settings as the form and the API show them (reviewers by e-mail)."""
    found = settings_for(session, dataset)
    steps = found.review_steps if found and found.review_steps else []
    people = {p.id: p.email for p in session.scalars(select(Person).where(
        Person.id.in_([r for s in steps for r in s.get("reviewers", [])])))}
    return {
        "dataset": dataset.slug,
        "handling": found.handling.value if found else "manual",
        "auto_kinds": list(found.auto_kinds) if found else [],
        "review_steps": [{"name": s["name"], "days": s["days"],
                          "reviewers": [people[r] for r in s.get("reviewers", []) if r in people]} for s in steps],
        "default_epsilon": found.default_epsilon if found else None,
    }
