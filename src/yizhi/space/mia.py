"""Membership-inference risk of a released model: a loss-threshold attack (Yeom et al., 2018).

``sacroml`` (the SACRO project's ML disclosure checker) was the first choice; it does not install
cleanly here — it pulls in PyTorch with the CUDA toolkit and XGBoost (gigabytes) into the platform —
so the airlock runs the simple, documented attack instead. The attacker guesses "member" when the
model's loss on a row is low. Rows the job saw (members: a sample of its view of the table) are
compared with rows held back from the job (non-members: the fifth of the table
:mod:`yizhi.space.dataview` withheld), and the attack's ROC AUC and its best advantage
(TPR − FPR) are reported. An AUC near 0.5 means the model's losses do not tell its training rows
apart; a model whose AUC reaches ``YIZHI_SPACE_MIA_MAX_AUC`` is refused, one above 0.6 is flagged.

The attack is weak against models that generalise and strong against memorising ones, which is
what a release check needs; it underestimates the risk when the job trained on part of its view
only (the untouched part counts as members). The model runs in the sandbox, never in the platform.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from yizhi.errors import N_
from yizhi.space import sandbox
from yizhi.space.checks import Check, failed, passed, warned
from yizhi.space.jobs_settings import SandboxSettings

SAMPLE_ROWS = 2000
WARN_AUC = 0.6
SCORER = Path(__file__).with_name("mia_score.py")


def attack_auc(member_losses: list[float], other_losses: list[float]) -> tuple[float, float]:
    """(ROC AUC, best TPR−FPR) of guessing 'member' below a loss threshold."""
    from sklearn.metrics import roc_auc_score, roc_curve

    truth = np.r_[np.ones(len(member_losses)), np.zeros(len(other_losses))]
    score = -np.r_[member_losses, other_losses]
    auc = float(roc_auc_score(truth, score))
    fpr, tpr, _ = roc_curve(truth, score)
    return round(auc, 4), round(float(np.max(tpr - fpr)), 4)


def _sample(source: Path, target: Path, columns: list[str], seed: int) -> int:
    table = pq.read_table(source, columns=columns)
    if table.num_rows > SAMPLE_ROWS:
        rows = np.random.default_rng(seed).choice(table.num_rows, SAMPLE_ROWS, replace=False)
        table = table.take(np.sort(rows))
    pq.write_table(table, target)
    return table.num_rows


def estimate(model: Path, view_table: Path, holdout_table: Path, features: list[str], label: str,
             work: Path, settings: SandboxSettings | None = None) -> Check:
    """Run the attack in the sandbox; the check carries the AUC and advantage."""
    settings = settings or SandboxSettings()
    columns = [*features, label]
    data, project, output = work / "data", work / "project", work / "output"
    for folder in (data, project):
        folder.mkdir(parents=True, exist_ok=True)
    try:
        members = _sample(view_table, data / "members.parquet", columns, 1)
        others = _sample(holdout_table, data / "nonmembers.parquet", columns, 2)
    except (KeyError, ValueError, OSError):
        return warned("membership_inference", N_("the membership-inference estimate could not read %(columns)s"),
                      columns=", ".join(columns)[:200])
    if members < 20 or others < 20:
        return warned("membership_inference", N_("too few rows (%(rows)s) to estimate membership-inference risk"),
                      rows=min(members, others))
    shutil.copyfile(model, data / "model.onnx")
    shutil.copyfile(SCORER, project / "score.py")
    result = sandbox.run(sandbox.python_command("score.py", json.dumps({"features": features, "label": label})),
                         sandbox.Mounts(project, data, output), work / "logs", settings)
    try:
        scored = json.loads((output / "losses.json").read_text()) if result.ok else None
    except (OSError, ValueError):
        scored = None
    if not scored:
        return warned("membership_inference", N_("the model could not be scored on its declared features and "
                                                 "label; no membership-inference estimate"))
    auc, advantage = attack_auc(scored["members"], scored["nonmembers"])
    params = {"auc": auc, "advantage": advantage, "members": members, "nonmembers": others, "kind": scored["kind"]}
    if auc >= settings.mia_max_auc:
        return failed("membership_inference", N_("membership-inference attack AUC %(auc)s (advantage %(advantage)s): "
                                                 "the model gives away which rows it was trained on"), **params)
    if auc >= WARN_AUC:
        return warned("membership_inference", N_("membership-inference attack AUC %(auc)s (advantage %(advantage)s): "
                                                 "some memorisation; checkers should look"), **params)
    return passed("membership_inference", N_("membership-inference attack AUC %(auc)s (advantage %(advantage)s) "
                                             "on %(members)s members and %(nonmembers)s non-members"), **params)
