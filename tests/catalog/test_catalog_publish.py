"""Publishing: refused while card fields (the base ones and the template's) are missing, naming
them; refused unless the version is ready; recorded on the ledger."""

import pyarrow as pa
import pytest
from sqlalchemy import select

from catalog_helpers import FULL_CARD, org, person
from yizhi.catalog import cards, versions
from yizhi.catalog.models import VersionState
from yizhi.catalog.testing import make_version
from yizhi.errors import Conflict, PermissionDenied, ValidationFailed
from yizhi.ledger.models import LedgerEntry


def _ready(db, slug, template, card):
    made = make_version(db, org(db, "hospital"), slug, {"t": pa.table({"patient": ["p1", "p2"]})},
                        publish=False, card=card)
    made.dataset.template = template
    db.commit()
    return made


def test_each_template_names_its_required_fields(db, cast):
    base = {**FULL_CARD, "title": "x", "publisher": "H", "number_of_records": 2, "access_rights": "NON_PUBLIC"}
    base.pop("inclusion_criteria")
    base.pop("reference_standard")
    lung = _ready(db, "lung-ct", "lung-nodule-ct", dict(base))
    with pytest.raises(ValidationFailed) as refused:
        versions.publish(db, None, lung)
    for field in ("inclusion_criteria", "modality_protocol", "reference_standard", "annotation_protocol"):
        assert field in refused.value.message
    assert "contact_point" not in refused.value.message
    db.rollback()
    versions.update_card(db, None, lung, {"inclusion_criteria": "nodules 3-30 mm", "modality_protocol": "LDCT 1 mm",
                                          "reference_standard": "pathology", "annotation_protocol": "two readers"})
    versions.publish(db, None, lung)
    db.commit()
    assert lung.state == VersionState.published
    events = db.scalars(select(LedgerEntry).where(LedgerEntry.kind == "dataset.version_published")).all()
    assert len(events) == 1


def test_every_listed_template_exists_with_chinese_names():
    names = {t.label("zh") for t in cards.templates().values()}
    assert {"肺结节胸部CT", "糖尿病视网膜病变眼底", "2型糖尿病电子病历", "脑卒中"} <= names
    assert cards.get_template("脑卒中").name == "stroke"


def test_base_fields_are_required_without_a_template(db, cast):
    bare = _ready(db, "bare", None, {"title": "bare"})
    with pytest.raises(ValidationFailed, match="description, publisher, contact_point, legal_basis, purpose"):
        versions.publish(db, None, bare)


def test_only_ready_versions_publish_and_published_cards_do_not_change(db, cast):
    done = make_version(db, org(db, "hospital"), "done", {"t": pa.table({"patient": ["p"]})},
                        card={**FULL_CARD, "title": "t", "publisher": "H", "number_of_records": 1,
                              "access_rights": "NON_PUBLIC"})
    db.commit()
    with pytest.raises(Conflict, match="is published"):
        versions.publish(db, None, done)
    with pytest.raises(Conflict, match="can no longer change"):
        versions.update_card(db, None, done, {"description": "new"})


def test_card_values_are_checked(db, cast):
    made = _ready(db, "checked", None, {"title": "c"})
    for update, message in [({"nope": 1}, "no field nope"), ({"number_of_records": "many"}, "whole number"),
                            ({"access_rights": "OPEN"}, "must be one of"),
                            ({"temporal_coverage": "2024-02-01/2023-01-01"}, "ends before"),
                            ({"publisher": "me"}, "no field publisher"), ({"description": "x" * 5000}, "at most")]:
        with pytest.raises(ValidationFailed, match=message):
            versions.update_card(db, None, made, update)
    card = versions.update_card(db, None, made, {"purpose": "dpv:ResearchAndDevelopment; 教学",
                                                 "temporal_coverage": "2020-01-01/2021-12-31"})
    assert card["purpose"] == ["dpv:ResearchAndDevelopment", "教学"]
    assert card["temporal_coverage"] == {"start": "2020-01-01", "end": "2021-12-31"}


def test_a_company_member_cannot_publish(db, cast):
    made = _ready(db, "theirs", None, {**FULL_CARD, "title": "t", "publisher": "H", "number_of_records": 2,
                                       "access_rights": "NON_PUBLIC"})
    from yizhi.errors import NotFound
    with pytest.raises(NotFound):
        versions.publish(db, person(db, cast.company), made)
    with pytest.raises(PermissionDenied):
        versions.publish(db, person(db, cast.admin), made)   # the commission sees it, but does not publish
