"""Generalised linear models fitted from a stream of row chunks, in bounded memory.

statsmodels' ``GLM.fit`` holds the whole design matrix and several working copies of it: on a
10-million-row population it needed more than 15 GB. The estimates only need, per iteration, the
weighted least-squares problem of iteratively reweighted least squares (IRLS), and that can be built
chunk by chunk: each chunk's weighted rows ``[√w·X | √w·z]`` are stacked under the triangular factor
of everything before and QR-factorised again ("tall-skinny QR"), so memory is one chunk plus a
(p+1)×(p+1) matrix whatever the number of rows. Working on R rather than on X'WX keeps the condition
number of the design instead of squaring it, as statsmodels' pseudo-inverse does.

The iteration is statsmodels' own (``GLM._fit_irls``), so results agree with it to the convergence
tolerance: the same starting means (``family.starting_mu``), the same working response and weights
with the links' clipping, convergence when the deviance changes by at most 1e-8 (plus 16 machine
epsilons of the deviance — the rounding of a sum over millions of rows can exceed 1e-8 and would
otherwise never settle; on small data the criterion is statsmodels' own, which matters where a
coefficient diverges under separation and the stopping iteration decides its value), at most 100
iterations; the estimates are those of the last weighted least squares, their covariance is that
problem's (pseudo-)inverse times the scale (1 for binomial and Poisson, Pearson χ² over the residual
degrees of freedom for gaussian, which is fitted in one pass); Wald z statistics, p-values and 95 %
intervals, as statsmodels reports them by default. Written here because no maintained package fits
GLMs out of core from arbitrary chunks (statsmodels, scikit-learn and glum all take the whole
matrix); the test suite checks every family against statsmodels on data where both run.

Pure: numpy and scipy only, no database — the caller hands in a function that yields (y, X) chunks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from scipy import stats

FLOAT_EPS = np.finfo(float).eps
MAX_ITERATIONS = 100
ATOL, RTOL = 1e-8, 16 * np.finfo(float).eps
FAMILIES = ("gaussian", "binomial", "poisson")

Chunks = Callable[[], Iterable[tuple[np.ndarray, np.ndarray]]]


@dataclass
class GlmFit:
    params: np.ndarray
    bse: np.ndarray
    conf_int: np.ndarray      # p×2, 95 %
    pvalues: np.ndarray
    nobs: int
    rank: int
    df_resid: int
    scale: float
    deviance: float
    converged: bool
    iterations: int


# --- the families' pieces, with statsmodels' clipping ----------------------------------------------

def _starting_mu(family: str, y: np.ndarray, y_mean: float) -> np.ndarray:
    if family == "binomial":
        return (y + 0.5) / 2
    return (y + y_mean) / 2


def _link(family: str, mu: np.ndarray) -> np.ndarray:
    if family == "binomial":
        p = np.clip(mu, FLOAT_EPS, 1 - FLOAT_EPS)
        return np.log(p / (1 - p))
    if family == "poisson":
        return np.log(np.clip(mu, FLOAT_EPS, np.inf))
    return mu


def _inverse(family: str, eta: np.ndarray) -> np.ndarray:
    if family == "binomial":
        return 1.0 / (1.0 + np.exp(-eta))
    if family == "poisson":
        return np.exp(eta)
    return eta


def _working(family: str, y: np.ndarray, mu: np.ndarray, eta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """IRLS weights and working response at ``mu`` (``eta`` its linear predictor)."""
    if family == "binomial":
        p = np.clip(mu, FLOAT_EPS, 1 - FLOAT_EPS)
        variance = p * (1 - p)
        return variance, eta + (y - mu) / variance
    if family == "poisson":
        m = np.clip(mu, FLOAT_EPS, np.inf)
        return m, eta + (y - mu) / m
    return np.ones_like(y), y


def _deviance(family: str, y: np.ndarray, mu: np.ndarray) -> float:
    if family == "binomial":
        inside = np.clip(y / (mu + 1e-20), FLOAT_EPS, np.inf)
        outside = np.clip((1 - y) / (1 - mu + 1e-20), FLOAT_EPS, np.inf)
        return float(2 * np.sum(y * np.log(inside) + (1 - y) * np.log(outside)))
    if family == "poisson":
        ratio = np.clip(y / mu, FLOAT_EPS, np.inf)
        return float(2 * np.sum(y * np.log(ratio) - (y - mu)))
    return float(np.sum((y - mu) ** 2))


# --- streamed weighted least squares -----------------------------------------------------------------

class _Stacked:
    """The R factor of [√w·X | √w·z] over every chunk added so far."""

    def __init__(self, p: int):
        self.p = p
        self.r: np.ndarray | None = None

    def add(self, x: np.ndarray, z: np.ndarray, w: np.ndarray) -> None:
        if x.shape[0] == 0:
            return
        root = np.sqrt(w)
        block = np.empty((x.shape[0], self.p + 1))
        block[:, : self.p] = x * root[:, None]
        block[:, self.p] = z * root
        if self.r is not None:
            block = np.vstack([self.r, block])
        self.r = _square(np.linalg.qr(block, mode="r"), self.p + 1)

    def solve(self) -> tuple[np.ndarray, np.ndarray, int]:
        """(estimates, pseudo-inverse of X'WX, rank) — statsmodels' pinv cut-off."""
        r = self.r if self.r is not None else np.zeros((self.p + 1, self.p + 1))
        r_x, qz = r[: self.p, : self.p], r[: self.p, self.p]
        inverse_r = np.linalg.pinv(r_x, rcond=1e-15)
        return inverse_r @ qz, inverse_r @ inverse_r.T, _rank(r_x)

    def residual_squares(self, beta: np.ndarray) -> float:
        """Σ w (z − Xβ)², exact from R whatever the rank: ‖R·[β; −1]‖²."""
        return float(np.sum((self.r @ np.append(beta, -1.0)) ** 2))


def _square(r: np.ndarray, size: int) -> np.ndarray:
    """QR of fewer rows than columns gives a short R: pad it to size×size with zero rows."""
    if r.shape[0] == size:
        return r
    out = np.zeros((size, size))
    out[: r.shape[0]] = r
    return out


def _rank(r_x: np.ndarray) -> int:
    if r_x.size == 0:
        return 0
    singular = np.linalg.svd(r_x, compute_uv=False)
    return int(np.sum(singular > singular.max() * max(r_x.shape) * FLOAT_EPS)) if singular.max() > 0 else 0


# --- the fit ---------------------------------------------------------------------------------------

def fit(chunks: Chunks, family: str, p: int, *, nobs: int, y_mean: float,
        max_iterations: int = MAX_ITERATIONS) -> GlmFit:
    """Fit ``family`` (canonical link) to the rows ``chunks()`` yields — called once per pass."""
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}")
    if family == "gaussian":
        return _fit_gaussian(chunks, p, nobs)
    if max_iterations < 1:
        raise ValueError("at least one iteration")
    beta: np.ndarray | None = None
    previous_dev, previous_system = np.inf, None
    for iteration in range(max_iterations + 1):
        system, dev = _Stacked(p), 0.0
        for y, x in chunks():
            if beta is None:
                mu = _starting_mu(family, y, y_mean)
                eta = _link(family, mu)
            else:
                eta = x @ beta
                mu = _inverse(family, eta)
            dev += _deviance(family, y, mu)
            w, z = _working(family, y, mu, eta)
            system.add(x, z, w)
        if not np.isfinite(dev):
            raise ValueError("the deviance is not finite (values that are not numbers, or an overflow); "
                             "the model cannot be fitted")
        converged = beta is not None and abs(dev - previous_dev) <= ATOL + RTOL * abs(dev)
        if converged or (beta is not None and iteration == max_iterations):
            # the estimates of the last weighted least squares and that problem's covariance, as statsmodels
            params, cov, rank = previous_system.solve()
            return _result(params, cov, rank, nobs, 1.0, dev, converged, iteration)
        beta, _, _ = system.solve()
        previous_dev, previous_system = dev, system
    raise AssertionError("unreachable")


def _fit_gaussian(chunks: Chunks, p: int, nobs: int) -> GlmFit:
    system = _Stacked(p)
    for y, x in chunks():
        system.add(x, y, np.ones_like(y))
    if system.r is not None and not np.isfinite(system.r).all():
        raise ValueError("the data hold values that are not finite numbers; the model cannot be fitted")
    params, cov, rank = system.solve()
    rss = system.residual_squares(params)
    df_resid = nobs - rank
    scale = rss / df_resid if df_resid > 0 else np.nan
    return _result(params, cov, rank, nobs, scale, rss, True, 1)


def _result(params, cov, rank: int, nobs: int, scale: float, dev: float, converged: bool, iterations: int) -> GlmFit:
    bse = np.sqrt(np.clip(np.diag(cov) * scale, 0, np.inf))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = params / bse
    pvalues = 2 * stats.norm.sf(np.abs(z))
    q = stats.norm.ppf(0.975)
    conf_int = np.column_stack([params - q * bse, params + q * bse])
    return GlmFit(params=params, bse=bse, conf_int=conf_int, pvalues=pvalues, nobs=nobs, rank=rank,
                  df_resid=nobs - rank, scale=float(scale), deviance=dev, converged=converged, iterations=iterations)
