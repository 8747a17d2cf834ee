"""The evaluation center's rules: benchmarks, phases, competitions, submissions (no HTTP here).

Services flush; callers commit. Every benchmark, submission, refusal and signed report is recorded
on the ledger with ids and hashes only.
"""

from __future__ import annotations

import hashlib
import io
import re
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yizhi import ledger, storage
from yizhi.access.grants import live_grant_exists
from yizhi.accounts.models import Organization, OrgKind, Person
from yizhi.catalog import service as catalog
from yizhi.db import utcnow
from yizhi.errors import N_, Conflict, NotFound, PayloadTooLarge, PermissionDenied, TooManyRequests, ValidationFailed
from yizhi.evaluation.contract import METRICS, TaskContract, check_against_table, parse_contract
from yizhi.evaluation.models import (Benchmark, Competition, Phase, PhaseKind, Submission, SubmissionKind,
                                    SubmissionState)
from yizhi.evaluation.permissions import EVALUATOR_KINDS
from yizhi.evaluation.report import primary_metric
from yizhi.evaluation.runner import Limits, require_sandbox, run_model
from yizhi.evaluation.scoring import model_spec
from yizhi.evaluation.settings import get_evaluation_settings

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")
PARITY_RTOL, PARITY_ATOL = 1e-4, 1e-5


class ModelRefusedError(ValidationFailed):
    """A model that failed the checks (exit 2 in the CLI, 422 in the API)."""

    code = "model_refused"


def org_by_slug(session: Session, slug: str) -> Organization:
    org = session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        raise NotFound(N_("no organisation %(slug)s"), params={"slug": slug})
    return org


def get_benchmark(session: Session, slug: str) -> Benchmark:
    found = session.scalar(select(Benchmark).where(Benchmark.slug == slug))
    if found is None:
        raise NotFound(N_("no benchmark %(slug)s"), params={"slug": slug})
    return found


def get_submission(session: Session, submission_id: int) -> Submission:
    found = session.get(Submission, submission_id) if 0 < int(submission_id) < 2**31 else None
    if found is None:
        raise NotFound(N_("no submission %(id)s"), params={"id": submission_id})
    return found


def get_phase(session: Session, phase_id: int) -> Phase:
    found = session.get(Phase, phase_id) if 0 < int(phase_id) < 2**31 else None
    if found is None:
        raise NotFound(N_("no phase %(id)s"), params={"id": phase_id})
    return found


def contract_of(benchmark: Benchmark) -> TaskContract:
    return TaskContract.from_dict(benchmark.task)


def require_holder(session: Session, org: Organization, version) -> None:
    """The hidden data belongs to the evaluator: its own version, or one it holds a live grant on."""
    if org.kind not in EVALUATOR_KINDS:
        raise PermissionDenied(N_("only an evaluator organisation or the commission may hold a benchmark, not %(org)s"),
                               params={"org": org.slug}, code="not_evaluator")
    if version.organization_id != org.id and live_grant_exists(session, org, version) is None:
        raise PermissionDenied(N_("%(org)s neither holds %(ref)s nor has a live grant on it"),
                               params={"org": org.slug, "ref": version.ref}, code="not_granted")


def create_benchmark(session: Session, *, slug: str, dataset: str, task_yaml: str | bytes, org: Organization,
                     actor: Person | None = None, title: str = "") -> Benchmark:
    if not SLUG.match(slug or ""):
        raise ValidationFailed(N_("a benchmark slug is 3-64 lower-case letters, digits and dashes"), field="slug")
    if session.scalar(select(Benchmark).where(Benchmark.slug == slug)) is not None:
        raise Conflict(N_("benchmark %(slug)s exists already"), params={"slug": slug})
    version = catalog.resolve_version(session, dataset)
    require_holder(session, org, version)
    raw = task_yaml.encode("utf-8") if isinstance(task_yaml, str) else task_yaml
    contract = parse_contract(raw)
    check_against_table(contract, version.columns_of(contract.table), version.ref)
    check_images(contract, version)
    benchmark = Benchmark(slug=slug, title=title or contract.title or slug, organization_id=org.id,
                          version_id=version.id, task=contract.as_dict(), task_yaml=raw.decode("utf-8"),
                          task_sha256=hashlib.sha256(raw).hexdigest(), created_by_id=actor.id if actor else None)
    benchmark.organization, benchmark.version = org, version
    session.add(benchmark)
    session.flush()
    add_phase(session, benchmark, name="hidden", kind="hidden", dataset=None)
    ledger.record(session, "evaluation.benchmark_created", f"benchmark:{benchmark.id}",
                  {"benchmark": slug, "version": version.ref, "root_hash": version.root_hash,
                   "task_sha256": benchmark.task_sha256}, actor=str(actor.id) if actor else None, org=org.slug)
    return benchmark


def check_images(contract: TaskContract, version) -> None:
    """A DICOM benchmark's series are read and prepared once per phase's version, here, so a missing
    or unreadable series is the evaluator's error now and not every submission's later."""
    if contract.is_dicom:
        from yizhi.catalog import store
        from yizhi.evaluation.images import check_version

        check_version(contract, version, store.version_dir(version))


def add_phase(session: Session, benchmark: Benchmark, *, name: str, kind: str = "hidden", dataset: str | None = None,
              opens_at: datetime | None = None, closes_at: datetime | None = None, cap: int = 5, cap_days: int = 1,
              metric: str | None = None, pick: str = "best", competition: Competition | None = None,
              release_inputs: bool = False, actor: Person | None = None) -> Phase:
    """A phase of the benchmark; ``release_inputs`` releases its inputs at once (:mod:`.releases`), on
    behalf of the benchmark's organisation, so that participants may submit predictions files."""
    contract = contract_of(benchmark)
    metric = metric or primary_metric(contract.task)
    if metric not in METRICS[contract.task]:
        raise ValidationFailed(N_("unknown metric %(metric)s for this task"), params={"metric": metric}, field="metric")
    if pick not in ("best", "latest") or not 1 <= cap <= 1000 or not 1 <= cap_days <= 366:
        raise ValidationFailed(N_("a phase ranks the best or latest submission, with a cap of 1-1000 per 1-366 days"),
                               field="cap")
    if opens_at and closes_at and closes_at <= opens_at:
        raise ValidationFailed(N_("a phase must close after it opens"), field="closes_at")
    version = benchmark.version
    if dataset:
        version = catalog.resolve_version(session, dataset)
        check_against_table(contract, version.columns_of(contract.table), version.ref)
        check_images(contract, version)
        if kind == "hidden":
            require_holder(session, benchmark.organization, version)
    phase = Phase(benchmark_id=benchmark.id, name=name[:120], kind=PhaseKind(kind), version_id=version.id,
                  opens_at=opens_at, closes_at=closes_at, cap=cap, cap_days=cap_days, metric=metric, pick=pick,
                  competition_id=competition.id if competition else None)
    phase.benchmark, phase.version = benchmark, version
    session.add(phase)
    session.flush()
    if release_inputs:
        from yizhi.evaluation.releases import release_inputs as release

        release(session, phase, benchmark.organization, actor)
    return phase


def create_competition(session: Session, *, slug: str, title: str, org: Organization, description: str = "",
                       phases: list[Phase] = ()) -> Competition:
    if not SLUG.match(slug or ""):
        raise ValidationFailed(N_("a competition slug is 3-64 lower-case letters, digits and dashes"), field="slug")
    if session.scalar(select(Competition).where(Competition.slug == slug)) is not None:
        raise Conflict(N_("competition %(slug)s exists already"), params={"slug": slug})
    competition = Competition(slug=slug, title=title[:200], description=description, organization_id=org.id)
    session.add(competition)
    session.flush()
    for phase in phases:
        phase.competition_id = competition.id
    ledger.record(session, "evaluation.competition_created", f"competition:{competition.id}",
                  {"competition": slug, "phases": [p.id for p in phases]}, org=org.slug)
    session.flush()
    return competition


def phase_is_open(phase: Phase, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (phase.opens_at is None or phase.opens_at <= now) and (phase.closes_at is None or now < phase.closes_at)


def pick_phase(benchmark: Benchmark, phase_id: int | None) -> Phase:
    if phase_id is not None:
        phase = next((p for p in benchmark.phases if p.id == phase_id), None)
        if phase is None:
            raise NotFound(N_("benchmark %(slug)s has no phase %(id)s"), params={"slug": benchmark.slug, "id": phase_id})
    else:
        open_phases = [p for p in benchmark.phases if phase_is_open(p)]
        hidden = [p for p in open_phases if p.kind == PhaseKind.hidden]
        phase = (hidden or open_phases or [None])[-1]
        if phase is None:
            raise Conflict(N_("benchmark %(slug)s has no open phase"), params={"slug": benchmark.slug}, code="closed")
    if not phase_is_open(phase):
        raise Conflict(N_("phase %(name)s is not open for submissions"), params={"name": phase.name}, code="closed")
    return phase


def pick_predictions_phase(benchmark: Benchmark, phase_id: int | None) -> Phase:
    """The phase a predictions file goes to: the one named (it must have released its inputs), else the
    last open phase with released inputs, hidden ones first. Hidden inputs that were not released stay
    hidden: no predictions file is taken for such a phase."""
    from yizhi.evaluation.releases import require_release

    if phase_id is not None:
        phase = pick_phase(benchmark, phase_id)
        require_release(phase)
        return phase
    released = [p for p in benchmark.phases if phase_is_open(p) and p.release is not None]
    hidden = [p for p in released if p.kind == PhaseKind.hidden]
    phase = (hidden or released or [None])[-1]
    if phase is None:
        raise Conflict(N_("no open phase of benchmark %(slug)s has released its inputs; submit an ONNX model"),
                       params={"slug": benchmark.slug}, code="inputs_not_released")
    return phase


def check_cap(session: Session, phase: Phase, org: Organization) -> None:
    since = utcnow() - timedelta(days=phase.cap_days)
    used = session.scalar(select(func.count()).select_from(Submission).where(
        Submission.phase_id == phase.id, Submission.organization_id == org.id, Submission.created_at >= since,
        Submission.state != SubmissionState.refused)) or 0
    if used >= phase.cap:
        raise TooManyRequests(N_("%(org)s has used its %(cap)s submissions per %(days)s day(s) in phase %(phase)s"),
                              params={"org": org.slug, "cap": phase.cap, "days": phase.cap_days, "phase": phase.name})


def _refuse(session: Session, submission: Submission, code: str, template: str, params: dict) -> Submission:
    submission.state = SubmissionState.refused
    submission.error_code = code
    submission.error = {"template": template, "params": params}
    session.flush()
    ledger.record(session, "evaluation.submission_refused", f"submission:{submission.id}",
                  {"submission_id": submission.id, "model_sha256": submission.model_sha256, "code": code},
                  org=submission.organization.slug)
    return submission


def load_parity(data: bytes, width: int | list) -> tuple[np.ndarray, np.ndarray]:
    """``inputs`` (k × width, or k × the image model's row shape) and ``outputs`` (the expected raw
    output) from an .npz, without pickle."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as bundle:
            if not {"inputs", "outputs"} <= set(bundle.files):
                raise ValidationFailed(N_("the parity bundle must hold arrays 'inputs' and 'outputs' (has %(names)s)"),
                                       params={"names": ", ".join(bundle.files) or "none"}, field="parity")
            inputs, outputs = bundle["inputs"], bundle["outputs"]
    except (ValueError, OSError, EOFError) as exc:
        if isinstance(exc, ValidationFailed):
            raise
        raise ValidationFailed(N_("the parity bundle is not a readable .npz without pickled objects: %(reason)s"),
                               params={"reason": str(exc)[:200]}, field="parity") from None
    if isinstance(width, list):
        if list(inputs.shape[1:]) != width or not 1 <= len(inputs) <= 1000 or len(outputs) != len(inputs):
            raise ValidationFailed(N_("parity inputs must be 1-1000 images of shape %(shape)s, with one output row "
                                      "each"), params={"shape": str(width)}, field="parity")
        return inputs, outputs
    if inputs.ndim != 2 or inputs.shape[1] != width or not 1 <= len(inputs) <= 10_000 or len(outputs) != len(inputs):
        raise ValidationFailed(N_("parity inputs must be 1-10000 rows of %(width)s features, with one output row each"),
                               params={"width": width}, field="parity")
    return inputs, outputs


def submit(session: Session, *, benchmark: Benchmark, org: Organization, model: bytes, parity: bytes | None = None,
           actor: Person | None = None, phase_id: int | None = None) -> Submission:
    """Store the model, check it in the sandbox (and its parity bundle), queue the scoring job.

    A refused model is kept as a ``refused`` submission (nothing lost); the caller commits and then
    reports the refusal.
    """
    settings = get_evaluation_settings()
    if not benchmark.open:
        raise Conflict(N_("benchmark %(slug)s is closed"), params={"slug": benchmark.slug}, code="closed")
    if len(model) > settings.max_model_mb * 1024 * 1024:
        raise PayloadTooLarge(N_("the model is larger than %(mb)s MiB"), params={"mb": settings.max_model_mb})
    if parity is not None and len(parity) > settings.max_parity_mb * 1024 * 1024:
        raise PayloadTooLarge(N_("the parity bundle is larger than %(mb)s MiB"), params={"mb": settings.max_parity_mb})
    phase = pick_phase(benchmark, phase_id)
    check_cap(session, phase, org)
    require_sandbox()  # as Tier B does: no model is taken in while none can be run safely
    digest, size = storage.put_stream(io.BytesIO(model))
    parity_digest = storage.put_stream(io.BytesIO(parity))[0] if parity is not None else None
    submission = Submission(benchmark_id=benchmark.id, phase_id=phase.id, organization_id=org.id, model_sha256=digest,
                            model_bytes=size, parity_sha256=parity_digest, created_by_id=actor.id if actor else None)
    submission.benchmark, submission.organization, submission.phase = benchmark, org, phase
    session.add(submission)
    session.flush()
    contract = contract_of(benchmark)
    spec = model_spec(contract)
    checked = run_model(model, None, spec, Limits.from_settings(timeout_seconds=120), mode="check")
    if not checked.ok:
        return _refuse(session, submission, checked.code, checked.template, checked.params)
    if parity is not None:
        refusal = _parity_refusal(model, parity, spec)
        if refusal:
            return _refuse(session, submission, *refusal)
    from yizhi.jobs import service as jobs

    job = jobs.enqueue(session, "evaluation.score", {"submission_id": submission.id},
                       created_by_id=actor.id if actor else None, organization_id=org.id, max_attempts=2)
    submission.job_id = job.id
    ledger.record(session, "evaluation.submitted", f"submission:{submission.id}",
                  {"submission_id": submission.id, "benchmark": benchmark.slug, "phase_id": phase.id,
                   "model_sha256": digest, "parity_sha256": parity_digest},
                  actor=str(actor.id) if actor else None, org=org.slug)
    session.flush()
    return submission


def submit_predictions(session: Session, *, benchmark: Benchmark, org: Organization, data: bytes, filename: str,
                       actor: Person | None = None, phase_id: int | None = None) -> Submission:
    """Check a predictions file against the phase's released cases (every problem at once, nothing
    stored when there is one), store it and queue the scoring job; counted in the cap like a model."""
    from yizhi.evaluation import predictions

    settings = get_evaluation_settings()
    if not benchmark.open:
        raise Conflict(N_("benchmark %(slug)s is closed"), params={"slug": benchmark.slug}, code="closed")
    if len(data) > settings.max_predictions_mb * 1024 * 1024:
        raise PayloadTooLarge(N_("the predictions file is larger than %(mb)s MiB"),
                              params={"mb": settings.max_predictions_mb})
    phase = pick_predictions_phase(benchmark, phase_id)
    check_cap(session, phase, org)
    release = phase.release
    from yizhi.evaluation.releases import case_keys

    predictions.parse(data, filename, contract_of(benchmark), set(case_keys(release.key_salt, release.rows)))
    digest, size = storage.put_stream(io.BytesIO(data))
    submission = Submission(benchmark_id=benchmark.id, phase_id=phase.id, organization_id=org.id,
                            kind=SubmissionKind.predictions, model_sha256=digest, model_bytes=size,
                            created_by_id=actor.id if actor else None)
    submission.benchmark, submission.organization, submission.phase = benchmark, org, phase
    session.add(submission)
    session.flush()
    from yizhi.jobs import service as jobs

    job = jobs.enqueue(session, "evaluation.score", {"submission_id": submission.id},
                       created_by_id=actor.id if actor else None, organization_id=org.id, max_attempts=2)
    submission.job_id = job.id
    ledger.record(session, "evaluation.submitted", f"submission:{submission.id}",
                  {"submission_id": submission.id, "benchmark": benchmark.slug, "phase_id": phase.id,
                   "kind": "predictions", "predictions_sha256": digest},
                  actor=str(actor.id) if actor else None, org=org.slug)
    session.flush()
    return submission


def _parity_refusal(model: bytes, parity: bytes, spec: dict) -> tuple | None:
    try:
        inputs, expected = load_parity(parity, spec.get("row_shape") or spec["width"])
    except ValidationFailed as exc:
        return "parity_invalid", exc.template, exc.params
    from yizhi.evaluation.scoring import NUMPY_DTYPES

    ran = run_model(model, {"main": inputs.astype(NUMPY_DTYPES[spec["input_dtype"]])}, spec,
                    Limits.from_settings(timeout_seconds=120))
    if not ran.ok:
        return ran.code, ran.template, ran.params
    got = np.asarray(ran.outputs["main"], dtype=np.float64)
    want = np.asarray(expected, dtype=np.float64)
    if got.shape != want.shape:
        return "parity_failed", N_("parity: the model's output has shape %(got)s, the bundle expects %(want)s"), \
            {"got": str(got.shape), "want": str(want.shape)}
    if not np.allclose(got, want, rtol=PARITY_RTOL, atol=PARITY_ATOL, equal_nan=True):
        worst = int(np.nanargmax(np.abs(got - want).reshape(len(got), -1).max(axis=1)))
        return "parity_failed", N_("parity: the model does not reproduce the expected outputs (first at row "
                                   "%(row)s, largest difference %(diff)s)"), \
            {"row": worst, "diff": f"{float(np.nanmax(np.abs(got - want))):.3g}"}
    return None


def refusal_message(submission: Submission) -> tuple[str, str, dict]:
    error = submission.error or {}
    return submission.error_code or "model_refused", error.get("template", "refused"), error.get("params") or {}


def visible_submissions(session: Session, person: Person, benchmark: Benchmark | None = None) -> list[Submission]:
    from yizhi.accounts.permissions import can

    query = select(Submission).order_by(Submission.id.desc()).limit(200)
    if benchmark is not None:
        query = query.where(Submission.benchmark_id == benchmark.id)
    return [s for s in session.scalars(query) if can(person, "evaluation.submission.view", s)]


def evaluator_orgs(person: Person) -> list[Organization]:
    return [m.organization for m in person.memberships
            if m.organization.approved and m.organization.kind in EVALUATOR_KINDS]


def submitter_orgs(person: Person) -> list[Organization]:
    return [m.organization for m in person.memberships if m.organization.approved
            and m.organization.kind in (OrgKind.company, OrgKind.university, OrgKind.hospital, *EVALUATOR_KINDS)
            and m.role.value in ("owner", "member")]
