"""Dataset versions by SLUG@N: the core lookups every later capability uses."""

import pyarrow as pa
import pytest

from yizhi.accounts.models import Organization
from yizhi.catalog import manifest, service, store
from yizhi.catalog.testing import make_version
from yizhi.errors import NotFound, ValidationFailed


def _org(db, slug):
    return db.query(Organization).filter_by(slug=slug).one()


def test_make_version_writes_parquet_and_a_manifest_that_verifies(db, cast):
    table = pa.table({"patient": ["p1", "p2"], "age": [40, 51]})
    version = make_version(db, _org(db, "hospital"), "lung-ct", {"visits": table})
    db.commit()
    assert version.ref == "lung-ct@1"
    assert version.columns_of("visits") == {"patient": "string", "age": "int64"}
    directory = store.version_dir(version)
    assert manifest.verify_manifest(directory) == []
    (directory / "tables" / "visits.parquet").write_bytes(b"changed")
    assert manifest.verify_manifest(directory) == ["changed: tables/visits.parquet"]
    again = make_version(db, _org(db, "hospital"), "lung-ct", {"visits": table})
    assert again.ref == "lung-ct@2"


def test_resolve_version_and_refs(db, cast):
    make_version(db, _org(db, "hospital"), "dm-emr", {"labs": pa.table({"x": [1]})})
    db.commit()
    assert service.resolve_version(db, "dm-emr@1").number == 1
    with pytest.raises(NotFound):
        service.resolve_version(db, "dm-emr@2")
    for bad in ["dm-emr", "dm-emr@0", "DM@1", "dm-emr@1; drop", "", "a@1"]:
        with pytest.raises(ValidationFailed):
            service.parse_ref(bad)
    version = service.resolve_version(db, "dm-emr@1")
    with pytest.raises(NotFound, match="no table 'nope'"):
        store.table_path(version, "nope")


def test_same_tables_give_the_same_root_hash(db, cast):
    table = pa.table({"patient": ["p1"], "v": [1.5]})
    first = make_version(db, _org(db, "hospital"), "a-set", {"t": table})
    second = make_version(db, _org(db, "hospital"), "b-set", {"t": table})
    assert first.root_hash == second.root_hash
