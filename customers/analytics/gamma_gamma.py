"""The Gamma-Gamma spend model (Fader, Hardie and Lee 2005, "RFM and CLV"; Fader and Hardie
2013, "The Gamma-Gamma model of monetary value"), fitted by maximum likelihood in log space.

Transaction values of a customer are Gamma(p, ν) with ν ~ Gamma(q, γ); the data per customer
are x repeat purchases and their mean value m_x. Only customers with x > 0 and m_x > 0 enter
the fit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import digamma, gammaln

from customers.analytics.bgnbd import MIN_REPEATERS, FitError

_BOUNDS = [(1e-6, 1e6)] * 3


@dataclass(frozen=True)
class GammaGamma:
    p: float
    q: float
    gamma: float
    ll: float

    def as_dict(self) -> dict[str, float]:
        return {"p": self.p, "q": self.q, "gamma": self.gamma, "ll": self.ll}

    def expected_value(self, x, m_x) -> np.ndarray:
        """E[M | p, q, γ, m_x, x]: a weighted mean of the population mean pγ/(q−1) and the
        customer's own mean; customers without repeat purchases get the population mean."""
        x = np.asarray(x, dtype=float)
        m_x = np.nan_to_num(np.asarray(m_x, dtype=float))
        p, q, g = self.p, self.q, self.gamma
        return (p * (g + x * m_x)) / (p * x + q - 1)


def log_likelihood(params, x, m_x) -> float:
    p, q, g = params
    px = p * x
    return float(
        np.sum(
            gammaln(px + q)
            - gammaln(px)
            - gammaln(q)
            + q * np.log(g)
            + (px - 1) * np.log(m_x)
            + px * np.log(x)
            - (px + q) * np.log(g + x * m_x)
        )
    )


def fit(x, m_x) -> GammaGamma:
    """Fit on the customers with repeat purchases of positive mean value."""
    x = np.asarray(x, dtype=float)
    m_x = np.asarray(m_x, dtype=float)
    keep = (x > 0) & np.isfinite(m_x) & (m_x > 0)
    x, m_x = x[keep], m_x[keep]
    if len(x) < MIN_REPEATERS:
        raise FitError(
            f"Gamma-Gamma needs at least {MIN_REPEATERS} customers with repeat purchases of "
            f"positive value, got {len(x)}."
        )
    n = len(x)
    # Start from the method of moments on the transaction means: p·ν̄ ≈ mean, q around 3.
    mean = float(m_x.mean())
    start = np.log([1.0, 3.0, 2.0 * mean / 1.0])

    log_m, log_x = np.log(m_x), np.log(x)

    def objective(log_params):
        params = np.exp(log_params)
        p, q, g = params
        value = log_likelihood(params, x, m_x)
        px, spend = p * x, np.log(g + x * m_x)
        psi = digamma(px + q)
        gradient = np.array(
            [
                np.sum(x * (psi - digamma(px) + log_m + log_x - spend)),
                np.sum(psi - digamma(q) + np.log(g) - spend),
                np.sum(q / g - (px + q) / (g + x * m_x)),
            ]
        )
        if not np.isfinite(value) or not np.all(np.isfinite(gradient)):
            return 1e10, np.zeros(3)
        return -value / n, -gradient * params / n  # d/dθ = p · d/dp for θ = log p

    bounds = [(np.log(lo), np.log(hi)) for lo, hi in _BOUNDS]
    result = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds)
    if not np.isfinite(result.fun) or result.fun >= 1e10:
        raise FitError(f"Gamma-Gamma did not converge: {result.message}")
    p, q, g = np.exp(result.x)
    if q <= 1:
        raise FitError("Gamma-Gamma fit has q <= 1: the mean spend is not defined for this data.")
    return GammaGamma(p=p, q=q, gamma=g, ll=-result.fun * n)
