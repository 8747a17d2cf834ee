"""Property-based fuzzing of the whole JSON API (schemathesis over /api/openapi.json) as each role
of the test cast and anonymously: whatever the input, no answer is a server error (issue 17,
item 10). Operations are discovered from the app's OpenAPI schema, so new domains are fuzzed too.

Examples per operation are bounded (``YIZHI_FUZZ_EXAMPLES``, default 8) so a run on one database
takes minutes, not hours.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable

EXAMPLES = int(os.environ.get("YIZHI_FUZZ_EXAMPLES", "8"))
ROLES = ["admin", "owner", "colleague", "company", "outsider", None]


def _token(member) -> str:
    from yizhi.accounts import service
    from yizhi.db import session_scope

    with session_scope() as s:
        return service.create_api_token(s, service.get_person_by_email(s, member.email), "fuzz")[1]


def _some_objects(cast) -> None:
    """A need, so that id paths can hit something real besides 404."""
    from yizhi.accounts import service as accounts
    from yizhi.db import session_scope
    from yizhi.needs import service as needs
    from yizhi.needs.schemas import NeedIn

    with session_scope() as s:
        owner = accounts.get_person_by_email(s, cast.owner.email)
        org = accounts.get_org_by_slug(s, "hospital")
        needs.create_need(s, owner, org, NeedIn(title="胸片肺结节辅助检出", description="门诊胸片"))


@pytest.mark.slow
@pytest.mark.timeout(1500)
@pytest.mark.parametrize("role", ROLES, ids=[r or "anonymous" for r in ROLES])
def test_no_server_error_on_any_api_operation(app, cast, role):
    import schemathesis

    _some_objects(cast)
    headers = {"Authorization": f"Bearer {_token(getattr(cast, role))}"} if role else {}
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    failures: list[str] = []
    exercised = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def fuzz(case):
            response = case.call(headers=headers)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: "
                                f"{response.text[:200]} (body={str(case.body)[:120]!r}, query={case.query})")

        try:
            fuzz()
        except Unsatisfiable:
            continue
        exercised += 1
    assert exercised >= 30
    assert failures == [], "\n".join(failures[:20])
