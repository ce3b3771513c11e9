"""Customer counts: active, online adoption, new / existing / churned, wallet, returns-only,
koesterklanten."""

from __future__ import annotations

import math

import numpy as np
from django.utils.translation import gettext_lazy as _

from kpis.metrics.facts import Facts, as_lists, last_pair_at_or_before, merge_slots, ratio
from kpis.metrics.registry import metric

RETURNS_ONLY_DAYS = 90
KOESTER_SHARE = 0.10
SHORT_HISTORY_CHURN_DAYS = 365


def _trailing(facts: Facts, name: str, online: int | None = None) -> np.ndarray:
    """Trailing-12-month sums of a customer x month fact (computed once per run: monthly
    sums do not depend on the grain; callers must not modify the result)."""

    def compute():
        array = facts.arrays[name]
        monthly = array.sum(axis=0) if online is None else array[online]
        return facts.trailing(monthly)

    return facts.extra_cached(f"trailing:{name}:{online}", compute)


def active_matrix(facts: Facts) -> np.ndarray:
    """(C, P): 1 where the customer had a non-return order in the 12 months up to period end."""
    return facts.cached(
        "active", lambda: facts.at_period_end((_trailing(facts, "orders") > 0).astype(float))
    )


def online_adopter_matrix(facts: Facts) -> np.ndarray:
    """(C, P): active and at least one online non-return order in the trailing 12 months."""

    def compute():
        online = facts.at_period_end((_trailing(facts, "orders", online=1) > 0).astype(float))
        return online * active_matrix(facts)

    return facts.cached("online_adopter", compute)


def _trailing_net(facts: Facts) -> np.ndarray:
    """Trailing-12-month net revenue per customer and month (once per run)."""
    return facts.extra_cached(
        "trailing:net",
        lambda: facts.trailing((facts.arrays["gross"] - facts.arrays["returns"]).sum(axis=0)),
    )


@metric("active_customers", label=_("Active customers"), unit="count")
def active_customers(facts: Facts):
    """Customers with at least one non-return order in the trailing 12 months up to the
    period's end (the 12 calendar months ending with the period's last month)."""
    return as_lists(facts.by_scope(active_matrix(facts)))


@metric("online_adoption", label=_("Online adoption"), unit="percent")
def online_adoption(facts: Facts):
    """Share of active customers with at least one online order in the trailing 12 months x 100."""
    return ratio(
        facts.by_scope(online_adopter_matrix(facts)), facts.by_scope(active_matrix(facts)), 100
    )


@metric("online_adoption_revenue", label=_("Online adoption (revenue-weighted)"), unit="percent")
def online_adoption_revenue(facts: Facts):
    """Trailing-12-month net revenue of online-adopting active customers / that of all active
    customers x 100."""
    net = facts.at_period_end(_trailing_net(facts))
    active = active_matrix(facts)
    adopters = online_adopter_matrix(facts)
    return ratio(facts.by_scope(net * adopters), facts.by_scope(net * active), 100)


def _first_order_period(facts: Facts) -> np.ndarray:
    """(C, P): 1 where the customer's first non-return order falls in the period."""
    first = facts.arrays["first_order_day"]
    out = np.zeros((facts.n_customers, facts.n_periods))
    for p, (start, end) in enumerate(facts.period_days):
        out[:, p] = (first >= start) & (first <= end)
    return out


@metric("new_customers", label=_("New customers"), unit="count", additive=True)
def new_customers(facts: Facts):
    """Customers whose first non-return order (ever) falls in the period."""
    return as_lists(facts.by_scope(_first_order_period(facts)))


@metric("existing_customers", label=_("Existing customers"), unit="count")
def existing_customers(facts: Facts):
    """Active customers at the period's end that are not new in the period."""
    existing = active_matrix(facts) * (1 - _first_order_period(facts))
    return as_lists(facts.by_scope(existing))


def churn_threshold_days(days: np.ndarray, k: float) -> float:
    """k x the median gap between a customer's order days; 365 days with fewer than 3 orders."""
    if len(days) < 3:
        return SHORT_HISTORY_CHURN_DAYS
    return k * float(np.median(np.diff(days)))


def closed_gaps(customers: np.ndarray, days: np.ndarray, before: int) -> np.ndarray | None:
    """The gaps between consecutive order days of a customer that end before the day
    `before`, packed as customer << 24 | gap and sorted (what churn_events sorts); None when a
    gap does not fit."""
    same_next = (customers[1:] == customers[:-1]) & (days[1:] < before)
    gaps = (days[1:] - days[:-1])[same_next]
    if len(gaps) and int(gaps.max()) >= 2**24:
        return None
    return np.sort((customers[:-1][same_next].astype(np.int64) << 24) | gaps.astype(np.int64))


def churn_events(facts: Facts) -> tuple[np.ndarray, np.ndarray]:
    """(customer index, churn day) for every churn: the day after last order + threshold, for
    an order day not followed by another within the customer's threshold (see
    churn_threshold_days, computed for all customers at once), up to the as-of date."""

    def compute():
        customers, days = facts.extra["order_days"]
        n_customers = facts.n_customers
        k = float(getattr(facts.tenant, "churn_k", 2.5))
        if not len(days):
            return customers, days
        same_next = customers[1:] == customers[:-1]
        gap_after = np.full(len(days), np.inf)
        gap_after[:-1] = np.where(same_next, days[1:] - days[:-1], np.inf)
        gaps = (days[1:] - days[:-1])[same_next]
        gap_customers = customers[:-1][same_next]
        # Each customer's gaps in order: one sort of (customer, gap) packed into an integer
        # (gaps are days, below 2**24), twice as fast as lexsort.
        if len(gaps) and int(gaps.max()) < 2**24 and n_customers < 2**38:
            packed = (gap_customers.astype(np.int64) << 24) | gaps.astype(np.int64)
            closed = facts.extra.get("closed_gaps")  # from the facts snapshot, sorted
            if closed is not None:
                # Only the gaps ending from the snapshot's boundary on are new: sorted and
                # merged into the stored ones (the same sorted list, without the big sort).
                ends = days[1:][same_next]
                new = np.sort(packed[ends >= facts.extra["gaps_from"]])
                at, of_closed = merge_slots(closed, new)
                packed = np.empty(len(closed) + len(new), dtype=np.int64)
                packed[at], packed[of_closed] = new, closed
            else:
                packed = np.sort(packed)
            gaps, gap_customers = packed & (2**24 - 1), packed >> 24
        else:
            order = np.lexsort((gaps, gap_customers))
            gaps, gap_customers = gaps[order], gap_customers[order]
        gap_count = np.bincount(gap_customers, minlength=n_customers)
        gap_start = np.concatenate([[0], np.cumsum(gap_count)[:-1]])
        has = gap_count > 0
        median = np.zeros(n_customers)
        low = (gap_start + (gap_count - 1) // 2)[has]
        high = (gap_start + gap_count // 2)[has]
        median[has] = (gaps[low] + gaps[high]) / 2
        day_count = np.bincount(customers, minlength=n_customers)
        threshold = np.where(day_count >= 3, k * median, float(SHORT_HISTORY_CHURN_DAYS))
        limit = threshold[customers]
        churn_day = days + np.floor(limit).astype(np.int64) + 1
        keep = (gap_after > limit) & (churn_day <= facts.as_of.toordinal())
        return customers[keep], churn_day[keep]

    return facts.extra_cached("churn_events", compute)


def churn_matrix(facts: Facts) -> np.ndarray:
    """(C, P): 1 where the customer churned during the period.

    A customer churns on the day their silence exceeds their threshold: the day after
    last order + threshold, for an order not followed by another within the threshold.
    The threshold uses the customer's order days up to the as-of date.
    """

    def compute():
        customers, churn_days = churn_events(facts)
        out = np.zeros((facts.n_customers, facts.n_periods))
        for p, (start, end) in enumerate(facts.period_days):
            out[customers[(churn_days >= start) & (churn_days <= end)], p] = 1
        return out

    return facts.cached("churn_matrix", compute)


@metric(
    "churned_customers",
    label=_("Churned customers"),
    unit="count",
    direction="down",
    additive=True,
    needs=("orders", "days"),
)
def churned_customers(facts: Facts):
    """Customers who churned in the period: their time without a non-return order passed
    k x their own median inter-purchase time (k per tenant, default 2.5), or 365 days for
    customers with fewer than 3 order days."""
    return as_lists(facts.by_scope(churn_matrix(facts)))


@metric(
    "churn_rate", label=_("Churn rate"), unit="percent", direction="down", needs=("orders", "days")
)
def churn_rate(facts: Facts):
    """Churned customers in the period / customers active at the start of the period x 100
    (active at the end of the month before it). A customer who churns in the period without
    being active at its start (a long threshold, or a last order just outside the 12-month
    window) is counted in the base as well, so the rate stays within 0-100."""
    active_month = (_trailing(facts, "orders") > 0).astype(float)
    before = active_month[:, [first - 1 for first, _ in facts.period_months]]
    churned = churn_matrix(facts)
    return ratio(facts.by_scope(churned), facts.by_scope(np.maximum(before, churned)), 100)


@metric("share_of_wallet", label=_("Share of wallet"), unit="percent")
def share_of_wallet(facts: Facts):
    """For active customers with a known estimated annual wallet: trailing-12-month net revenue
    / estimated wallet x 100 (summed over the customers of the scope)."""
    wallet = np.nan_to_num(facts.arrays["wallet"], nan=0.0)
    known = (wallet > 0).astype(float)[:, None]
    net = facts.at_period_end(_trailing_net(facts))
    active = active_matrix(facts) * known
    return ratio(facts.by_scope(net * active), facts.by_scope(wallet[:, None] * active), 100)


@metric(
    "returns_only_customers",
    label=_("Customers only returning"),
    unit="count",
    direction="down",
    needs=("orders", "days"),
)
def returns_only_customers(facts: Facts):
    """Customers whose orders in the 90 days up to the period's end are all returns (at least one)."""
    ends = np.array([end for _start, end in facts.period_days], dtype=np.int64)
    returned = _last_day_at_or_before(facts, "return_days", ends) > ends - RETURNS_ONLY_DAYS
    ordered = _last_day_at_or_before(facts, "order_days", ends) > ends - RETURNS_ONLY_DAYS
    return as_lists(facts.by_scope((returned & ~ordered).astype(float)))


def _last_day_at_or_before(facts: Facts, name: str, ends: np.ndarray) -> np.ndarray:
    """(C, P): each customer's last day of extra[name] (distinct (customer, day) pairs,
    sorted) at or before each period end; -1 when none. One binary search for all customers
    and periods at once."""
    customers, days = facts.extra[name]
    q_customers = np.repeat(np.arange(facts.n_customers, dtype=np.int64), len(ends))
    q_ends = np.tile(ends, facts.n_customers)
    position = last_pair_at_or_before(customers, days, q_customers, q_ends)
    last = np.where(position >= 0, days[np.maximum(position, 0)], -1) if len(days) else position
    return last.reshape(facts.n_customers, len(ends))


def koesterklant_matrix(facts: Facts) -> np.ndarray:
    """(C, P): 1 for the top decile of customers by trailing-12-month online net revenue
    (among customers with positive online revenue; ties at the boundary included)."""
    online = facts.extra_cached(
        "trailing:online_net",
        lambda: facts.trailing(facts.arrays["gross"][1] - facts.arrays["returns"][1]),
    )
    trailing = facts.at_period_end(online)
    out = np.zeros_like(trailing)
    for p in range(facts.n_periods):
        values = trailing[:, p]
        positive = values[values > 0]
        if positive.size == 0:
            continue
        top = math.ceil(positive.size * KOESTER_SHARE)
        # The top-th largest value (what a full sort would give, without the sort).
        threshold = np.partition(positive, positive.size - top)[positive.size - top]
        out[:, p] = values >= threshold
    return out


@metric("koesterklanten", label=_("Koesterklanten"), unit="count")
def koesterklanten(facts: Facts):
    """Customers in the top 10% by trailing-12-month online net revenue (company-wide ranking,
    counted per scope)."""
    return as_lists(facts.by_scope(koesterklant_matrix(facts)))
