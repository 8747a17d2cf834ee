"""`yizhi demo` seeds a hospital witness whose cosignature is on the current checkpoint; twice is once."""

from yizhi.db import session_scope
from yizhi.demo import seed_demo
from yizhi.ledger import service


def test_demo_has_a_cosigned_checkpoint_and_is_idempotent():
    seed_demo()
    with session_scope() as session:
        status = service.status(session)
        assert [c["witness"] for c in status["cosigners"]] == ["witness.first-hospital.demo"]
        assert [c["org"] for c in status["cosigners"]] == ["first-hospital"]
        witnesses = len(service.list_witnesses(session))
    seed_demo()
    with session_scope() as session:
        assert len(service.list_witnesses(session)) == witnesses == 1
        assert service.verify_log(session).ok
