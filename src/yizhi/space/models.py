"""Tables of the trusted data space: Tier A's (query log, budgets) and Tier B's (jobs, outputs, reviews)."""

from yizhi.space.jobs_models import *  # noqa: F401,F403  Tier B
from yizhi.space.query_models import *  # noqa: F401,F403  Tier A
