"""Privacy models checked per equivalence class: k-anonymity, l-diversity, t-closeness.

Each check gets the classes of one transformation as flat numpy arrays and returns a boolean
"class passes" mask, so a whole lattice node is judged in a few vectorised operations:

* k-anonymity: class size >= k;
* distinct l-diversity: at least l different sensitive values in the class;
* entropy l-diversity: entropy of the class's sensitive values >= log(l) (Machanavajjhala 2007);
* t-closeness (Li et al. 2007), Earth Mover's Distance between the class's sensitive distribution
  and the whole table's, with the two ground distances ARX offers for flat data:
  *equal* (every pair of values 1 apart: EMD = half the L1 distance) and *ordered*
  (values ranked; EMD = sum over ranks of |cumulative difference| / (m - 1), m = distinct values).

Whether a model is *monotone* decides how much of the lattice the search may tag without
checking: all of them are under generalization alone; with record suppression only k-anonymity
and distinct l-diversity stay monotone (merging a passing class into any other keeps it passing),
entropy l-diversity and t-closeness do not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_TOLERANCE = 1e-12
_DENSE_CELLS = 4_000_000


@dataclass(frozen=True)
class SensitiveRequirement:
    """One sensitive attribute and the model it must satisfy in every class."""

    attribute: str
    l: int | None = None  # noqa: E741 — the model's own name
    entropy: bool = False
    t: float | None = None
    distance: str = "equal"  # or "ordered"

    def monotone_with_suppression(self) -> bool:
        return self.t is None and not (self.l is not None and self.entropy)

    def describe(self) -> str:
        if self.t is not None:
            return f"{self.t}-closeness ({self.distance} distance) on '{self.attribute}'"
        kind = "entropy" if self.entropy else "distinct"
        return f"{kind} {self.l}-diversity on '{self.attribute}'"


@dataclass
class SensitiveColumn:
    """Codes of one sensitive attribute plus what the checks need about its whole-table distribution."""

    requirement: SensitiveRequirement
    labels: np.ndarray  # code -> original value
    global_share: np.ndarray  # code -> share of records with that value
    rank: np.ndarray  # code -> position in the order used by ordered distance


def classes_passing(
    class_sizes: np.ndarray,
    k: int,
    sensitive_pairs: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
    sensitive: list[SensitiveColumn],
) -> np.ndarray:
    """Mask of classes meeting every model.

    ``sensitive_pairs[i]`` holds, for sensitive column i, one entry per distinct (class, value)
    pair: the class index, the value code and the number of records.
    """
    passing = class_sizes >= k
    for column, (pair_class, pair_code, pair_count) in zip(sensitive, sensitive_pairs, strict=True):
        passing &= _sensitive_passes(column, class_sizes, pair_class, pair_code, pair_count)
    return passing


def _sensitive_passes(
    column: SensitiveColumn,
    class_sizes: np.ndarray,
    pair_class: np.ndarray,
    pair_code: np.ndarray,
    pair_count: np.ndarray,
) -> np.ndarray:
    requirement = column.requirement
    n_classes = len(class_sizes)
    if requirement.l is not None and not requirement.entropy:
        distinct = np.bincount(pair_class, minlength=n_classes)
        return distinct >= requirement.l
    share_in_class = pair_count / class_sizes[pair_class]
    if requirement.l is not None:
        entropy = -np.bincount(pair_class, weights=share_in_class * np.log(share_in_class), minlength=n_classes)
        return entropy >= np.log(requirement.l) - _TOLERANCE
    distance = (
        _ordered_distance(column, n_classes, pair_class, pair_code, share_in_class)
        if requirement.distance == "ordered"
        else _equal_distance(column, n_classes, pair_class, pair_code, share_in_class)
    )
    return distance <= requirement.t + _TOLERANCE


def _equal_distance(column, n_classes, pair_class, pair_code, share_in_class) -> np.ndarray:
    # 1/2 * sum_v |p_v - q_v|; values absent from a class contribute q_v, so sum only present ones:
    # sum_present (|p - q| - q) + 1.
    q = column.global_share[pair_code]
    present = np.bincount(pair_class, weights=np.abs(share_in_class - q) - q, minlength=n_classes)
    return 0.5 * (present + 1.0)


def _ordered_distance(column, n_classes, pair_class, pair_code, share_in_class) -> np.ndarray:
    values = len(column.global_share)
    if values < 2:
        return np.zeros(n_classes)
    global_in_rank_order = column.global_share[np.argsort(column.rank)]
    ranks = column.rank[pair_code]
    distances = np.empty(n_classes)
    # Dense (classes x values) blocks, bounded so a wide sensitive domain cannot exhaust memory.
    block = max(1, _DENSE_CELLS // values)
    order = np.argsort(pair_class, kind="stable")
    bounds = np.searchsorted(pair_class[order], np.arange(0, n_classes + block, block))
    for start_index, start in enumerate(range(0, n_classes, block)):
        stop = min(start + block, n_classes)
        chosen = order[bounds[start_index] : bounds[start_index + 1]]
        cells = (stop - start) * values
        dense = np.bincount(
            (pair_class[chosen] - start) * values + ranks[chosen], weights=share_in_class[chosen], minlength=cells
        )
        difference = dense.reshape(stop - start, values) - global_in_rank_order[None, :]
        distances[start:stop] = np.abs(np.cumsum(difference, axis=1)).sum(axis=1) / (values - 1)
    return distances
