"""Trusted data space ("usable but invisible"): Tier A declarative, disclosure-controlled queries with
differential-privacy budgets and dummy data; Tier B approved code run in a sandbox with an output airlock.

Tier A lives in the ``query_*`` modules, Tier B in the ``jobs_*`` modules; the domain's plug-in
modules (``models``, ``api``, ``views``, ``tasks``, ``cli``) gather both.
"""
