"""Evaluating one transformation (lattice node): equivalence classes, privacy, utility.

The table is first reduced to its distinct combinations of (quasi-identifier codes, sensitive
codes) with a record count each ("fine rows"). A node's classes are computed by *rolling up* the
fine rows of an already evaluated, less general node (ARX does the same with its snapshots):
each quasi-identifier code is mapped to the node's level through a lookup array, the row keys are
combined into one integer per row, and rows with equal keys are merged with a dense bincount when
the key space is small or ``np.unique`` otherwise. This keeps one evaluation to a few numpy calls
on at most a few thousand rows for typical data.

Utility metrics follow ARX's definitions so results can be compared with ARX figure for figure:

* Discernibility (ARX ``MetricSDNMDiscernability``): sum of squared sizes of the released
  classes + |D| for every suppressed record.
* Loss (ARX ``MetricMDNMLoss`` with its defaults: generalization and suppression weighted equally,
  geometric-mean aggregation): per attribute, the records' domain shares summed (a suppressed
  record counts 1), normalised from the minimum |D|/domain size to |D|; then
  prod(loss_i + 1) ** (1/d) - 1.
* NCP (Xu et al. 2006): average over records and attributes of the generalized value's
  certainty penalty (suppressed = 1).
* AECS: |D| / number of released classes, the suppressed records counting as one class.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from yizhi.deid.tabular.errors import DataError
from yizhi.deid.tabular.hierarchies import Hierarchy
from yizhi.deid.tabular.privacy import SensitiveColumn, classes_passing

_KEY_LIMIT = 1 << 62
_SNAPSHOT_LIMIT = 256  # snapshots kept for rolling up ...
_SNAPSHOT_SHARE = 0.5  # ... only when they have at most half the bottom's rows (else the bottom is as good)


def combine_keys(columns: list[np.ndarray], cardinalities: list[int]) -> tuple[np.ndarray, int]:
    """One non-negative integer per row, equal iff the rows agree on every column.

    Mixed-radix while the product of cardinalities fits in 62 bits, re-densified otherwise.
    """
    if not columns:
        return np.zeros(0, dtype=np.int64), 1
    key = np.array(columns[0], dtype=np.int64)
    space = int(cardinalities[0])
    for column, cardinality in zip(columns[1:], cardinalities[1:], strict=True):
        if space * cardinality >= _KEY_LIMIT:
            key, space = densify(key)
        key *= cardinality
        key += column
        space *= int(cardinality)
    return key, space


def densify(key: np.ndarray) -> tuple[np.ndarray, int]:
    unique, inverse = np.unique(key, return_inverse=True)
    return inverse.astype(np.int64), len(unique)


def group(key: np.ndarray, space: int) -> tuple[np.ndarray, int, np.ndarray]:
    """Group equal keys: (group index per row, number of groups, one representative row per group).

    Small key spaces use a presence table (linear time); larger ones sort the keys once and find
    each row's group by binary search, which beats ``np.unique(return_inverse=True)``'s argsort.
    """
    n_rows = len(key)
    if n_rows == 0:
        return np.zeros(0, dtype=np.int64), 0, np.zeros(0, dtype=np.int64)
    if space <= max(16 * n_rows, 1 << 16):
        present = np.zeros(space, dtype=bool)
        present[key] = True
        distinct = np.flatnonzero(present)
        lookup = np.empty(space, dtype=np.int64)
        lookup[distinct] = np.arange(len(distinct))
        inverse = lookup[key]
    else:
        ordered = np.sort(key)
        starts = np.empty(n_rows, dtype=bool)
        starts[0] = True
        np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
        distinct = ordered[starts]
        inverse = np.searchsorted(distinct, key)
    n_groups = len(distinct)
    representative = np.empty(n_groups, dtype=np.int64)
    representative[inverse] = np.arange(n_rows)
    return inverse, n_groups, representative


@dataclass
class Snapshot:
    """Fine rows of one evaluated node: QI codes at the node's levels, sensitive key, counts."""

    levels: tuple[int, ...]
    qi: np.ndarray  # (d, rows) int64: one contiguous row of codes per quasi-identifier
    sensitive_key: np.ndarray  # (rows,) int64, combined codes of all sensitive attributes
    counts: np.ndarray  # (rows,) int64


@dataclass
class NodeResult:
    levels: tuple[int, ...]
    class_qi: np.ndarray  # (classes, d) codes at the node's levels
    class_sizes: np.ndarray
    passing: np.ndarray  # class meets every privacy model
    outliers: int  # records in failing classes
    anonymous: bool
    k_outliers: int = 0  # records in classes smaller than k: monotone whatever the other models


@dataclass
class Metrics:
    loss: float
    discernibility: int
    ncp: float
    aecs: float
    classes: int
    min_class_size: int
    suppressed: int


@dataclass
class Problem:
    """Everything the search needs, independent of files, config syntax and output."""

    hierarchies: list[Hierarchy]
    value_index: list[np.ndarray]  # per QI: distinct-value index of every record
    sensitive: list[SensitiveColumn]
    sensitive_codes: list[np.ndarray]  # per sensitive attribute: code of every record
    k: int
    max_outliers: int
    n_records: int = field(init=False)
    _snapshots: OrderedDict = field(init=False, repr=False)
    _sensitive_cards: list[int] = field(init=False, repr=False)
    _sensitive_space: int = field(init=False, repr=False)
    _sensitive_decode: list[np.ndarray] = field(init=False, repr=False)
    evaluations: int = field(init=False, default=0)
    _bound_cache: dict = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.n_records = len(self.value_index[0]) if self.value_index else 0
        self._sensitive_cards = [len(column.labels) for column in self.sensitive]
        self._snapshots = OrderedDict()
        self._snapshots[self.bottom] = self._base_snapshot()

    @property
    def dimensions(self) -> int:
        return len(self.hierarchies)

    @property
    def bottom(self) -> tuple[int, ...]:
        return (0,) * self.dimensions

    @property
    def top(self) -> tuple[int, ...]:
        return tuple(h.height for h in self.hierarchies)

    def monotone_privacy(self) -> bool:
        """True when a node's successors are anonymous whenever it is (and predecessors fail when it fails)."""
        if self.max_outliers == 0:
            return True
        return all(column.requirement.monotone_with_suppression() for column in self.sensitive)

    def _base_snapshot(self) -> Snapshot:
        qi_columns = [h.value_codes[0][values] for h, values in zip(self.hierarchies, self.value_index, strict=True)]
        if self.sensitive_codes:
            sensitive_key, self._sensitive_space = combine_keys(self.sensitive_codes, self._sensitive_cards)
            if self._sensitive_space != int(np.prod(self._sensitive_cards, dtype=object)):
                raise DataError("the sensitive attributes have too many value combinations (over 2**62) to check together")
            self._sensitive_decode = self._decode_tables()
        else:
            sensitive_key, self._sensitive_space = np.zeros(self.n_records, dtype=np.int64), 1
            self._sensitive_decode = []
        cards = [h.cardinality(0) for h in self.hierarchies]
        key, space = combine_keys(qi_columns + [sensitive_key], cards + [self._sensitive_space])
        inverse, n_rows, representative = group(key, space)
        qi = np.stack(qi_columns)[:, representative] if qi_columns else np.zeros((0, n_rows), dtype=np.int64)
        counts = np.bincount(inverse, minlength=n_rows).astype(np.int64)
        return Snapshot(self.bottom, qi, sensitive_key[representative], counts)

    def _decode_tables(self) -> list[np.ndarray]:
        """Per sensitive attribute: its code inside a combined sensitive key (mixed radix, last fastest)."""
        decode, divisor = [], 1
        for cardinality in reversed(self._sensitive_cards):
            decode.append((divisor, cardinality))
            divisor *= cardinality
        return list(reversed(decode))

    # -- evaluation -------------------------------------------------------------------------

    def _closest_snapshot(self, levels: tuple[int, ...]) -> Snapshot:
        """The evaluated node below ``levels`` with the fewest rows (the bottom always qualifies)."""
        snapshots = list(self._snapshots.values())
        below = np.all(np.array([snapshot.levels for snapshot in snapshots]) <= np.array(levels), axis=1)
        rows = np.array([len(snapshot.counts) for snapshot in snapshots])
        return snapshots[int(np.argmin(np.where(below, rows, np.iinfo(np.int64).max)))]

    def evaluate(self, levels: tuple[int, ...]) -> NodeResult:
        """Classes of the node ``levels`` and whether it is anonymous."""
        self.evaluations += 1
        source = self._closest_snapshot(levels)
        # Views where a level is unchanged, one gather where it rises: no full copy of the rows.
        columns = [
            source.qi[dim] if old == new else h.up(old, new)[source.qi[dim]]
            for dim, (h, old, new) in enumerate(zip(self.hierarchies, source.levels, levels, strict=True))
        ]
        cards = [h.cardinality(level) for h, level in zip(self.hierarchies, levels, strict=True)]
        class_key, space = combine_keys(columns, cards)
        class_of_row, n_classes, class_rep = group(class_key, space)
        class_qi = np.stack([column[class_rep] for column in columns]) if columns else np.zeros((0, n_classes), np.int64)
        if self.sensitive:
            fine_key = class_of_row * self._sensitive_space + source.sensitive_key
            fine_of_row, n_fine, fine_rep = group(fine_key, n_classes * self._sensitive_space)
            counts = np.bincount(fine_of_row, weights=source.counts, minlength=n_fine).astype(np.int64)
            fine_class = class_of_row[fine_rep]
            snapshot = Snapshot(levels, class_qi[:, fine_class], source.sensitive_key[fine_rep], counts)
            class_sizes = np.bincount(fine_class, weights=counts, minlength=n_classes).astype(np.int64)
        else:
            counts = np.bincount(class_of_row, weights=source.counts, minlength=n_classes).astype(np.int64)
            fine_class = np.arange(n_classes)
            snapshot = Snapshot(levels, class_qi, source.sensitive_key[class_rep], counts)
            class_sizes = counts
        passing = classes_passing(class_sizes, self.k, self._sensitive_pairs(snapshot, fine_class), self.sensitive)
        outliers = int(class_sizes.sum() - class_sizes[passing].sum())
        self._remember(snapshot)
        k_outliers = int(class_sizes[class_sizes < self.k].sum())
        return NodeResult(
            levels, class_qi.T, class_sizes, passing, outliers, outliers <= self.max_outliers, k_outliers
        )

    def _sensitive_pairs(self, snapshot: Snapshot, fine_class: np.ndarray) -> list:
        pairs = []
        for divisor, cardinality in self._sensitive_decode:
            codes = (snapshot.sensitive_key // divisor) % cardinality
            if len(self.sensitive) == 1:
                pairs.append((fine_class, codes, snapshot.counts))
                continue
            key = fine_class * cardinality + codes
            inverse, n_pairs, representative = group(key, (int(fine_class.max(initial=0)) + 1) * cardinality)
            pair_counts = np.bincount(inverse, weights=snapshot.counts, minlength=n_pairs)
            pairs.append((fine_class[representative], codes[representative], pair_counts))
        return pairs

    def _remember(self, snapshot: Snapshot) -> None:
        bottom_rows = len(self._snapshots[self.bottom].counts)
        if snapshot.levels == self.bottom or len(snapshot.counts) > _SNAPSHOT_SHARE * bottom_rows:
            return
        self._snapshots[snapshot.levels] = snapshot
        self._snapshots.move_to_end(self.bottom, last=False)
        while len(self._snapshots) > _SNAPSHOT_LIMIT:
            # Evict the oldest, never the bottom snapshot (kept first): it can roll up to any node.
            victim = list(self._snapshots)[1]
            del self._snapshots[victim]

    # -- utility ----------------------------------------------------------------------------

    def loss_per_attribute(self, levels, class_qi, class_sizes, passing, outliers) -> np.ndarray:
        """ARX Loss of each attribute (0 = original, 1 = fully generalized/suppressed)."""
        n = float(self.n_records)
        result = np.empty(self.dimensions)
        kept_sizes = class_sizes[passing]
        for dim, (h, level) in enumerate(zip(self.hierarchies, levels, strict=True)):
            aggregate = float(np.dot(kept_sizes, h.shares[level][class_qi[passing, dim]])) + outliers
            minimum = n / h.domain_size
            result[dim] = max((aggregate - minimum) / (n - minimum), 0.0) if n > minimum else 0.0
        return result

    @staticmethod
    def aggregate_loss(per_attribute: np.ndarray) -> float:
        """ARX's geometric mean: prod(x + 1) ** (1/d) - 1 (the +1 keeps zeros from dominating)."""
        if len(per_attribute) == 0:
            return 0.0
        return float(np.exp(np.log1p(per_attribute).mean()) - 1.0)

    def loss(self, result: NodeResult) -> float:
        return self.aggregate_loss(
            self.loss_per_attribute(result.levels, result.class_qi, result.class_sizes, result.passing, result.outliers)
        )

    def loss_lower_bound(self, levels: tuple[int, ...]) -> float:
        """Loss if nothing were suppressed: needs no classes (a sum over records per attribute) and
        never exceeds the real loss, since suppression replaces a share by 1."""
        per_attribute = np.empty(self.dimensions)
        for dim, level in enumerate(levels):
            per_attribute[dim] = self.no_suppression_loss(dim, level)
        return self.aggregate_loss(per_attribute)

    def no_suppression_loss(self, dim: int, level: int) -> float:
        """Loss of one attribute at one level if no record were suppressed (cached)."""
        cache = self._bound_cache
        value = cache.get((dim, level))
        if value is None:
            h = self.hierarchies[dim]
            n = float(self.n_records)
            value_counts = np.bincount(self.value_index[dim], minlength=len(h.value_codes[0]))
            aggregate = float(np.dot(value_counts, h.shares[level][h.value_codes[level]]))
            minimum = n / h.domain_size
            value = max((aggregate - minimum) / (n - minimum), 0.0) if n > minimum else 0.0
            cache[(dim, level)] = value
        return value

    def discernibility(self, result: NodeResult) -> int:
        kept = result.class_sizes[result.passing]
        return int(np.dot(kept, kept)) + result.outliers * self.n_records

    @staticmethod
    def discernibility_lower_bound(result: NodeResult) -> int:
        """Sum of squared class sizes: what DM would be without suppression. It only grows with
        generalization, so it bounds the DM of every successor too."""
        return int(np.dot(result.class_sizes, result.class_sizes))

    def ncp(self, result: NodeResult) -> float:
        if self.n_records == 0 or self.dimensions == 0:
            return 0.0
        kept_sizes = result.class_sizes[result.passing]
        total = float(result.outliers) * self.dimensions
        for dim, (h, level) in enumerate(zip(self.hierarchies, result.levels, strict=True)):
            total += float(np.dot(kept_sizes, h.ncp[level][result.class_qi[result.passing, dim]]))
        return total / (self.n_records * self.dimensions)

    def metrics(self, result: NodeResult) -> Metrics:
        kept_sizes = result.class_sizes[result.passing]
        released_classes = len(kept_sizes) + (1 if result.outliers else 0)
        return Metrics(
            loss=self.loss(result),
            discernibility=self.discernibility(result),
            ncp=self.ncp(result),
            aecs=self.n_records / released_classes if released_classes else 0.0,
            classes=len(kept_sizes),
            min_class_size=int(kept_sizes.min()) if len(kept_sizes) else 0,
            suppressed=result.outliers,
        )
