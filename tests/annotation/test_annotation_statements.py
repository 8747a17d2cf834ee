"""How many SQL statements an annotator's request costs, through the JSON API as the browser calls it
(login session cookie + CSRF header). The queue's latency under load is CPU per request, and every
statement is an ORM round trip: a change that loads something twice or lazily walks a relationship
shows up here first. Runs on whichever database the suite uses.

The budget, per request: the login session with its person and memberships (1), the project with
its dataset version and dataset (1); then for next: the held item (1), the claim returning the item
(1), the assignment's INSERT (1); for submit: the assignment with its item (1), its UPDATE (1), the
item's answer count with RETURNING (1). An answer is a small body, so the platform middleware does not
look the caller up a second time before reading it. SQLite adds its ``BEGIN IMMEDIATE``, which is
not counted."""

import pytest
from annotation_helpers import make_project
from sqlalchemy import event

from yizhi.annotation import queue
from yizhi.db import get_engine

NEXT_BUDGET = 5
SUBMIT_BUDGET = 5
# the last answer of an item settles it: the item read afresh, its answers, the item's UPDATE
SETTLE_EXTRA = 3


@pytest.fixture
def statements():
    """A list collecting every statement the application sends (transaction control left out)."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            seen.append(" ".join(statement.split()))

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def _cycle(client, slug: str, statements: list[str]) -> tuple[list[str], list[str]]:
    statements.clear()
    answer = client.request("POST", f"/api/v1/annotation/projects/{slug}/next")
    assert answer.status_code == 200, answer.text
    held = answer.json()
    assert held["item"]["text"]   # the item's content is part of what is counted
    on_next = list(statements)
    statements.clear()
    answer = client.request("POST", f"/api/v1/annotation/projects/{slug}/assignments/{held['assignment_id']}/submit",
                            json={"answer": {"kind": "progress"}})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"assignment_id": held["assignment_id"], "state": "submitted", "gold": False}
    return on_next, list(statements)


def _explain(found: list[str]) -> str:
    return "\n".join(s[:160] for s in found)


def test_next_and_submit_stay_within_their_statement_budget(db, cast, team, notes_version, web, statements,
                                                              monkeypatch):
    make_project(db, cast, slug="counted", overlap=2)
    first, second = web(team["a1"]), web(team["a2"])
    _cycle(first, "counted", statements)      # the first request of a project also sweeps expired locks
    monkeypatch.setattr(queue, "EXPIRY_EVERY_SECONDS", 1e9)

    on_next, on_submit = _cycle(first, "counted", statements)
    assert len(on_next) <= NEXT_BUDGET, _explain(on_next)
    assert len(on_submit) <= SUBMIT_BUDGET, _explain(on_submit)
    # nothing read twice: each statement of a request differs from the others
    assert len(set(on_next)) == len(on_next), _explain(on_next)
    assert len(set(on_submit)) == len(on_submit), _explain(on_submit)

    # the second annotator takes the first item too (overlap 2) and their answer settles it
    _cycle(second, "counted", statements)
    on_next, on_submit = _cycle(second, "counted", statements)
    assert len(on_next) <= NEXT_BUDGET, _explain(on_next)
    assert len(on_submit) <= SUBMIT_BUDGET + SETTLE_EXTRA, _explain(on_submit)
    assert any(s.startswith("SELECT annotation_assignments.answer") for s in on_submit), _explain(on_submit)
