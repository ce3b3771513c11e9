"""Customer lifetime value: the BG/NBD and Gamma-Gamma models fitted on a tenant's summary,
and the per-customer predictions (P(alive), expected purchases, expected order value, CLV)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from customers.analytics import bgnbd, gamma_gamma
from customers.analytics.summary import (
    DAYS_PER_WEEK,
    OrderDays,
    PurchaseSummary,
    holdout_purchases,
    purchase_summary,
)

HORIZON_MONTHS = 12
WEEKS_PER_MONTH = 365.25 / 12 / DAYS_PER_WEEK


@dataclass
class ClvModel:
    """The fitted models. `gamma_gamma` is None when only the purchase model could be fitted
    (`spend_error` says why): P(alive) and expected purchases exist, order value and CLV not."""

    bgnbd: bgnbd.BgNbd
    gamma_gamma: gamma_gamma.GammaGamma | None
    customers: int
    holdout: dict[str, float] | None = None
    spend_error: str = ""

    def as_dict(self) -> dict:
        spend = self.gamma_gamma
        return {
            "customers": self.customers,
            "bgnbd": {k: float(v) for k, v in self.bgnbd.as_dict().items()},
            "gamma_gamma": {k: float(v) for k, v in spend.as_dict().items()} if spend else None,
            "holdout": self.holdout,
        }


def clv_fit(
    *,
    days: OrderDays,
    end: date,
    holdout_end: date | None = None,
    require_spend: bool = True,
) -> ClvModel:
    """Fit both models on the purchases up to `end`; with `holdout_end`, compare the repeat
    purchases after `end` up to `holdout_end` with what the model predicts for that span.
    Raises `bgnbd.FitError` when the data cannot support a fit; with `require_spend=False`
    a Gamma-Gamma failure only leaves the spend model out (`ClvModel.spend_error`)."""
    if holdout_end is not None and holdout_end <= end:
        raise bgnbd.FitError("The holdout must end after the calibration end.")
    summary = purchase_summary(days, end.toordinal())
    x, t_x, T, m_x = summary.fit_arrays()  # noqa: N806
    purchase_model = bgnbd.fit(x, t_x, T)
    spend_model, spend_error = None, ""
    try:
        spend_model = gamma_gamma.fit(x, m_x)
    except bgnbd.FitError as exc:
        if require_spend:
            raise
        spend_error = str(exc)
    holdout = None
    if holdout_end is not None:
        actual = holdout_purchases(days, end.toordinal() + 1, holdout_end.toordinal())
        span = (holdout_end - end).days / DAYS_PER_WEEK
        keep = summary.has_purchase & (summary.T > 0)
        predicted = purchase_model.expected_purchases(span, x, t_x, T)
        holdout = {
            "actual": int(actual[keep].sum()),
            "predicted": round(float(predicted.sum()), 2),
        }
    return ClvModel(
        purchase_model, spend_model, customers=len(x), holdout=holdout, spend_error=spend_error
    )


@dataclass
class ClvPrediction:
    p_alive: np.ndarray
    expected_purchases_12m: np.ndarray
    expected_aov: np.ndarray
    clv_12m: np.ndarray


def clv_predict(model: ClvModel, summary: PurchaseSummary, discount_rate: float) -> ClvPrediction:
    """Per customer (nan for customers without a purchase; a customer whose first purchase
    is on the as-of day has T = 0 and gets the predictions of a fresh customer). CLV over the
    next 12 months: the expected purchases of each coming month times the expected order
    value, discounted monthly at the annual `discount_rate` (the tenant's
    `clv_discount_rate`); revenue, not margin."""
    n = len(summary.x)
    out = {name: np.full(n, np.nan) for name in ClvPrediction.__annotations__}
    keep = summary.has_purchase
    x, t_x, T = summary.x[keep], summary.t_x[keep], summary.T[keep]  # noqa: N806
    purchases = model.bgnbd
    out["p_alive"][keep] = purchases.p_alive(x, t_x, T)
    cumulative = np.stack(
        [
            purchases.expected_purchases(k * WEEKS_PER_MONTH, x, t_x, T)
            for k in range(1, HORIZON_MONTHS + 1)
        ]
    )
    out["expected_purchases_12m"][keep] = cumulative[-1]
    if model.gamma_gamma is None:
        return ClvPrediction(**out)
    aov = model.gamma_gamma.expected_value(x, summary.m_x[keep])
    out["expected_aov"][keep] = aov
    monthly = np.diff(cumulative, axis=0, prepend=0.0)
    discount = (1 + discount_rate) ** (-np.arange(1, HORIZON_MONTHS + 1) / HORIZON_MONTHS)
    out["clv_12m"][keep] = np.sum(discount[:, None] * monthly, axis=0) * aov
    return ClvPrediction(**out)
