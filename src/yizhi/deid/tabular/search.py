"""Globally optimal search over the generalization lattice, in the manner of ARX's Flash.

Written here rather than taken from a package: no maintained Python library offers an optimal
full-domain lattice search with suppression (the Python k-anonymity packages are greedy or
Mondrian-style partitioners), and ARX itself is Java.

The lattice has one node per combination of generalization levels. Two phases:

1. **Which nodes are anonymous.** When the privacy models are monotone (see
   :meth:`Problem.monotone_privacy`), anonymity is an up-set of the lattice. Like Flash
   (Kohlmayer et al. 2012) we walk the lattice bottom-up, build a path of untagged nodes upwards
   from each untagged node (each step raising the attribute that is relatively least generalized),
   and binary-search the path for its lowest anonymous node. Every check is used for *predictive
   tagging*: an anonymous node tags all its successors anonymous, a failing node tags all its
   predecessors failing, so most of the lattice is never evaluated. Tagging is one vectorised
   comparison over the node table. Without monotone models every node is a candidate and is
   checked only if phase 2 needs it.

2. **Which anonymous node is best.** Two lower bounds of the metric make most checks
   unnecessary. The *generalization bound* is the metric as if nothing were suppressed (exact per
   attribute for Loss, so known for every node up front; the sum of squared class sizes for
   Discernibility, raised on all successors of each checked node); it only grows towards the top.
   The *suppression bound* uses the records a checked node had to suppress: with monotone models
   every less general node suppresses at least as many, and each suppressed record costs 1 per
   attribute (Loss) or |D| (Discernibility); it only grows towards the bottom. Phase 1 prunes
   like ARX does: a node whose bound exceeds the best value found so far is dropped unchecked,
   with all its successors (generalization bound) or predecessors (suppression bound). With
   suppression and Loss, paths start from the nodes with the lowest bound, so a good solution is
   found early. Then a best-first branch and bound runs over the remaining anonymous nodes in
   order of bound and stops once the smallest remaining bound exceeds the best value found, which
   proves optimality. Without suppression the bound equals the metric, so this reduces to
   comparing the lowest anonymous nodes.

Ties are broken towards the node with the lowest total generalization, then lexicographically,
so the result does not depend on the evaluation order.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from yizhi.deid.tabular.engine import Metrics, NodeResult, Problem
from yizhi.deid.tabular.errors import ConfigError, InfeasibleError

UNKNOWN, ANONYMOUS, FAILING, PRUNED_UP, PRUNED_DOWN = 0, 1, -1, 2, 3
_RELATIVE_TIE = 1e-12
MAX_NODES = 2_000_000


@dataclass
class SearchResult:
    levels: tuple[int, ...]
    node: NodeResult
    metrics: Metrics
    nodes_total: int
    nodes_checked: int
    seconds: float


class Lattice:
    """All nodes as a (n_nodes, d) level matrix, with vectorised successor/predecessor masks."""

    def __init__(self, heights: list[int]) -> None:
        self.heights = np.array(heights, dtype=np.int64)
        shape = tuple(height + 1 for height in heights)
        size = int(np.prod(shape, dtype=object))
        if size > MAX_NODES:
            raise ConfigError(
                f"the generalization lattice would have {size:,} nodes (levels per quasi-identifier: "
                f"{' x '.join(map(str, shape))}); at most {MAX_NODES:,} can be searched: use fewer "
                "quasi-identifiers or fewer hierarchy levels"
            )
        # Node i has the levels of i written in mixed radix (last attribute fastest).
        self.levels = np.stack(np.unravel_index(np.arange(size), shape), axis=1).astype(np.int64).reshape(
            size, len(heights)
        )
        self.height_of_node = self.levels.sum(axis=1)
        # Per attribute and level, which nodes are at least / at most that level: a node's up-set
        # (or down-set) is then the AND of d precomputed rows instead of a (n, d) comparison.
        self._at_least = [self.levels[:, dim][None, :] >= np.arange(h + 1)[:, None] for dim, h in enumerate(heights)]
        self._at_most = [self.levels[:, dim][None, :] <= np.arange(h + 1)[:, None] for dim, h in enumerate(heights)]
        self.radix = np.ones(len(heights), dtype=np.int64)
        for dim in range(len(heights) - 2, -1, -1):
            self.radix[dim] = self.radix[dim + 1] * (heights[dim + 1] + 1)

    def __len__(self) -> int:
        return len(self.levels)

    def index(self, levels) -> int:
        return int(np.dot(np.asarray(levels, dtype=np.int64), self.radix))

    def at_or_above(self, node: int) -> np.ndarray:
        return self._combine(self._at_least, node)

    def at_or_below(self, node: int) -> np.ndarray:
        return self._combine(self._at_most, node)

    def _combine(self, tables: list[np.ndarray], node: int) -> np.ndarray:
        levels = self.levels[node]
        mask = tables[0][levels[0]].copy()
        for dim in range(1, len(tables)):
            mask &= tables[dim][levels[dim]]
        return mask

    def successors(self, node: int) -> list[int]:
        found = []
        for dim in range(len(self.heights)):
            if self.levels[node, dim] < self.heights[dim]:
                found.append(node + int(self.radix[dim]))
        return found

    def predecessors(self, node: int) -> list[int]:
        found = []
        for dim in range(len(self.heights)):
            if self.levels[node, dim] > 0:
                found.append(node - int(self.radix[dim]))
        return found


class FlashSearch:
    def __init__(self, problem: Problem, metric: str = "loss", progress: Callable[[int, int], None] | None = None) -> None:
        if metric not in ("loss", "discernibility"):
            raise ValueError(f"unknown metric {metric!r}")
        self.problem = problem
        self.metric = metric
        self.lattice = Lattice([h.height for h in problem.hierarchies])
        self.status = np.zeros(len(self.lattice), dtype=np.int8)
        self.values: dict[int, float | None] = {}
        # Two lower bounds of the metric per node (see module docstring):
        # generalization_bound only grows towards the top; suppressed_at_least only grows towards the bottom.
        self._no_suppression = self._no_suppression_matrix() if metric == "loss" else None
        if metric == "loss":
            self.generalization_bound = self._aggregate(self._no_suppression)
        else:
            self.generalization_bound = np.zeros(len(self.lattice), dtype=np.float64)
        self.suppressed_at_least = np.zeros(len(self.lattice), dtype=np.float64)
        self._use_suppression_bound = problem.max_outliers > 0
        self._dirty = np.zeros(len(self.lattice), dtype=bool)  # nodes whose bound a check raised
        self._bound_guided = metric == "loss" and problem.max_outliers > 0
        self.best_value = np.inf
        self.progress = progress

    # -- phase 1 ----------------------------------------------------------------------------

    def check(self, node: int) -> NodeResult:
        """Evaluate a node (counted in ``nodes_checked``) and remember its status and metric value."""
        result = self.problem.evaluate(tuple(int(x) for x in self.lattice.levels[node]))
        if self.metric == "discernibility":
            bound = float(self.problem.discernibility_lower_bound(result))
            above = self.lattice.at_or_above(node)
            raised = above & (self.generalization_bound < bound)
            self.generalization_bound[raised] = bound
            self._dirty |= raised
        # Records failing a monotone model here fail at every less general node too: with monotone
        # models all outliers, otherwise those of k-anonymity alone (which still bound the total).
        monotone_outliers = result.outliers if self.problem.monotone_privacy() else result.k_outliers
        if self._use_suppression_bound and monotone_outliers:
            below = self.lattice.at_or_below(node)
            raised = below & (self.suppressed_at_least < monotone_outliers)
            self.suppressed_at_least[raised] = monotone_outliers
            self._dirty |= raised
            if monotone_outliers > self.problem.max_outliers:
                self.status[below & (self.status == UNKNOWN)] = FAILING
        # Keep only the number, not the classes: thousands of nodes may be checked.
        value = self._value(result) if result.anonymous else None
        self.values[node] = value
        if value is not None:
            self.best_value = min(self.best_value, value)
        if self.progress:
            self.progress(int((self.status != UNKNOWN).sum()), len(self.lattice))
        return result

    def _tag(self, node: int, anonymous: bool) -> None:
        if anonymous:
            mask = self.lattice.at_or_above(node)
            self.status[mask & (self.status == UNKNOWN)] = ANONYMOUS
        else:
            mask = self.lattice.at_or_below(node)
            self.status[mask & (self.status == UNKNOWN)] = FAILING
        self.status[node] = ANONYMOUS if anonymous else FAILING

    def _path_from(self, node: int) -> list[int]:
        """Greedy upward chain of untagged nodes, raising the relatively least generalized attribute."""
        path = [node]
        heights = np.maximum(self.lattice.heights, 1)
        guide = self.generalization_bound if self._bound_guided else np.zeros(len(self.lattice))
        while True:
            current = path[-1]
            options = [s for s in self.lattice.successors(current) if self.status[s] == UNKNOWN]
            if not options:
                return path
            relative = self.lattice.levels[current] / heights

            def raised_dim(successor: int) -> int:
                return int(np.argmax(self.lattice.levels[successor] != self.lattice.levels[current]))

            path.append(
                min(options, key=lambda s: (guide[s], relative[raised_dim(s)], raised_dim(s)))
            )

    def _exceeds_best(self, bound: float) -> bool:
        return bound > self.best_value + _RELATIVE_TIE * max(abs(self.best_value), 1.0)

    def _prune_if_hopeless(self, node: int) -> bool:
        """Prune a node that cannot beat the best value found so far, with the part of the lattice
        its bound covers: its successors (generalization bound) or its predecessors (suppression bound)."""
        if self._exceeds_best(self.generalization_bound[node]):
            mask = self.lattice.at_or_above(node)
            self.status[mask & (self.status == UNKNOWN)] = PRUNED_UP
            return True
        if self._use_suppression_bound and self._exceeds_best(
            float(self._suppression_value_bound(self.suppressed_at_least[node : node + 1])[0])
        ):
            mask = self.lattice.at_or_below(node)
            self.status[mask & (self.status == UNKNOWN)] = PRUNED_DOWN
            return True
        return False

    def classify(self) -> None:
        """Phase 1: tag nodes ANONYMOUS or FAILING (or PRUNED_*) using as few checks as possible."""
        # Plain Flash walks bottom-up. With suppression and Loss, whose bound is known before any check,
        # start from the most promising nodes instead: a good solution found early prunes the most.
        guide = self.generalization_bound if self._bound_guided else np.zeros(len(self.lattice))
        order = np.lexsort((np.arange(len(self.lattice)), self.lattice.height_of_node, guide))
        for node in order:
            if self.status[node] != UNKNOWN:
                continue
            path = self._path_from(int(node))
            low, high = 0, len(path) - 1
            while low <= high:
                middle = (low + high) // 2
                candidate = path[middle]
                if self.status[candidate] == UNKNOWN and not self._prune_if_hopeless(candidate):
                    self._tag(candidate, self.check(candidate).anonymous)
                if self.status[candidate] in (ANONYMOUS, PRUNED_UP):
                    high = middle - 1
                else:
                    low = middle + 1

    # -- phase 2 ----------------------------------------------------------------------------

    def _value(self, result: NodeResult) -> float:
        if self.metric == "loss":
            return self.problem.loss(result)
        return float(self.problem.discernibility(result))

    def _no_suppression_matrix(self) -> np.ndarray:
        """Per node and attribute: the Loss if no record were suppressed (a per-attribute sum)."""
        matrix = np.empty(self.lattice.levels.shape, dtype=np.float64)
        for dim, height in enumerate(self.lattice.heights):
            table = np.array([self.problem.no_suppression_loss(dim, level) for level in range(int(height) + 1)])
            matrix[:, dim] = table[self.lattice.levels[:, dim]]
        return matrix

    @staticmethod
    def _aggregate(per_attribute: np.ndarray) -> np.ndarray:
        if per_attribute.shape[1] == 0:
            return np.zeros(len(per_attribute))
        return np.exp(np.log1p(per_attribute).mean(axis=1)) - 1.0

    def _suppression_value_bound(self, suppressed: np.ndarray) -> np.ndarray:
        """Metric lower bound from a number of suppressed records alone.

        Loss: each suppressed record counts 1 in every attribute, so each attribute's loss >= S/|D|.
        Discernibility: S records cost |D| each and every released class has >= k records,
        so DM >= S*|D| + k*(|D| - S).
        """
        n = float(self.problem.n_records)
        if self.metric == "loss":
            return suppressed / n
        k = float(self.problem.k)
        return suppressed * n + k * (n - suppressed)

    def value_bound(self, nodes: np.ndarray) -> np.ndarray:
        """Best available lower bound of the metric at ``nodes`` (combining both bounds)."""
        if not self._use_suppression_bound:
            return self.generalization_bound[nodes]
        floor = self._suppression_value_bound(self.suppressed_at_least[nodes])
        if self.metric == "loss":
            return self._aggregate(np.maximum(self._no_suppression[nodes], floor[:, None]))
        return np.maximum(self.generalization_bound[nodes], floor)

    def _better(self, value: float, node: int, best_value: float, best_node: int | None) -> bool:
        if best_node is None:
            return True
        scale = max(abs(value), abs(best_value), 1.0)
        if value < best_value - _RELATIVE_TIE * scale:
            return True
        if value > best_value + _RELATIVE_TIE * scale:
            return False
        mine = (int(self.lattice.height_of_node[node]), tuple(self.lattice.levels[node]))
        theirs = (int(self.lattice.height_of_node[best_node]), tuple(self.lattice.levels[best_node]))
        return mine < theirs

    def optimise(self) -> tuple[int, NodeResult]:
        if self.problem.monotone_privacy():
            candidates = np.flatnonzero(self.status == ANONYMOUS)
        else:
            candidates = np.flatnonzero(self.status != FAILING)
        best_value, best_node, best_result = np.inf, None, None
        candidates = np.asarray(candidates, dtype=np.int64)
        pending = np.ones(len(candidates), dtype=bool)
        bounds = self.value_bound(candidates)
        self._dirty[:] = False
        while pending.any():
            # Bounds rise as checks teach us more: recompute only those a check raised.
            stale = self._dirty[candidates]
            if stale.any():
                bounds[stale] = self.value_bound(candidates[stale])
                self._dirty[:] = False
            position = int(np.argmin(np.where(pending, bounds, np.inf)))
            pending[position] = False
            bound, node = float(bounds[position]), int(candidates[position])
            if best_node is not None and bound > best_value + _RELATIVE_TIE * max(abs(best_value), 1.0):
                break
            if self.status[node] == FAILING:  # tagged since the candidates were listed
                continue
            if node in self.values:
                result, value = None, self.values[node]
            else:
                result = self.check(node)
                value = self.values[node]
            if self.status[node] == UNKNOWN:
                self.status[node] = FAILING if value is None else ANONYMOUS
            if value is None:
                continue
            if self._better(value, node, best_value, best_node):
                best_value, best_node, best_result = value, node, result
        if best_node is None:
            raise InfeasibleError("no transformation satisfies the privacy models within the suppression limit")
        if best_result is None:  # found among phase-1 checks, whose classes were not kept
            best_result = self.problem.evaluate(tuple(int(x) for x in self.lattice.levels[best_node]))
            self.problem.evaluations -= 1
        return best_node, best_result

    def run(self) -> SearchResult:
        started = time.perf_counter()
        self.problem.evaluations = 0
        if self.problem.monotone_privacy():
            top = self.lattice.index(self.problem.top)
            self.status[top] = UNKNOWN
            if not self.check(top).anonymous:
                raise InfeasibleError(
                    "even the most general transformation (every quasi-identifier '*') does not satisfy the "
                    "privacy models within the suppression limit"
                )
            self._tag(top, True)
            self.classify()
        node, result = self.optimise()
        metrics = self.problem.metrics(result)
        return SearchResult(
            levels=result.levels,
            node=result,
            metrics=metrics,
            nodes_total=len(self.lattice),
            nodes_checked=self.problem.evaluations,
            seconds=time.perf_counter() - started,
        )
