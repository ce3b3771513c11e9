"""The BG/NBD purchase model (Fader, Hardie and Lee 2005, "Counting your customers the easy
way"), fitted by maximum likelihood in log space.

A customer buys at Poisson rate λ ~ Gamma(r, α) while alive and drops out after any purchase
with probability p ~ Beta(a, b). Per customer the data are x (repeat purchases), t_x (time of
the last purchase) and T (age), all measured from the first purchase.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, digamma, gammaln, hyp2f1


class FitError(ValueError):
    """The data cannot support a fit (too few customers or repeat purchases, no convergence)."""


MIN_CUSTOMERS = 10
MIN_REPEATERS = 3
_BOUNDS = [(1e-6, 1e4)] * 4


@dataclass(frozen=True)
class BgNbd:
    r: float
    alpha: float
    a: float
    b: float
    ll: float

    def as_dict(self) -> dict[str, float]:
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b, "ll": self.ll}

    def p_alive(self, x, t_x, T) -> np.ndarray:  # noqa: N803 - the paper's names
        """P(alive | x, t_x, T); 1 for customers without repeat purchases."""
        x, t_x, T = _arrays(x, t_x, T)  # noqa: N806
        return 1.0 / (1.0 + _dropout_odds(self, x, t_x, T))

    def expected_purchases(self, t, x, t_x, T) -> np.ndarray:  # noqa: N803
        """E[Y(t) | x, t_x, T]: expected purchases in the next `t` time units (eq. 10)."""
        x, t_x, T = _arrays(x, t_x, T)  # noqa: N806
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        z = t / (alpha + T + t)
        hyp = _hyp2f1(r + x, b + x, a + b + x - 1, z)
        head = (a + b + x - 1) / (a - 1)
        tail = 1 - np.exp((r + x) * np.log((alpha + T) / (alpha + T + t))) * hyp
        return head * tail / (1.0 + _dropout_odds(self, x, t_x, T))

    def expected_purchases_new(self, t) -> float:
        """E[X(t)]: expected purchases of a customer in their first `t` time units (eq. 9)."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        hyp = float(_hyp2f1(r, b, a + b - 1, t / (alpha + t)))
        return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp)


def _arrays(*values):
    return tuple(np.asarray(v, dtype=float) for v in values)


def _dropout_odds(model: BgNbd, x, t_x, T):  # noqa: N803
    """δ(x>0) · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x), in log space to avoid overflow."""
    r, alpha, a, b = model.r, model.alpha, model.a, model.b
    with np.errstate(divide="ignore", invalid="ignore"):
        log_odds = (
            np.log(a)
            - np.log(np.maximum(b + x - 1, 1e-300))
            + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        )
    return np.where(x > 0, np.exp(np.minimum(log_odds, 700)), 0.0)


def _hyp2f1(a, b, c, z):
    """Gauss's hypergeometric function; where SciPy's series gives up (large a, b and z near 1,
    i.e. customers with very many purchases), Euler's transformation
    2F1(a,b;c;z) = (1−z)^(c−a−b) 2F1(c−a, c−b; c; z) is tried instead."""
    a, b, c, z = np.broadcast_arrays(*_arrays(a, b, c, z))
    out = hyp2f1(a, b, c, z)
    bad = ~np.isfinite(out)
    if bad.any():
        out = out.copy()
        aa, bb, cc, zz = a[bad], b[bad], c[bad], z[bad]
        out[bad] = (1 - zz) ** (cc - aa - bb) * hyp2f1(cc - aa, cc - bb, cc, zz)
    return out


def log_likelihood(params, x, t_x, T, weights=None) -> np.ndarray | float:  # noqa: N803
    """Per-customer log-likelihood (eq. 6 of the paper), summed when `weights` is given."""
    r, alpha, a, b = params
    x, t_x, T = _arrays(x, t_x, T)  # noqa: N806
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    alive, dropped = _branches(params, x, t_x, T)
    per_customer = common + np.logaddexp(alive, dropped)
    if weights is None:
        return per_customer
    return float(np.sum(weights * per_customer))


def _branches(params, x, t_x, T):  # noqa: N803
    """The log of the two terms of the likelihood: still alive at T, and dropped out right
    after the last purchase (−inf for customers without repeat purchases)."""
    r, alpha, a, b = params
    alive = betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        dropped = np.where(
            x > 0,
            betaln(a + 1, np.maximum(b + x - 1, 1e-300))
            - betaln(a, b)
            - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return alive, dropped


def log_likelihood_gradient(params, x, t_x, T, weights) -> tuple[float, np.ndarray]:  # noqa: N803
    """The summed log-likelihood and its gradient in (r, α, a, b), exact (digamma), so the
    optimiser needs one evaluation per step instead of five."""
    r, alpha, a, b = params
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    alive, dropped = _branches(params, x, t_x, T)
    total = np.logaddexp(alive, dropped)
    w_alive = np.exp(alive - total)  # share of each branch in the likelihood
    w_dropped = np.exp(dropped - total)
    log_alpha_t, log_alpha_tx = np.log(alpha + T), np.log(alpha + t_x)
    psi_ab, psi_abx = digamma(a + b), digamma(a + b + x)
    psi_b = digamma(b)
    with np.errstate(invalid="ignore"):
        d_dropped_b = np.where(
            x > 0, digamma(np.maximum(b + x - 1, 1e-300)) - psi_abx - psi_b + psi_ab, 0.0
        )
    d_r = digamma(r + x) - digamma(r) + np.log(alpha) - w_alive * log_alpha_t
    d_r -= w_dropped * log_alpha_tx
    d_alpha = r / alpha - (r + x) * (w_alive / (alpha + T) + w_dropped / (alpha + t_x))
    d_a = w_alive * (psi_ab - psi_abx) + w_dropped * (
        digamma(a + 1) - psi_abx - digamma(a) + psi_ab
    )
    d_b = w_alive * (digamma(b + x) - psi_abx - psi_b + psi_ab) + w_dropped * d_dropped_b
    # Weighted sums without BLAS: its threads only add overhead on vectors this short.
    gradient = np.array([np.sum(weights * d) for d in (d_r, d_alpha, d_a, d_b)])
    return float(np.sum(weights * (common + total))), gradient


def fit(x, t_x, T) -> BgNbd:  # noqa: N803
    """Maximum-likelihood fit with L-BFGS-B on log parameters (bounded, exact gradient),
    started from moment-style guesses. Customers with the same (x, t_x, T) are fitted once, with a weight."""
    x, t_x, T = _arrays(x, t_x, T)  # noqa: N806
    if len(x) < MIN_CUSTOMERS:
        raise FitError(f"BG/NBD needs at least {MIN_CUSTOMERS} customers, got {len(x)}.")
    if np.count_nonzero(x > 0) < MIN_REPEATERS:
        raise FitError(
            f"BG/NBD needs at least {MIN_REPEATERS} customers with repeat purchases, "
            f"got {np.count_nonzero(x > 0)}."
        )
    if np.any(T <= 0) or np.any(t_x > T + 1e-9) or np.any(t_x < 0):
        raise FitError("Every customer needs 0 <= t_x <= T and T > 0.")
    rows = np.stack([x, t_x, T], axis=1)
    unique, counts = np.unique(rows, axis=0, return_counts=True)
    ux, ut, uT = unique.T  # noqa: N806
    weights = counts.astype(float)
    n = weights.sum()
    # Starting values: a purchase rate near the observed mean and a modest dropout.
    rate = max(float((x.sum()) / max(T.sum(), 1e-9)), 1e-3)
    start = np.log([1.0, 1.0 / rate, 1.0, 1.0])

    def objective(log_params):
        params = np.exp(log_params)
        value, gradient = log_likelihood_gradient(params, ux, ut, uT, weights)
        if not np.isfinite(value) or not np.all(np.isfinite(gradient)):
            return 1e10, np.zeros(4)
        # Chain rule for the log parameters: d/dθ = p · d/dp.
        return -value / n, -gradient * params / n

    bounds = [(np.log(lo), np.log(hi)) for lo, hi in _BOUNDS]
    result = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds)
    if not np.isfinite(result.fun) or result.fun >= 1e10:
        raise FitError(f"BG/NBD did not converge: {result.message}")
    r, alpha, a, b = np.exp(result.x)
    return BgNbd(r=r, alpha=alpha, a=a, b=b, ll=-result.fun * n)
