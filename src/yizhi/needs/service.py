"""The needs domain's service in one import: the rules themselves live in the modules named below.

Callers (the needs routes, CLI and jobs, the market, tests) use ``from yizhi.needs import service``;
each module holds one responsibility so none grows past the house's size:

- ``common``        permission check, ledger record, organisation by slug, embeddings and categories
- ``lifecycle``     a need's states and transitions: create, edit, submit, review, publish, close
- ``notifications`` who is told, and the domain's notification list
- ``search``        browsing and searching needs and solutions (visibility, filters, ranking)
- ``solutions``     solutions: create, edit, withdraw, look up
- ``matches``       matching a need to solutions and a solution to needs
- ``releases``      numbered needs lists, their versions and exports
- ``engagements``   engagements and pilots
- ``imports``       bulk import of needs and solutions
"""

from __future__ import annotations

from yizhi.needs.common import org_by_slug
from yizhi.needs.lifecycle import (
    TRANSITIONS, NEED_FIELDS, create_need, update_need, get_need, find_need, delete_draft, submit_need,
    start_review, review_need, close_need,
)
from yizhi.needs.notifications import (
    org_members, commission_staff, notify, notifications_for, unread_count, mark_read,
)
from yizhi.needs.search import (
    NeedQuery, visible_needs_clause, SEARCH_MIN_SIMILARITY, search_needs, search_solutions,
)
from yizhi.needs.solutions import (
    SOLUTION_FIELDS, create_solution, update_solution, set_solution_status, get_solution, solutions_of,
)
from yizhi.needs.matches import MatchResult, match_filters, matches_for_need, matches_for_solution
from yizhi.needs.releases import (
    RELEASED_STATES, RELEASE_COLUMNS, released_need_ids, release_needs_list, revise_release, get_release,
    list_releases, release_csv, release_xlsx,
)
from yizhi.needs.engagements import (
    express_interest, get_engagement, decide_engagement, withdraw_engagement, post_message, start_pilot,
    close_pilot, engagements_for, pilot_of, get_pilot,
)
from yizhi.needs.imports import (
    ImportProblem, ImportReport, MAX_IMPORT_PROBLEMS, read_records, validate_records, import_needs,
    import_solutions,
)

__all__ = [
    "org_by_slug", "TRANSITIONS", "NEED_FIELDS", "create_need", "update_need", "get_need", "find_need",
    "delete_draft", "submit_need", "start_review", "review_need", "close_need", "org_members",
    "commission_staff", "notify", "notifications_for", "unread_count", "mark_read", "NeedQuery",
    "visible_needs_clause", "SEARCH_MIN_SIMILARITY", "search_needs", "search_solutions", "SOLUTION_FIELDS",
    "create_solution", "update_solution", "set_solution_status", "get_solution", "solutions_of",
    "MatchResult", "match_filters", "matches_for_need", "matches_for_solution", "RELEASED_STATES",
    "RELEASE_COLUMNS", "released_need_ids", "release_needs_list", "revise_release", "get_release",
    "list_releases", "release_csv", "release_xlsx", "express_interest", "get_engagement", "decide_engagement",
    "withdraw_engagement", "post_message", "start_pilot", "close_pilot", "engagements_for", "pilot_of",
    "get_pilot", "ImportProblem", "ImportReport", "MAX_IMPORT_PROBLEMS", "read_records", "validate_records",
    "import_needs", "import_solutions",
]
