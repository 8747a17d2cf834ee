"""`yizhi demo` seeds needs in several states, solutions, a list, an engagement and a pilot — once."""

from sqlalchemy import func, select


def test_demo_seed_is_complete_and_idempotent(db):
    from yizhi.demo import seed_demo
    from yizhi.needs.models import Engagement, Need, Pilot, Release, Solution

    assert seed_demo() > 0
    states = {n.external_id: n.status.value for n in db.scalars(select(Need))}
    assert states == {"DEMO-N1": "piloting", "DEMO-N2": "published", "DEMO-N3": "submitted",
                      "DEMO-N4": "published", "DEMO-N5": "draft"}
    counts = [db.scalar(select(func.count()).select_from(m)) for m in (Solution, Release, Engagement, Pilot)]
    assert counts == [5, 1, 1, 1]
    assert seed_demo() == 0
    assert db.scalar(select(func.count()).select_from(Need)) == 5
