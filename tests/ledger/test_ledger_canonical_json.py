"""The leaf text is RFC 8785 canonical JSON: the fast path is byte-equal to the rfc8785 package."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from yizhi.ledger.canonical import LedgerDataError, build_event, canonical_bytes, format_time

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent

# Keys and strings from all of Unicode except lone surrogates (which JSON text cannot carry).
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
safe_keys = text.filter(lambda k: not any(w in k.lower().replace("_", "") for w in ("mail", "name", "phone", "mobile", "tel", "address", "password", "id", "ssn", "dob", "birth", "passport", "姓名", "电话", "手机", "身份证", "地址", "住址", "邮箱", "出生", "名字")))
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**53) + 1, 2**53 - 1),
    st.floats(allow_nan=False, allow_infinity=False), text.filter(lambda s: "@" not in s),
)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(safe_keys, inner, max_size=4)), max_leaves=12)


@settings(max_examples=200, deadline=None)
@given(data=st.dictionaries(safe_keys, values, max_size=5))
def test_leaf_bytes_equal_rfc8785(data):
    try:
        event = build_event("test.event", "item:1", data, time=datetime(2026, 11, 22, tzinfo=UTC))
    except LedgerDataError:
        return  # refused as personal data (e.g. a digit string shaped like a phone number)
    assert canonical_bytes(event) == rfc8785.dumps(event)


def test_known_canonical_form():
    event = build_event("org.created", "org:3", {"b": [1, 2.5, "é"], "a": {"z": None, "y": True}},
                        time=datetime(2026, 11, 22, 7, 0, 0, 123456, tzinfo=UTC), actor="7", org="cityhosp")
    assert canonical_bytes(event) == (
        '{"actor":"7","data":{"a":{"y":true,"z":null},"b":[1,2.5,"é"]},"kind":"org.created",'
        '"org":"cityhosp","subject":"org:3","time":"2026-11-22T07:00:00.123Z"}'
    ).encode()


def test_time_is_normalised_to_utc_and_naive_time_refused():
    assert format_time(datetime(2026, 11, 22, 15, 0, tzinfo=timezone(timedelta(hours=8)))) == "2026-11-22T07:00:00.000Z"
    with pytest.raises(LedgerDataError, match="naive"):
        format_time(datetime(2026, 11, 22))


@pytest.mark.parametrize("bad", [{"x": float("nan")}, {"x": 2**60}, {"x": object()}, {1: "a"}, {"x": "\ud800"}])
def test_non_json_values_are_refused_with_the_field(bad):
    with pytest.raises(LedgerDataError):
        canonical_bytes(build_event("test.event", "item:1", bad, time=datetime(2026, 1, 1, tzinfo=UTC)))
