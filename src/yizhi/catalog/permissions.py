"""Who may do what in the catalog.

The owning organisation's owners and members create datasets, upload, ingest, edit cards and
publish; the commission sees every dataset and card; everyone logged in sees published cards;
raw uploads are readable by the owning organisation's members only (not even the commission).
Organisations that hold data — hospitals, evaluators (hidden test sets) and the commission — may
create datasets; companies and universities may not.
"""

from __future__ import annotations

from yizhi.accounts.models import Organization, OrgKind, Person, Role
from yizhi.accounts.permissions import acting_role, is_platform_admin, rule
from yizhi.catalog.models import Dataset, DatasetVersion, Upload, VersionState

DATA_HOLDER_KINDS = (OrgKind.hospital, OrgKind.evaluator, OrgKind.commission)
WRITER_ROLES = (Role.owner, Role.member)
LISTED_STATES = (VersionState.published, VersionState.withdrawn)


def acts_for(person: Person, org_id: int) -> bool:
    """An owner or member of the approved organisation ``org_id``."""
    return any(m.organization_id == org_id and m.organization.approved and m.role in WRITER_ROLES
               for m in person.memberships)


def member_of(person: Person, org_id: int) -> bool:
    return any(m.organization_id == org_id for m in person.memberships)


def holder_orgs(person: Person) -> list[Organization]:
    """Organisations for which the person may create datasets."""
    return [m.organization for m in person.memberships
            if m.organization.approved and m.organization.kind in DATA_HOLDER_KINDS and m.role in WRITER_ROLES]


def has_listed_version(dataset: Dataset) -> bool:
    return any(v.state in LISTED_STATES for v in dataset.versions)


@rule("catalog.create")
def _create(person: Person, org: Organization) -> bool:
    return org is not None and org.kind in DATA_HOLDER_KINDS and acting_role(person, org) in WRITER_ROLES


@rule("catalog.view", visible_via="catalog.view")
def _view(person: Person, dataset: Dataset) -> bool:
    return member_of(person, dataset.organization_id) or is_platform_admin(person) or has_listed_version(dataset)


@rule("catalog.edit", visible_via="catalog.view")
def _edit(person: Person, dataset: Dataset) -> bool:
    return acts_for(person, dataset.organization_id)


@rule("catalog.ingest", visible_via="catalog.view")
def _ingest(person: Person, dataset: Dataset) -> bool:
    return acts_for(person, dataset.organization_id)


@rule("catalog.view_version", visible_via="catalog.view_version")
def _view_version(person: Person, version: DatasetVersion) -> bool:
    dataset = version.dataset
    return (member_of(person, dataset.organization_id) or is_platform_admin(person)
            or version.state in LISTED_STATES)


@rule("catalog.view_details", visible_via="catalog.view_version")
def _view_details(person: Person, version: DatasetVersion) -> bool:
    """Ranges, distinct counts, quarantine and problems: the owner's and the commission's view."""
    return member_of(person, version.dataset.organization_id) or is_platform_admin(person)


@rule("catalog.edit_card", visible_via="catalog.view_version")
def _edit_card(person: Person, version: DatasetVersion) -> bool:
    # A published version is immutable, its card included: a change is a new version.
    return version.state == VersionState.ready and acts_for(
        person, version.dataset.organization_id)


@rule("catalog.publish", visible_via="catalog.view_version")
def _publish(person: Person, version: DatasetVersion) -> bool:
    return version.state == VersionState.ready and acts_for(person, version.dataset.organization_id)


@rule("catalog.withdraw", visible_via="catalog.view_version")
def _withdraw(person: Person, version: DatasetVersion) -> bool:
    return version.state == VersionState.published and (
        acts_for(person, version.dataset.organization_id) or is_platform_admin(person))


@rule("catalog.retry", visible_via="catalog.view_version")
def _retry(person: Person, version: DatasetVersion) -> bool:
    return version.state == VersionState.failed and acts_for(person, version.dataset.organization_id)


@rule("catalog.upload")
def _upload(person: Person, org: Organization) -> bool:
    return _create(person, org)


@rule("catalog.raw", visible_via="catalog.raw")
def _raw(person: Person, upload: Upload) -> bool:
    # Raw files hold identifiable data: only the organisation that uploaded them reads them.
    return acts_for(person, upload.organization_id)
