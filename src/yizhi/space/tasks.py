"""Job handlers of the trusted data space (Tier B's ``space.run``; Tier A adds its own beside it)."""

from __future__ import annotations

from yizhi.jobs.service import JobContext, handler


@handler("space.run")
def run_space_job(context: JobContext) -> dict:
    """Run a Tier B job in the sandbox and hold its outputs for review."""
    from yizhi.space.jobs_runner import run_job

    return run_job(int(context.params["space_job_id"]), context.progress)
