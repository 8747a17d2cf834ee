"""Reader studies (人机协同): readers rate a benchmark's cases unaided and aided by a model's output,
in a sequential (all unaided, then all aided) or crossover design (half the cases aided in each
session, swapped in the second), with a washout between sessions; scored against the benchmark's
reference standard with per-reader and average sensitivity, specificity and AUROC with and without
AI, and an Obuchowski–Rockette MRMC analysis of the AUC difference.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yizhi.accounts.models import Organization, Person
from yizhi.annotation.models import Assignment, AssignmentState, Item, Project
from yizhi.annotation.mrmc import auc_matrix, binary_rates, obuchowski_rockette
from yizhi.db import utcnow
from yizhi.errors import N_, ValidationFailed

DESIGNS = ("sequential", "crossover")
CONDITIONS = ("unaided", "aided")


def create_reader_study(session: Session, *, slug: str, title: str, org: Organization, benchmark: str,
                        readers: list[str], ai_scores: dict[str, float] | None = None, design: str = "sequential",
                        scale_max: int = 5, positive_from: int | None = None, washout_days: int = 0,
                        sample: int | None = None, grant_id: int | None = None, instructions: str = "",
                        actor: Person | None = None, ai_submission: int | None = None) -> Project:
    """A reader study on the cases of ``benchmark`` (its version and table; readers see its inputs).

    The AI aid is either ``ai_scores`` (an uploaded map of a case — its row number in the benchmark's
    table — to the model's probability) or ``ai_submission``, a scored submission to the benchmark,
    whose per-case outputs the evaluation center keeps for this (``actor`` must act for the
    benchmark's evaluator organisation; the use is on the ledger)."""
    from yizhi.annotation import service
    from yizhi.evaluation.service import get_benchmark

    bench = get_benchmark(session, benchmark)
    task = bench.task
    if task.get("task") != "binary_classification":
        raise ValidationFailed(N_("a reader study needs a binary classification benchmark"), field="benchmark")
    if design not in DESIGNS:
        raise ValidationFailed(N_("the design is sequential or crossover"), field="design")
    if scale_max not in (5, 100):
        raise ValidationFailed(N_("readers rate on 1-5 or 0-100"), field="scale")
    if not isinstance(washout_days, int) or not 0 <= washout_days <= 365:
        raise ValidationFailed(N_("the washout is 0-365 days"), field="washout_days")
    if (ai_scores is None) == (ai_submission is None):
        raise ValidationFailed(N_("give the AI aid either as scores per case or as a scored submission, not both"),
                               field="ai_scores")
    if ai_submission is not None and actor is None:
        raise ValidationFailed(N_("a submission as AI aid needs the person creating the study"), field="ai_submission")
    if not readers or len(readers) > 50:
        raise ValidationFailed(N_("name 1-50 readers"), field="readers")
    low = 1 if scale_max == 5 else 0
    positive_from = positive_from if positive_from is not None else (3 if scale_max == 5 else 50)
    if not low <= positive_from <= scale_max:
        raise ValidationFailed(N_("the positive call must lie on the scale"), field="positive_from")
    people = [service.person_by_email(session, e) for e in readers]
    orgs = sorted({m.organization.slug for p in people for m in p.memberships if m.organization.approved})
    study = {"benchmark": bench.slug, "design": design, "reference": task["reference"],
             "positive": task.get("positive_class", 1), "positive_from": positive_from, "washout_days": washout_days,
             "scale": [low, scale_max], "table": task["table"]}
    project = service.create_project(
        session, slug=slug, title=title, org=org, dataset=bench.version.ref, kind="reader_study",
        source={"kind": "rows", "table": task["table"], "columns": list(task["inputs"])},
        schema={"labels": [{"name": "rating", "type": "likert", "min": low, "max": scale_max, "required": True}]},
        instructions=instructions, grant_id=grant_id, annotator_orgs=orgs, annotator_people=[p.email for p in people],
        sample=sample, actor=actor, study=study, lock_minutes=240)
    if ai_submission is not None:
        from yizhi.evaluation.cases import aid_for_reader_study

        ai_scores = aid_for_reader_study(session, actor, ai_submission, bench.slug, f"annotation_project:{project.id}")
    _attach_ai(session, project, ai_scores)
    return project


def _attach_ai(session: Session, project: Project, scores: dict[str, float]) -> None:
    items = {i.key: i for i in session.scalars(select(Item).where(Item.project_id == project.id))}
    missing = [k for k in items if k not in {str(s) for s in scores}]
    if missing:
        raise ValidationFailed(N_("the AI scores lack case(s) %(keys)s"), params={"keys": ", ".join(missing[:5])},
                               field="ai_scores")
    for key, value in scores.items():
        if str(key) in items:
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise ValidationFailed(N_("AI score of case %(key)s must be a probability"), params={"key": key},
                                       field="ai_scores")
            items[str(key)].suggestion = {"ai_score": float(value)}
    session.flush()


def _order(person_id: int, item_id: int) -> bytes:
    return hashlib.sha256(f"{person_id}:{item_id}".encode()).digest()


def condition_for(project: Project, person_id: int, item_id: int, session_number: int) -> str:
    if project.study["design"] == "sequential":
        return CONDITIONS[session_number - 1]
    first = CONDITIONS[_order(person_id, item_id)[0] % 2]
    return first if session_number == 1 else CONDITIONS[1 - CONDITIONS.index(first)]


def next_case(session: Session, project: Project, person: Person) -> Assignment | None:
    """The reader's next case: every session-1 reading first (in a per-reader shuffled order), then,
    after the washout, session 2. Commits its own transaction."""
    from yizhi.annotation.queue import _held as _live_lock, _retrying

    def work():
        current = _live_lock(session, project, person)
        if current is not None:
            return current
        item_ids = sorted(session.scalars(select(Item.id).where(Item.project_id == project.id)),
                          key=lambda i: _order(person.id, i))
        done = {(i, c): when for i, c, when in session.execute(
            select(Assignment.item_id, Assignment.condition, Assignment.submitted_at).where(
                Assignment.project_id == project.id, Assignment.annotator_id == person.id))}
        for number in (1, 2):
            for item_id in item_ids:
                condition = condition_for(project, person.id, item_id, number)
                if (item_id, condition) in done:
                    continue
                if number == 2 and not _washout_over(project, person.id, done):
                    return None
                assignment = Assignment(project_id=project.id, item_id=item_id, annotator_id=person.id,
                                        condition=condition, state=AssignmentState.locked,
                                        locked_until=utcnow() + timedelta(minutes=project.lock_minutes))
                session.add(assignment)
                session.flush()
                return assignment
        return None

    return _retrying(session, work)


def _washout_over(project: Project, person_id: int, done: dict) -> bool:
    """Whether the washout has passed since the reader's last session-1 reading."""
    days = project.study.get("washout_days") or 0
    if not days:
        return True
    last = max((when for (item_id, condition), when in done.items()
                if when is not None and condition == condition_for(project, person_id, item_id, 1)), default=None)
    return last is None or utcnow() - last >= timedelta(days=days)


def session_of(project: Project, assignment: Assignment) -> int:
    return 1 if condition_for(project, assignment.annotator_id, assignment.item_id, 1) == assignment.condition else 2


def _truth(project: Project, items: list[Item]) -> dict[int, int]:
    from yizhi.annotation.content import read_row
    from yizhi.catalog import store

    path = store.table_path(project.version, project.study["table"])
    reference, positive = project.study["reference"], project.study["positive"]
    truth = {}
    for item in items:
        value = read_row(path, int(item.ref["row"]), [reference])[reference]
        truth[item.id] = int(str(value) == str(positive))
    return truth


def report(session: Session, project: Project) -> dict:
    """Per-reader and average sensitivity/specificity/AUROC unaided and aided, the AI alone, and the
    OR analysis over the cases every reader read in both conditions."""
    items = list(session.scalars(select(Item).where(Item.project_id == project.id).order_by(Item.id)))
    truth = _truth(project, items)
    rows = session.execute(select(Assignment.annotator_id, Assignment.item_id, Assignment.condition,
                                  Assignment.answer).where(Assignment.project_id == project.id,
                                                           Assignment.state == AssignmentState.submitted)).all()
    ratings: dict[tuple[int, str], dict[int, float]] = {}
    for reader, item_id, condition, answer in rows:
        ratings.setdefault((reader, condition), {})[item_id] = float(answer["rating"])
    readers = sorted({r for r, _c in ratings})
    threshold = project.study["positive_from"]
    per_reader = []
    for reader in readers:
        entry = {"reader": reader}
        for condition in CONDITIONS:
            got = ratings.get((reader, condition), {})
            entry[condition] = _metrics([got[i] for i in got], [truth[i] for i in got], threshold)
        per_reader.append(entry)
    complete = [i.id for i in items if all(i.id in ratings.get((r, c), {}) for r in readers for c in CONDITIONS)]
    ai = [(i.suggestion or {}).get("ai_score") for i in items]
    out = {"design": project.study["design"], "cases": len(items), "readers": readers, "per_reader": per_reader,
           "complete_cases": len(complete), "threshold": threshold,
           "ai_alone": _metrics([a for a in ai if a is not None],
                                [truth[i.id] for i, a in zip(items, ai, strict=True) if a is not None], 0.5),
           "average": {c: _average([r[c] for r in per_reader]) for c in CONDITIONS}, "mrmc": None}
    y = np.array([truth[i] for i in complete])
    if len(readers) >= 2 and (y == 1).sum() >= 2 and (y == 0).sum() >= 2:
        scores = np.array([[[ratings[(r, c)][i] for i in complete] for r in readers] for c in CONDITIONS])
        out["mrmc"] = obuchowski_rockette(scores, y).as_dict()
    return out


def _metrics(scores: list[float], truth: list[int], threshold: float) -> dict:
    if not scores:
        return {"n": 0, "auroc": None, "sensitivity": None, "specificity": None}
    s, y = np.array(scores, dtype=float), np.array(truth)
    auroc = float(auc_matrix(s[None, None, :], y)[0, 0]) if 0 < y.sum() < len(y) else None
    sensitivity, specificity = binary_rates(s >= threshold, y)
    return {"n": len(s), "auroc": auroc, "sensitivity": sensitivity, "specificity": specificity}


def _average(entries: list[dict]) -> dict:
    out = {}
    for key in ("auroc", "sensitivity", "specificity"):
        values = [e[key] for e in entries if e.get(key) is not None]
        out[key] = float(np.mean(values)) if values else None
    return out


def readings_count(session: Session, project: Project, person: Person) -> dict:
    rows = session.execute(select(Assignment.condition, func.count()).where(
        Assignment.project_id == project.id, Assignment.annotator_id == person.id,
        Assignment.state == AssignmentState.submitted).group_by(Assignment.condition)).all()
    return dict(rows)
