"""Revenue, orders, order value, returns and channel mix."""

from __future__ import annotations

import numpy as np
from django.utils.translation import gettext_lazy as _

from kpis.metrics.facts import Facts, as_lists, ratio
from kpis.metrics.registry import metric


def _net(facts: Facts, online: int | None = None) -> np.ndarray:
    gross, returns = facts.arrays["gross"], facts.arrays["returns"]
    if online is None:
        return (gross - returns).sum(axis=0)
    return gross[online] - returns[online]


def _sum(facts: Facts, name: str, online: int | None = None) -> np.ndarray:
    array = facts.arrays[name]
    return array.sum(axis=0) if online is None else array[online]


def scoped(facts: Facts, name: str, online: int | None = None):
    """Per scope member and period: the sum of the customer x month fact `name` ("net" for
    gross - returns), all channels or online (1) only; computed once per run and name."""
    if name == "net":
        return facts.scope_sums(f"net:{online}", lambda: _net(facts, online))
    return facts.scope_sums(f"{name}:{online}", lambda: _sum(facts, name, online))


@metric("revenue", label=_("Revenue (net)"), unit="currency", additive=True)
def revenue(facts: Facts):
    """Net revenue: all orders' amounts with returns as negative amounts, in the period."""
    return as_lists(scoped(facts, "net"))


@metric("gross_revenue", label=_("Gross revenue"), unit="currency", additive=True)
def gross_revenue(facts: Facts):
    """Gross revenue: amounts of non-return orders only."""
    return as_lists(scoped(facts, "gross"))


@metric(
    "returns_amount", label=_("Returned value"), unit="currency", direction="down", additive=True
)
def returns_amount(facts: Facts):
    """Value of returns in the period, as a positive number."""
    return as_lists(scoped(facts, "returns"))


@metric("online_revenue", label=_("Online revenue (net)"), unit="currency", additive=True)
def online_revenue(facts: Facts):
    """Net revenue of orders and returns through online channels (web, app, EDI, s2s by default)."""
    return as_lists(scoped(facts, "net", online=1))


@metric("ecommerce_share", label=_("E-commerce share"), unit="percent")
def ecommerce_share(facts: Facts):
    """Online net revenue / total net revenue x 100."""
    online = scoped(facts, "net", online=1)
    total = scoped(facts, "net")
    return ratio(online, total, 100)


@metric("orders", label=_("Orders"), unit="count", additive=True)
def orders(facts: Facts):
    """Number of non-return orders."""
    return as_lists(scoped(facts, "orders"))


@metric("online_orders", label=_("Online orders"), unit="count", additive=True)
def online_orders(facts: Facts):
    """Number of non-return orders through online channels."""
    return as_lists(scoped(facts, "orders", online=1))


@metric("aov", label=_("Average order value"), unit="currency")
def aov(facts: Facts):
    """Gross revenue / orders."""
    gross = scoped(facts, "gross")
    count = scoped(facts, "orders")
    return ratio(gross, count)


@metric("online_aov", label=_("Online average order value"), unit="currency")
def online_aov(facts: Facts):
    """Online gross revenue / online orders."""
    gross = scoped(facts, "gross", online=1)
    count = scoped(facts, "orders", online=1)
    return ratio(gross, count)


@metric("order_frequency", label=_("Orders per ordering customer"), unit="ratio")
def order_frequency(facts: Facts):
    """Non-return orders in the period / customers with at least one non-return order in it."""
    ordering = (facts.sum_over_periods(_sum(facts, "orders")) > 0).astype(float)
    return ratio(scoped(facts, "orders"), facts.by_scope(ordering))


@metric("returns_rate", label=_("Returns rate"), unit="percent", direction="down")
def returns_rate(facts: Facts):
    """Returned value / gross revenue x 100."""
    returned = scoped(facts, "returns")
    gross = scoped(facts, "gross")
    return ratio(returned, gross, 100)


def _per_channel(facts: Facts, name: str):
    monthly = facts.arrays[name]
    per_period = facts.sum_over_periods(monthly)
    return {
        ("channel", code): [float(v) for v in per_period[k]]
        for k, code in enumerate(facts.extra["channel_codes"])
    }


@metric(
    "revenue_by_channel",
    label=_("Revenue per channel"),
    unit="currency",
    additive=True,
    scopes=("channel",),
    needs=("channels",),
)
def revenue_by_channel(facts: Facts):
    """Net revenue per channel (company-wide; the scope member is the channel code)."""
    return _per_channel(facts, "channel_revenue")


@metric(
    "orders_by_channel",
    label=_("Orders per channel"),
    unit="count",
    additive=True,
    scopes=("channel",),
    needs=("channels",),
)
def orders_by_channel(facts: Facts):
    """Non-return orders per channel (company-wide; the scope member is the channel code)."""
    return _per_channel(facts, "channel_orders")
