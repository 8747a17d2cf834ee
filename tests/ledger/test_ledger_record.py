"""ledger.record: one call, in the caller's transaction, personal data refused."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from yizhi import ledger
from yizhi.ledger.hashing import SHA256
from yizhi.ledger.merkle import root_of_leaves
from yizhi.ledger.models import LedgerEntry, LedgerTreeHead


def test_record_returns_index_and_hash_of_canonical_leaf(make_session):
    with make_session() as session, session.begin():
        first = ledger.record(session, "org.created", "org:3", {"org_id": 3}, actor="user:1", org="cityhosp")
        second = ledger.record(session, "member.added", "org:3", {"user_id": 9, "role": "member"})
    assert (first.index, second.index) == (0, 1)
    event = json.loads(first.leaf)
    assert event["kind"] == "org.created" and event["data"] == {"org_id": 3} and event["actor"] == "user:1"
    # canonical JSON: sorted keys, no spaces
    assert first.leaf.startswith('{"actor":"user:1","data":{"org_id":3},"kind":"org.created","org":"cityhosp"')
    assert first.leaf_hash == SHA256.leaf(first.leaf.encode())


def test_record_rolls_back_with_the_callers_transaction(make_session):
    with make_session() as session, session.begin():
        ledger.record(session, "org.created", "org:1", {"org_id": 1})
    with pytest.raises(RuntimeError):
        with make_session() as session, session.begin():
            ledger.record(session, "org.created", "org:2", {"org_id": 2})
            raise RuntimeError("the change failed")
    with make_session() as session, session.begin():
        again = ledger.record(session, "org.created", "org:3", {"org_id": 3})
        count = session.scalar(select(func.count()).select_from(LedgerEntry))
        head = session.get(LedgerTreeHead, 1)
    assert again.index == 1 and count == 2 and head.size == 2


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({"email": "x"}, "data.email"),
        ({"user": {"Full_Name": "Li"}}, "data.user.Full_Name"),
        ({"contact_phone": "x"}, "data.contact_phone"),
        ({"note": "write to li.lei@example.com"}, "data.note"),
        ({"ids": [1, "13912345678"]}, "data.ids[1]"),
        ({"ref": "11010519491231002X"}, "data.ref"),
        ({"姓名": "李雷"}, "data.姓名"),
    ],
)
def test_record_refuses_personal_data_and_names_the_field(make_session, data, where):
    with make_session() as session, session.begin():
        with pytest.raises(ledger.LedgerDataError) as caught:
            ledger.record(session, "member.added", "org:1", data)
        assert where in str(caught.value)
        assert session.scalar(select(func.count()).select_from(LedgerEntry)) == 0


def test_content_hashes_with_digit_runs_are_accepted(make_session):
    digest = "13912345678" + "a" * 53  # starts like a phone number but is a hash
    with make_session() as session, session.begin():
        entry = ledger.record(session, "dataset.version", "dataset:1", {"sha256": digest})
    assert entry.index == 0


@pytest.mark.parametrize("kind", ["Org created", "org", "", "org.created;drop"])
def test_record_refuses_malformed_kind(make_session, kind):
    with make_session() as session, session.begin():
        with pytest.raises(ledger.LedgerDataError, match="kind"):
            ledger.record(session, kind, "org:1", {})


def test_stored_head_root_matches_recomputation(make_session):
    with make_session() as session, session.begin():
        entries = ledger.record_many(session, [ledger.Event("note.added", f"note:{i}", {"i": i}) for i in range(37)])
    with make_session() as session:
        head = session.get(LedgerTreeHead, 1)
        assert head.size == 37
        assert head.root_hash == root_of_leaves(SHA256, [e.leaf_hash for e in entries])
