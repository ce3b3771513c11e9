"""Signals: customers that need a look, refreshed nightly (docs/metrics.md, "Signals").

All are computed from the order-day arrays (`summary.OrderDays`) plus two grouped queries
(last contact moment per customer, web-influenced offline orders).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

import numpy as np
from django.db.models import Count, Exists, ExpressionWrapper, FloatField, Max, OuterRef, Sum
from django.db.models import DateTimeField as DateTimeFieldType
from django.db.models.functions import Cast

from customers.analytics.summary import OrderDays
from customers.models import ContactMoment, Order, Signal, WebActivity
from kpis.periods import local_midnight
from portal.models import Tenant

TOP_N = 10
RECENT_DAYS = 90  # "lately": returns-only, not visited, online drop, web-influenced
ONLINE_DROP_MIN_ORDERS = 3  # the earlier window needs at least this many online orders
ONLINE_DROP_SHARE = 0.5  # "fell sharply": now at most half of the same window a year earlier


def year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def fiscal_year_start(day: date, start_month: int) -> date:
    year = day.year if day.month >= start_month else day.year - 1
    return date(year, start_month, 1)


def _ranking(revenue: np.ndarray) -> dict[int, tuple[int, float]]:
    """Top-N customers by revenue (positive only): {customer index: (rank, revenue)}."""
    candidates = np.flatnonzero(revenue > 0)
    order = candidates[np.lexsort((candidates, -revenue[candidates]))][:TOP_N]
    return {int(c): (rank, float(revenue[c])) for rank, c in enumerate(order, start=1)}


def top_online_changes(days: OrderDays, *, as_of: date, fiscal_start_month: int = 1):
    """Top-10 by online net revenue this (fiscal) year to date vs the same span last year:
    [(kind, customer index, details)] for risers, fallers, new entries and drop-outs."""
    start = fiscal_year_start(as_of, fiscal_start_month)
    online = days.online
    now = days.per_customer(days.amount, online & days.window(start.toordinal(), as_of.toordinal()))
    before = days.per_customer(
        days.amount,
        online & days.window(year_earlier(start).toordinal(), year_earlier(as_of).toordinal()),
    )
    this_year, last_year = _ranking(now), _ranking(before)
    out = []
    for c, (rank, revenue) in this_year.items():
        details = {"rank": rank, "revenue": round(revenue, 2)}
        if c not in last_year:
            out.append(
                (
                    Signal.Kind.TOP_NEW,
                    c,
                    details | {"last_year_revenue": round(float(before[c]), 2)},
                )
            )
            continue
        last_rank, last_revenue = last_year[c]
        details |= {"last_year_rank": last_rank, "last_year_revenue": round(last_revenue, 2)}
        if rank < last_rank:
            out.append((Signal.Kind.TOP_RISER, c, details))
        elif rank > last_rank:
            out.append((Signal.Kind.TOP_FALLER, c, details))
    for c, (last_rank, last_revenue) in last_year.items():
        if c not in this_year:
            details = {
                "last_year_rank": last_rank,
                "last_year_revenue": round(last_revenue, 2),
                "revenue": round(float(now[c]), 2),
            }
            out.append((Signal.Kind.TOP_DROPOUT, c, details))
    return out


def returns_only(days: OrderDays, *, as_of: date) -> np.ndarray:
    """Customers whose orders in the last 90 days are all returns (at least one)."""
    recent = days.window(as_of.toordinal() - RECENT_DAYS + 1, as_of.toordinal())
    returns = days.per_customer(days.orders.astype(float), recent & days.is_return)
    orders = days.per_customer(days.orders.astype(float), recent & ~days.is_return)
    return (returns > 0) & (orders == 0)


def online_drop(days: OrderDays, *, as_of: date) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Online non-return orders in the last 90 days against the same 90 days a year earlier;
    (flag, orders now, orders a year earlier)."""
    counts = days.orders.astype(float)
    online = days.online & ~days.is_return
    end = as_of.toordinal()
    now = days.per_customer(counts, online & days.window(end - RECENT_DAYS + 1, end))
    end_before = year_earlier(as_of).toordinal()
    before = days.per_customer(
        counts, online & days.window(end_before - RECENT_DAYS + 1, end_before)
    )
    flag = (before >= ONLINE_DROP_MIN_ORDERS) & (now <= ONLINE_DROP_SHARE * before)
    return flag, now, before


def last_contact_days(*, tenant: Tenant, customer_ids: np.ndarray, as_of: date) -> np.ndarray:
    """Ordinal of the last contact moment (visit, call, meeting) per customer; -1 for none."""
    out = np.full(len(customer_ids), -1, dtype=np.int64)
    rows = (
        ContactMoment.objects.filter(tenant=tenant, occurred_on__lte=as_of)
        .order_by()
        .values_list("customer_id")
        .annotate(last=Max("occurred_on"))
    )
    rows = list(rows)
    position, found = _positions(customer_ids, [customer_id for customer_id, _ in rows])
    out[position[found]] = np.array([last.toordinal() for _, last in rows], dtype=np.int64)[found]
    return out


def _positions(customer_ids: np.ndarray, wanted: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Index of each wanted id in the sorted `customer_ids`, and whether it is there."""
    wanted_ids = np.array(wanted, dtype=np.int64)
    position = np.searchsorted(customer_ids, wanted_ids)
    position = np.minimum(position, max(len(customer_ids) - 1, 0))
    found = (
        customer_ids[position] == wanted_ids
        if len(customer_ids)
        else np.zeros(len(wanted_ids), dtype=bool)
    )
    return position, found


def web_influenced_orders(
    *, tenant: Tenant, customer_ids: np.ndarray, as_of: date
) -> tuple[np.ndarray, np.ndarray]:
    """Offline non-return orders of the last 90 days placed within the tenant's web-influence
    window after a web session of the same customer: (orders, amount) per customer."""
    tz = tenant.tzinfo
    window = timedelta(days=tenant.web_influence_days)
    session = WebActivity.objects.filter(
        tenant=tenant,
        customer_id=OuterRef("customer_id"),
        kind=WebActivity.Kind.SESSION,
        occurred_at__lte=OuterRef("placed_at"),
        occurred_at__gte=ExpressionWrapper(
            OuterRef("placed_at") - window, output_field=DateTimeFieldType()
        ),
    )
    rows = (
        Order.objects.filter(
            tenant=tenant,
            channel__is_online=False,
            is_return=False,
            placed_at__gte=local_midnight(as_of - timedelta(RECENT_DAYS - 1), tz),
            placed_at__lt=local_midnight(as_of + timedelta(1), tz),
        )
        .filter(Exists(session))
        .order_by()
        .values_list("customer_id")
        .annotate(n=Count("id"), total=Cast(Sum("amount"), FloatField()))
    )
    orders = np.zeros(len(customer_ids))
    amount = np.zeros(len(customer_ids))
    rows = list(rows)
    position, found = _positions(customer_ids, [customer_id for customer_id, _, _ in rows])
    orders[position[found]] = np.array([n for _, n, _ in rows], dtype=float)[found]
    amount[position[found]] = np.array([t or 0.0 for _, _, t in rows], dtype=float)[found]
    return orders, amount


class SignalRow(NamedTuple):
    kind: str
    customer_id: int
    details: dict


def signals_build(
    *, tenant: Tenant, days: OrderDays, koesterklant: np.ndarray, as_of: date
) -> list[SignalRow]:
    """Every signal as rows to store (customers/analytics/scoring.py writes them)."""
    ids = days.customer_ids
    rows: list[SignalRow] = []

    def add(kind, c, details):
        rows.append(SignalRow(str(kind), int(ids[c]), details))

    for kind, c, details in top_online_changes(
        days, as_of=as_of, fiscal_start_month=tenant.fiscal_year_start_month
    ):
        add(kind, c, details)
    for c in np.flatnonzero(returns_only(days, as_of=as_of)):
        add(Signal.Kind.RETURNS_ONLY, c, {})
    last_contact = last_contact_days(tenant=tenant, customer_ids=ids, as_of=as_of)
    unvisited = koesterklant & (last_contact < as_of.toordinal() - RECENT_DAYS + 1)
    for c in np.flatnonzero(unvisited):
        last = int(last_contact[c])
        add(
            Signal.Kind.KOESTER_UNVISITED,
            c,
            {"last_contact": date.fromordinal(last).isoformat() if last > 0 else None},
        )
    flag, now, before = online_drop(days, as_of=as_of)
    for c in np.flatnonzero(flag):
        add(
            Signal.Kind.ONLINE_DROP,
            c,
            {"online_orders": int(now[c]), "year_earlier": int(before[c])},
        )
    orders, amount = web_influenced_orders(tenant=tenant, customer_ids=ids, as_of=as_of)
    for c in np.flatnonzero(orders > 0):
        add(
            Signal.Kind.WEB_INFLUENCED,
            c,
            {"orders": int(orders[c]), "amount": round(float(amount[c]), 2)},
        )
    return rows
