"""Tier B tables: sandboxed jobs, their held outputs and the checkers' reviews, compute metering."""
