"""A login's sliding expiry and a token's last use are written once per stale value, not by every
request in flight that saw it (bench/load.py's 64 clients share one session: on SQLite each
would queue behind the others' write)."""

from datetime import timedelta

from yizhi.accounts import service, touch
from yizhi.accounts.models import ApiToken, LoginSession, Person
from yizhi.db import session_factory, session_scope, utcnow


def _login_seen_long_ago(person_id: int) -> tuple[str, int]:
    with session_scope() as s:
        secret = service.start_session(s, s.get(Person, person_id))
        login = s.query(LoginSession).filter_by(person_id=person_id).one()
        login.last_seen_at = utcnow() - timedelta(minutes=5)
        return secret, login.id


def _resolve(secret: str) -> tuple[object, bool]:
    s = session_factory()()
    try:
        person = service.resolve_session(s, secret)
        return person, s.info.get(service.AUTH_CHANGED, False)
    finally:
        s.rollback()
        s.close()


def test_only_the_first_request_to_see_a_stale_session_writes_it(cast):
    secret, _ = _login_seen_long_ago(cast.owner.id)
    first, first_writes = _resolve(secret)
    second, second_writes = _resolve(secret)  # same stale value (the first one rolled back)
    assert first is not None and second is not None  # both still authenticated
    assert (first_writes, second_writes) == (True, False)


def test_a_claim_lapses_so_a_failed_write_is_tried_again(cast, monkeypatch):
    secret, _ = _login_seen_long_ago(cast.owner.id)
    assert _resolve(secret)[1] is True
    monkeypatch.setattr(touch, "CLAIM_SECONDS", 0.0)
    assert _resolve(secret)[1] is True


def test_a_new_stale_value_is_written_again(cast):
    secret, login_id = _login_seen_long_ago(cast.owner.id)
    s = session_factory()()
    try:
        assert service.resolve_session(s, secret) is not None
        s.commit()  # the sliding-expiry write lands
    finally:
        s.close()
    with session_scope() as s:
        login = s.get(LoginSession, login_id)
        assert utcnow() - login.last_seen_at < timedelta(seconds=30)
        login.last_seen_at = utcnow() - timedelta(minutes=3)  # a minute and more later
    assert _resolve(secret)[1] is True


def test_a_token_is_marked_used_once_per_stale_value(cast):
    with session_scope() as s:
        secret = service.create_api_token(s, s.get(Person, cast.owner.id), name="script")[1]
    writes = []
    for _ in range(3):
        s = session_factory()()
        try:
            assert service.resolve_api_token(s, secret) is not None
            writes.append(s.info.get(service.AUTH_CHANGED, False))
        finally:
            s.rollback()
            s.close()
    assert writes == [True, False, False]
    with session_scope() as s:
        assert s.query(ApiToken).one().last_used_at is None  # all rolled back: nothing written


def test_claims_stay_bounded(monkeypatch):
    monkeypatch.setattr(touch, "_MAX_CLAIMS", 10)
    monkeypatch.setattr(touch, "_claims", {})
    assert all(touch.claim_write(f"hash{n}", 0) for n in range(25))
    assert len(touch._claims) <= 10
