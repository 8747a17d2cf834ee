"""Extract grants: a Parquet download of only the granted columns, pseudonyms re-keyed per grant
(joinable inside one grant's extracts, not across two grants), watermarked, on the ledger; only the
grant's team downloads, only while it is live; a leaked file is traced to its grant."""

import io
import json
from datetime import timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from access_helpers import person, walk_to_grant

from yizhi.access import extracts, rekey
from yizhi.access.models import Grant
from yizhi.catalog import service as catalog
from yizhi.errors import PermissionDenied
from yizhi.ledger.models import LedgerEntry

COLUMNS = {"labs": ["patient", "hba1c"], "visits": ["patient", "ward"]}
REASONS = {"labs": "values", "visits": "wards"}


def _download(client, grant_id, ref, table):
    return client.get(f"/api/v1/access/grants/{grant_id}/extract/{ref}/{table}.parquet")


def _table(response) -> pa.Table:
    return pq.read_table(io.BytesIO(response.content))


def test_an_extract_holds_only_granted_columns_rekeyed_and_is_recorded(api, cast, db, dataset):
    walked = walk_to_grant(api, cast, dataset, mode="extract", columns=COLUMNS, reasons=REASONS)
    labs = _download(walked.company, walked.grant_id, dataset, "labs")
    assert labs.status_code == 200, labs.text
    table = _table(labs)
    assert table.column_names == ["patient", "hba1c"]                       # not site, not age
    originals = set(pq.read_table(_path(db, dataset, "labs")).column("patient").to_pylist())
    pseudonyms = set(table.column("patient").to_pylist())
    assert len(pseudonyms) == len(originals) and not pseudonyms & originals  # re-keyed one to one
    meta = pq.read_schema(io.BytesIO(labs.content)).metadata
    assert meta[b"yizhi.grant"] == str(walked.grant_id).encode() and len(meta[b"yizhi.watermark"]) == 32
    # joinable within the grant: visits' pseudonyms are the same ones
    visits = _table(_download(walked.company, walked.grant_id, dataset, "visits"))
    assert set(visits.column("patient").to_pylist()) <= pseudonyms
    entries = db.query(LedgerEntry).filter_by(kind="access.extract_downloaded").order_by(LedgerEntry.index).all()
    assert len(entries) == 2
    data = json.loads(entries[0].leaf)["data"]
    assert data["sha256"] == labs.headers["x-content-sha256"] and data["rows"] == table.num_rows


def _path(db, ref, table):
    from yizhi.catalog import store

    return store.table_path(catalog.resolve_version(db, ref), table)


def test_two_grantees_cannot_join_their_extracts_and_a_leak_is_traced(api, cast, db, dataset, second_company):
    first = walk_to_grant(api, cast, dataset, mode="extract", columns=COLUMNS, reasons=REASONS)
    second_cast = type(cast)(cast.admin, cast.owner, cast.colleague, second_company, cast.outsider)
    second = walk_to_grant(api, second_cast, dataset, mode="extract", columns=COLUMNS, reasons=REASONS)
    a = set(_table(_download(first.company, first.grant_id, dataset, "labs")).column("patient").to_pylist())
    b = set(_table(_download(second.company, second.grant_id, dataset, "labs")).column("patient").to_pylist())
    assert a and b and not a & b
    version = catalog.resolve_version(db, dataset)
    traced = extracts.trace_extract(db, version, "labs", set(list(b)[:5]))
    assert [t["grant_id"] for t in traced] == [second.grant_id] and traced[0]["matched"] == 5


def test_only_the_team_downloads_and_only_while_live(api, cast, db, dataset):
    from yizhi.accounts import service

    colleague = service.create_person(db, email="other@company.test", display_name="x", password=cast.company.password)
    service.add_member(db, service.get_org_by_slug(db, "company"), colleague, "member")
    db.commit()
    walked = walk_to_grant(api, cast, dataset, mode="extract", columns=COLUMNS, reasons=REASONS)
    stranger = api(type(cast.company)(colleague.id, colleague.email, "company", "member", cast.company.password))
    assert _download(stranger, walked.grant_id, dataset, "labs").status_code == 403   # same company, not on the team
    assert _download(walked.owner, walked.grant_id, dataset, "labs").status_code == 403   # the holder is no grantee
    assert _download(api(cast.outsider), walked.grant_id, dataset, "labs").status_code == 404
    refused = _download(walked.company, walked.grant_id, dataset, "site")
    assert refused.status_code == 404                                              # no such table
    grant = db.get(Grant, walked.grant_id)
    grant.expires_at = grant.expires_at - timedelta(days=200)
    db.commit()
    expired = _download(walked.company, walked.grant_id, dataset, "labs")
    assert expired.status_code == 403 and expired.json()["error"]["code"] == "grant_expired"
    assert db.query(LedgerEntry).filter_by(kind="access.extract_downloaded").count() == 0


def test_a_space_grant_has_no_extracts(api, cast, dataset):
    walked = walk_to_grant(api, cast, dataset)
    refused = _download(walked.company, walked.grant_id, dataset, "labs")
    assert refused.status_code == 403


def test_an_extract_is_refused_where_the_owner_allows_none(api, cast, db):
    from access_helpers import labs_table, org, request_body

    from yizhi.catalog.testing import make_version

    make_version(db, org(db, "hospital"), "closed-set", {"labs": labs_table()}, allow_extracts=False)
    db.commit()
    answer = api(cast.company).post("/api/v1/access/requests", json=request_body("closed-set@1", mode="extract"))
    assert answer.status_code == 422 and "does not allow extracts" in answer.json()["error"]["message"]


def test_rekeying_is_bounded_and_keeps_nulls():
    key = rekey.grant_key(b"k" * 32, 1, "salt")
    array = pa.array(["a", None, "a", "b"])
    out = rekey.rekey_array(key, array).to_pylist()
    assert out[1] is None and out[0] == out[2] != out[3]
    assert rekey.rekey_array(rekey.grant_key(b"k" * 32, 2, "salt"), array).to_pylist()[0] != out[0]
    assert rekey.pseudonym_columns({"pseudonym_columns": {"labs": ["pid"]}}, "labs", ["pid", "patient"]) == ["pid"]
    assert rekey.pseudonym_columns({}, "labs", ["Patient_ID", "x"]) == ["Patient_ID"]


def test_batches_bound_memory(api, cast, db, dataset, monkeypatch):
    from yizhi.access import settings

    monkeypatch.setattr(settings.get_access_settings(), "extract_batch_rows", 7)
    walked = walk_to_grant(api, cast, dataset, mode="extract", columns=COLUMNS, reasons=REASONS)
    grant = db.get(Grant, walked.grant_id)
    digest, _size, rows = extracts.make_extract(db, person(db, cast.company), grant, dataset, "labs")
    assert rows == 40
    from yizhi import storage

    with storage.open_file(digest) as handle:
        assert pq.ParquetFile(handle).metadata.num_row_groups == 6      # 40 rows read and written 7 at a time
    with pytest.raises(PermissionDenied):
        extracts.make_extract(db, person(db, cast.owner), grant, dataset, "labs")
