"""The stratified bootstrap, vectorised: resample counts drawn per class, many replicates at once.

A stratified bootstrap replicate draws, within each class of size m, m cases with replacement — its
counts are Multinomial(m, uniform). Drawing m random indices and counting them (``bincount``) costs
two scattered passes per case; we draw the same distribution with sequential passes instead:

1. counts ~ Poisson(λ) independently per case, with λ a little below 1 so the total S is ≤ m
   (redrawn in the rare case it is not). Given S = s, iid Poisson counts are Multinomial(s, uniform).
2. m − S more cases are drawn uniformly and added. A sum of independent multinomials with the same
   cell probabilities is multinomial, so the counts are exactly Multinomial(m, uniform).

Poisson draws read a 16-bit random number through a table; the few table cells that straddle two
values are resolved with a second uniform draw (alias style), so the Poisson probabilities are exact
to double precision, not rounded to 2⁻¹⁶.

Intervals: BCa (Efron 1987) from the replicates and a jackknife, percentile where BCa cannot apply
(the bias correction is infinite), Wilson for proportions (statsmodels). ``scipy.stats.bootstrap``
has BCa too, but it resamples unstratified and jackknifes by calling the statistic n times; here the
statistic is vectorised over weight rows, so the jackknife is one more batch of rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri
from scipy.stats import poisson

TABLE_BITS = 16
ALPHA = 0.05
JACKKNIFE_EXACT_MAX = 2000   # cases: above this the acceleration comes from a grouped jackknife
JACKKNIFE_GROUPS = 500


@dataclass(frozen=True)
class PoissonTable:
    lam: float
    values: np.ndarray          # uint8 per 16-bit cell; 255 marks a cell resolved by a second draw
    residual_cdf: np.ndarray    # cumulative distribution of the resolved cells' values
    residual_values: np.ndarray


def poisson_table(lam: float) -> PoissonTable:
    size = 1 << TABLE_BITS
    k = np.arange(0, 40)
    mass = poisson.pmf(k, lam) * size
    whole = np.floor(mass).astype(np.int64)
    values = np.repeat(k.astype(np.uint8), whole)
    spare = size - len(values)
    fraction = mass - whole
    residual_values = k[fraction > 0]
    residual = fraction[fraction > 0]
    table = np.concatenate((values, np.full(spare, 255, np.uint8)))
    return PoissonTable(lam, table, np.cumsum(residual) / residual.sum(), residual_values.astype(np.uint8))


_TABLES: dict[float, PoissonTable] = {}


def _table_for(m: int) -> PoissonTable:
    # λ = 1 − 4/√m: P(S > m) is about Φ(−4), and the top-up is about 4√m uniform draws.
    lam = round(max(0.5, 1.0 - 4.0 / np.sqrt(max(m, 1))), 6)
    if lam not in _TABLES:
        _TABLES[lam] = poisson_table(lam)
    return _TABLES[lam]


def multinomial_counts(rng: np.random.Generator, rows: int, m: int) -> np.ndarray:
    """``rows`` independent Multinomial(m, uniform over m cells) count vectors, shape (rows, m)."""
    if m == 0:
        return np.zeros((rows, 0), np.uint8)
    table = _table_for(m)
    raw = rng.integers(0, 1 << TABLE_BITS, size=(rows, m), dtype=np.uint16)
    counts = table.values[raw]
    odd = np.flatnonzero(counts.ravel() == 255)
    if len(odd):
        pick = np.searchsorted(table.residual_cdf, rng.random(len(odd)), side="right")
        counts.ravel()[odd] = table.residual_values[np.minimum(pick, len(table.residual_values) - 1)]
    totals = counts.sum(axis=1, dtype=np.int64)
    for row in np.flatnonzero(totals > m):        # rare: redraw the row (conditioning on S ≤ m is harmless)
        counts[row] = multinomial_counts(rng, 1, m)[0]
        totals[row] = m
    if m <= 200:
        counts = counts.astype(np.uint16)   # small strata: the top-up may add many to one cell
    for row in np.flatnonzero(totals < m):
        extra = rng.integers(0, m, size=int(m - totals[row]))
        np.add.at(counts[row], extra, 1)
    return counts


def stratified_counts(rng: np.random.Generator, rows: int, sizes: list[int]) -> list[np.ndarray]:
    """One count matrix per stratum: each stratum resampled to its own size."""
    return [multinomial_counts(rng, rows, m) for m in sizes]


Statistic = Callable[[list[np.ndarray]], dict[str, np.ndarray]]


def replicates(statistic: Statistic, sizes: list[int], n_boot: int, seed: int | tuple,
               chunk: int | None = None) -> dict[str, np.ndarray]:
    """``n_boot`` stratified bootstrap replicates of every metric ``statistic`` returns."""
    rng = np.random.default_rng(seed)
    total = max(sum(sizes), 1)
    chunk = chunk or max(1, min(64, 4_000_000 // total))
    parts: dict[str, list] = {}
    done = 0
    while done < n_boot:
        rows = min(chunk, n_boot - done)
        for name, values in statistic(stratified_counts(rng, rows, sizes)).items():
            parts.setdefault(name, []).append(np.asarray(values, dtype=np.float64))
        done += rows
    return {name: np.concatenate(chunks) for name, chunks in parts.items()}


def jackknife_weights(sizes: list[int], seed: int = 0) -> Iterator[list[np.ndarray]]:
    """Rows of weights that each leave out one case (or one group of cases when n is large)."""
    n = sum(sizes)
    offsets = np.cumsum([0, *sizes])
    if n <= JACKKNIFE_EXACT_MAX:
        groups = [np.array([i]) for i in range(n)]
    else:
        order = np.random.default_rng(seed).permutation(n)
        groups = np.array_split(order, JACKKNIFE_GROUPS)
    for start in range(0, len(groups), 256):
        batch = groups[start : start + 256]
        weights = np.ones((len(batch), n))
        for row, members in enumerate(batch):
            weights[row, members] = 0.0
        yield [weights[:, offsets[s] : offsets[s + 1]] for s in range(len(sizes))]


def jackknife(statistic: Statistic, sizes: list[int]) -> dict[str, np.ndarray]:
    parts: dict[str, list] = {}
    for weights in jackknife_weights(sizes):
        for name, values in statistic(weights).items():
            parts.setdefault(name, []).append(np.asarray(values, dtype=np.float64))
    return {name: np.concatenate(chunks) for name, chunks in parts.items()}


def acceleration(jack: np.ndarray) -> float:
    jack = jack[np.isfinite(jack)]
    if len(jack) < 3:
        return 0.0
    d = jack.mean() - jack
    denominator = 6.0 * (d @ d) ** 1.5
    return float((d**3).sum() / denominator) if denominator > 0 else 0.0


def bca_interval(estimate: float, boot: np.ndarray, accel: float, alpha: float = ALPHA) -> tuple[list, str]:
    """The BCa interval, or the percentile interval when the bias correction is infinite."""
    boot = boot[np.isfinite(boot)]
    if len(boot) < 20 or not np.isfinite(estimate):
        return [None, None], "unavailable"
    if np.all(boot == boot[0]):
        return [float(boot[0]), float(boot[0])], "degenerate"
    share = (np.sum(boot < estimate) + 0.5 * np.sum(boot == estimate)) / len(boot)
    if not 0 < share < 1:
        return percentile_interval(boot, alpha), "percentile"
    z0 = ndtri(share)
    z = ndtri(np.array([alpha / 2, 1 - alpha / 2]))
    adjusted = ndtr(z0 + (z0 + z) / (1 - accel * (z0 + z)))
    if not np.all(np.isfinite(adjusted)):
        return percentile_interval(boot, alpha), "percentile"
    low, high = np.quantile(boot, adjusted)
    return [float(low), float(high)], "bca"


def percentile_interval(boot: np.ndarray, alpha: float = ALPHA) -> list:
    low, high = np.quantile(boot[np.isfinite(boot)], [alpha / 2, 1 - alpha / 2])
    return [float(low), float(high)]


def wilson_interval(count: float, total: float, alpha: float = ALPHA) -> list:
    from statsmodels.stats.proportion import proportion_confint

    if total <= 0:
        return [None, None]
    low, high = proportion_confint(count, total, alpha=alpha, method="wilson")
    return [float(low), float(high)]
