"""Bootstrap AUROCs at scale: cases sorted once, each replicate two compiled passes (numba).

The stratified bootstrap and why its counts are exactly multinomial are described in
:mod:`.bootstrap`; this module runs the same scheme per replicate, compiled, over one byte per case:

* **Sort once.** Cases in ascending score order, negatives before positives among equal scores.
  Each case is one byte: bit 7 its class, bits 0–6 its count in the current replicate.
* **Pass 1, counts.** Every case gets a Poisson(λ_class) count from a 12-bit table held in L1
  cache (five cases per 64-bit random number); the 0.1% of cells that straddle two values are
  resolved by a second draw, so the probabilities are exact to double precision. The class totals
  are then topped up to the class sizes with uniform draws (≈ 4√m of them).
* **Pass 2, AUROC.** One branch-free walk: each positive adds its count × the negative weight
  below it. Because tied negatives come first, that counts a tie as a win; the exact Mann–Whitney
  half is restored by subtracting ½ · (positive × negative weight) of each run of equal scores that
  holds both classes — a loop over those runs only, usually a handful of cases.

On this machine that is about 1.8 ms of CPU per replicate of 1,000,000 cases, against 4.6 ms for
the previous two-byte, branchy version and about 1.5 s for a call of ``sklearn.metrics.roc_auc_score``
(``bench/evaluation.py``). Why written here: no maintained package computes weighted-resample AUROCs
from a fixed order; scikit-learn and scipy sort again on every call.

Random numbers come from SplitMix64 used as a counter-based generator: the stream of replicate ``b``
of a run seeded ``s`` depends on (s, b) only, so replicates are the same whichever thread or order
computes them, and re-runs are bit-identical. Replicates run on threads (the compiled functions
release the GIL), so no process pool has to start and no arrays are copied between processes.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numba import njit

from yizhi.evaluation.bootstrap import _table_for

TABLE_BITS = 12
LANES = 5                 # 12-bit cells per 64-bit random number
RESOLVE = 255             # a table cell resolved by a second draw
MAX_COUNT = 254           # counts are bytes; a replicate that would pass this is redrawn (P < 1e-400)
PARALLEL_FROM = 20_000_000   # cases × replicates below which one thread is quicker than starting more


@dataclass
class SortedCases:
    is_pos: np.ndarray       # uint8 per case in score order (negatives first among equal scores)
    pos_index: np.ndarray    # positions of the positives in that order
    neg_index: np.ndarray
    tie_runs: np.ndarray     # (k, 2) start/stop positions of runs of equal scores holding both classes
    order: np.ndarray        # the input positions in that order (counts given per input case are permuted by it)


def sort_cases(y: np.ndarray, scores: np.ndarray) -> SortedCases:
    """Sort by score, negatives first among equal scores; find the runs of ties mixing both classes."""
    scores = np.asarray(scores, dtype=np.float64)
    positive = np.asarray(y).astype(bool)
    by_class = np.concatenate((np.flatnonzero(~positive), np.flatnonzero(positive)))
    order = by_class[np.argsort(scores[by_class], kind="stable")]
    sorted_scores, is_pos = scores[order], positive[order]
    return SortedCases(is_pos.astype(np.uint8), np.flatnonzero(is_pos).astype(np.int64),
                       np.flatnonzero(~is_pos).astype(np.int64), _mixed_tie_runs(sorted_scores, is_pos), order)


def _mixed_tie_runs(sorted_scores: np.ndarray, is_pos: np.ndarray) -> np.ndarray:
    if len(sorted_scores) == 0:
        return np.zeros((0, 2), np.int64)
    starts = np.concatenate(([0], np.flatnonzero(sorted_scores[1:] != sorted_scores[:-1]) + 1))
    stops = np.concatenate((starts[1:], [len(sorted_scores)]))
    # negatives come first in a run, so a run mixes classes when its first case is negative and its last positive
    mixed = (stops - starts > 1) & ~is_pos[starts] & is_pos[stops - 1]
    return np.stack((starts[mixed], stops[mixed]), axis=1).astype(np.int64)


@njit(cache=True, nogil=True, inline="always")
def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(cache=True, nogil=True, inline="always")
def _next(state):
    state = state + np.uint64(0x9E3779B97F4A7C15)
    return state, _mix(state)


@njit(cache=True, nogil=True)
def _below(state, bound):
    """A uniform integer in [0, bound) (Lemire's multiply-shift with rejection, 32-bit)."""
    threshold = (np.uint64(1 << 32) - np.uint64(bound)) % np.uint64(bound)
    while True:
        state, r = _next(state)
        product = (r >> np.uint64(32)) * np.uint64(bound)
        if (product & np.uint64(0xFFFFFFFF)) >= threshold:
            return state, np.int64(product >> np.uint64(32))


@njit(cache=True, nogil=True)
def _resolve_block(aux, counts, is_pos, start, stop, cdfs, values):
    """Give each straddling cell (count 255) of cases ``start:stop`` a second draw from its class's
    residual distribution; returns the state and the changes to the totals."""
    change = np.int64(0)
    change_pos = np.int64(0)
    for i in range(start, stop):
        if counts[i] == 255:
            cls = np.int64(is_pos[i])
            aux, r = _next(aux)
            u = (r >> np.uint64(11)) * (1.0 / 9007199254740992.0)
            k = min(np.searchsorted(cdfs[cls], u, side="right"), values.shape[1] - 1)
            counts[i] = values[cls, k]
            change += np.int64(counts[i]) - 255
            change_pos += (np.int64(counts[i]) - 255) * cls
    return aux, change, change_pos


@njit(cache=True, nogil=True)
def _draw(base, counts, is_pos, table, cdfs, values):
    """Pass 1: a Poisson count per case; returns (aux state, negatives' total, positives' total).

    Five cases per random number; the rare block holding a straddling cell is fixed after it, so
    the loop itself has one predictable branch per block."""
    n = len(is_pos)
    full = n // 5
    aux = _mix(base ^ np.uint64(0x5851F42D4C957F2D))
    total = np.int64(0)
    total_pos = np.int64(0)
    for b in range(full):
        r = _mix(base + np.uint64(b) * np.uint64(0x9E3779B97F4A7C15))
        odd = False
        for lane in range(5):      # a constant trip count: unrolled
            i = b * 5 + lane
            cls = np.int64(is_pos[i])
            count = np.int64(table[(cls << 12) | np.int64((r >> np.uint64(12 * lane)) & np.uint64(0xFFF))])
            counts[i] = count
            total += count
            total_pos += count * cls
            odd |= count == 255
        if odd:
            aux, change, change_pos = _resolve_block(aux, counts, is_pos, b * 5, b * 5 + 5, cdfs, values)
            total += change
            total_pos += change_pos
    r = _mix(base + np.uint64(full) * np.uint64(0x9E3779B97F4A7C15))
    for i in range(5 * full, n):
        cls = np.int64(is_pos[i])
        counts[i] = table[(cls << 12) | np.int64((r >> np.uint64(12 * (i - 5 * full))) & np.uint64(0xFFF))]
    aux, change, change_pos = _resolve_block(aux, counts, is_pos, 5 * full, n, cdfs, values)
    for i in range(5 * full, n):
        total += np.int64(counts[i])
        total_pos += np.int64(counts[i]) * np.int64(is_pos[i])
    return aux, total - total_pos, total_pos


@njit(cache=True, nogil=True)
def _top_up(state, counts, index, missing):
    """Add ``missing`` counts to cases drawn uniformly from ``index``; False if a count would overflow."""
    for _ in range(missing):
        state, k = _below(state, len(index))
        i = index[k]
        if counts[i] >= MAX_COUNT:
            return state, False
        counts[i] += np.uint8(1)
    return state, True


@njit(cache=True, nogil=True)
def auroc_of_counts(counts, is_pos, tie_runs):
    """Pass 2: the Mann–Whitney AUROC of one weighted resample (cases in score order, negatives
    first among equal scores; ``tie_runs`` from :func:`sort_cases`)."""
    below = np.int64(0)
    numerator = np.int64(0)
    total_pos = np.int64(0)
    for i in range(len(counts)):
        w = np.int64(counts[i])
        wp = w & -np.int64(is_pos[i])   # branch-free: the next case's class is a coin toss to the predictor
        numerator += wp * below
        total_pos += wp
        below += w - wp
    ties = np.int64(0)
    for r in range(len(tie_runs)):
        run_pos = np.int64(0)
        run_all = np.int64(0)
        for i in range(tie_runs[r, 0], tie_runs[r, 1]):
            w = np.int64(counts[i])
            run_pos += w & -np.int64(is_pos[i])
            run_all += w
        ties += run_pos * (run_all - run_pos)
    return (2.0 * numerator - ties) / (2.0 * np.float64(total_pos) * np.float64(below))


@njit(cache=True, nogil=True)
def _replicates(seed, first, count, is_pos, pos_index, neg_index, tie_runs, table, cdfs, values):
    out = np.empty(count)
    counts = np.empty(len(is_pos), np.uint8)
    n_neg, n_pos = len(neg_index), len(pos_index)
    run_key = _mix(np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(0x632BE59BD9B4E019))
    for b in range(count):
        attempt = np.uint64(0)
        while True:
            base = _mix(run_key ^ (np.uint64(first + b) * np.uint64(0xD1B54A32D192ED03) + attempt))
            aux, total_neg, total_pos = _draw(base, counts, is_pos, table, cdfs, values)
            attempt += np.uint64(1 << 40)
            if total_neg > n_neg or total_pos > n_pos:
                continue          # rare (about Φ(−4)): conditioning on S ≤ m keeps the counts multinomial
            aux, fits = _top_up(aux, counts, neg_index, n_neg - total_neg)
            if not fits:
                continue
            aux, fits = _top_up(aux, counts, pos_index, n_pos - total_pos)
            if fits:
                break
        out[b] = auroc_of_counts(counts, is_pos, tie_runs)
    return out


def _tables(cases: SortedCases):
    """The two classes' 12-bit Poisson tables side by side, with their second-draw distributions."""
    made = [_table_for(len(cases.neg_index), TABLE_BITS), _table_for(len(cases.pos_index), TABLE_BITS)]
    width = max(len(t.residual_cdf) for t in made)
    cdfs = np.ones((2, width))
    values = np.zeros((2, width), np.uint8)
    for k, t in enumerate(made):
        cdfs[k, : len(t.residual_cdf)] = t.residual_cdf
        values[k, : len(t.residual_values)] = t.residual_values
        values[k, len(t.residual_values) :] = t.residual_values[-1]
    return np.concatenate([t.values for t in made]), cdfs, values


def auroc_replicates(cases: SortedCases, seed: int, first: int, count: int) -> np.ndarray:
    """Bootstrap AUROCs number ``first`` .. ``first + count - 1`` of the run seeded ``seed``."""
    if len(cases.pos_index) == 0 or len(cases.neg_index) == 0:
        return np.full(count, np.nan)
    table, cdfs, values = _tables(cases)
    return _replicates(np.uint64(seed), first, count, cases.is_pos, cases.pos_index, cases.neg_index,
                       cases.tie_runs, table, cdfs, values)


def parallel_auroc_replicates(cases: SortedCases, seed: int, n_boot: int, workers: int | None = None) -> np.ndarray:
    """The same replicates, split into one contiguous piece per thread."""
    from yizhi.config import get_settings

    workers = workers or get_settings().workers
    if workers <= 1 or len(cases.is_pos) * n_boot < PARALLEL_FROM:
        return auroc_replicates(cases, seed, 0, n_boot)
    bounds = np.linspace(0, n_boot, workers + 1).astype(int)
    with ThreadPoolExecutor(workers, thread_name_prefix="yizhi-auroc") as pool:
        pieces = pool.map(lambda ab: auroc_replicates(cases, seed, int(ab[0]), int(ab[1] - ab[0])),
                          zip(bounds[:-1], bounds[1:], strict=True))
        return np.concatenate(list(pieces))
