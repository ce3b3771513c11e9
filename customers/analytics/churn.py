"""Churn by the inter-purchase rule of DESIGN.md, and the new / existing / churning split.

A customer's purchase days are the local days with a non-return order. Their threshold is
k × the median gap between consecutive purchase days (k = the tenant's `churn_k`), or 365
days with fewer than 3 purchase days; they have churned once their silence exceeds it.
"""

from __future__ import annotations

import numpy as np

from customers.analytics.summary import PurchaseSummary

SHORT_HISTORY_DAYS = 365
MIN_DAYS_FOR_RHYTHM = 3


def churn_thresholds(customer: np.ndarray, day: np.ndarray, n: int, k: float) -> np.ndarray:
    """Threshold in days per customer from purchase days sorted by customer and day
    (nan for customers without a purchase)."""
    count = np.bincount(customer, minlength=n)
    same = customer[1:] == customer[:-1]
    gap_customer = customer[1:][same]
    gaps = (day[1:] - day[:-1])[same]
    order = np.lexsort((gaps, gap_customer))
    gap_customer, gaps = gap_customer[order], gaps[order]
    gap_count = np.bincount(gap_customer, minlength=n)
    offset = np.concatenate([[0], np.cumsum(gap_count)[:-1]])
    has_gaps = gap_count > 0
    lower = offset + (gap_count - 1) // 2
    upper = offset + gap_count // 2
    median = np.full(n, np.nan)
    if len(gaps):
        median[has_gaps] = (gaps[lower[has_gaps]] + gaps[upper[has_gaps]]) / 2
    threshold = np.where(count >= MIN_DAYS_FOR_RHYTHM, k * median, float(SHORT_HISTORY_DAYS))
    return np.where(count > 0, threshold, np.nan)


def churned(summary: PurchaseSummary, threshold: np.ndarray, as_of: int) -> np.ndarray:
    """Silent for more than the threshold (rounded down) on `as_of`."""
    silence = as_of - summary.last_day
    with np.errstate(invalid="ignore"):
        return summary.has_purchase & (silence > np.floor(np.nan_to_num(threshold, nan=np.inf)))


def churn_risk(p_alive: np.ndarray, is_churned: np.ndarray) -> np.ndarray:
    """1 − P(alive); 1 for a customer the inter-purchase rule already counts as churned."""
    return np.where(is_churned, 1.0, 1.0 - p_alive)


def lifecycle(
    summary: PurchaseSummary, is_churned: np.ndarray, period_first: int, active_since: int
) -> np.ndarray:
    """Per customer for the period starting `period_first` (ordinals), seen at its end:
    `new` (first purchase day in the period), `churning` (not new, still active — a purchase
    on or after `active_since`, the start of the trailing 12 months — but churned by the rule),
    `existing` (active, not new, not churning), `lapsed` (bought before, no longer active),
    "" (never bought)."""
    has = summary.has_purchase
    new = has & (summary.first_day >= period_first)
    active = has & (summary.last_day >= active_since)
    churning = active & ~new & is_churned
    existing = active & ~new & ~churning
    out = np.full(len(has), "", dtype=object)
    out[has & ~active] = "lapsed"
    out[existing] = "existing"
    out[churning] = "churning"
    out[new] = "new"
    return out
