"""Per-customer order history in arrays, from one read of the orders.

`order_days_load` reads the orders of a tenant and groups them by customer × local day ×
online × return (sum of amounts, count), so everything downstream — the BG/NBD summary, RFM,
churn, signals — is array arithmetic. Days are local dates of the tenant (date ordinals).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.db import connection
from django.db.models import FloatField
from django.db.models.functions import Cast

from customers.models import Channel, Customer, Order
from kpis.periods import local_midnight
from portal.models import Tenant

DAYS_PER_WEEK = 7.0


@dataclass
class OrderDays:
    """Rows per customer × day × online × return, sorted by customer and day."""

    customer_ids: np.ndarray  # all customers of the tenant, sorted
    wallet: np.ndarray  # estimated annual wallet per customer (nan: unknown)
    customer: np.ndarray  # index into customer_ids per row
    day: np.ndarray  # local date ordinal per row
    online: np.ndarray  # bool
    is_return: np.ndarray  # bool
    amount: np.ndarray  # sum of amounts (returns negative)
    orders: np.ndarray  # number of orders

    @property
    def n_customers(self) -> int:
        return len(self.customer_ids)

    def where(self, mask: np.ndarray) -> OrderDays:
        return OrderDays(
            self.customer_ids,
            self.wallet,
            self.customer[mask],
            self.day[mask],
            self.online[mask],
            self.is_return[mask],
            self.amount[mask],
            self.orders[mask],
        )

    def per_customer(self, values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """Sum `values` per customer over the rows in `mask`."""
        if mask is None:
            return np.bincount(self.customer, weights=values, minlength=self.n_customers)
        return np.bincount(self.customer[mask], weights=values[mask], minlength=self.n_customers)

    def window(self, first: int, last: int) -> np.ndarray:
        """Rows with a day in [first, last] (ordinals)."""
        return (self.day >= first) & (self.day <= last)


EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_MICROS = 1_000_000
_BUCKET_SECONDS = 900  # time-zone transitions fall on whole quarter hours (UTC)
_PG_EPOCH_SHIFT = 946_684_800 * _MICROS  # PostgreSQL stores µs since 2000-01-01 UTC
# One row of `COPY (SELECT customer_id, placed_at, channel_id, is_return, amount::float8)
# TO STDOUT (FORMAT binary)`: a field count, then per field its length and big-endian value.
_PG_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("customer_len", ">i4"),
        ("customer", ">i8"),
        ("placed_len", ">i4"),
        ("placed", ">i8"),
        ("channel_len", ">i4"),
        ("channel", ">i8"),
        ("return_len", ">i4"),
        ("is_return", "?"),
        ("amount_len", ">i4"),
        ("amount", ">f8"),
    ]
)
_PG_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"


def local_day_ordinals(micros: np.ndarray, tz: ZoneInfo) -> np.ndarray:
    """UTC timestamps (µs since 1970) to the date ordinals of their local day in `tz`.
    The UTC offset is looked up once per distinct quarter hour, not once per order."""
    seconds = np.floor_divide(micros, _MICROS)
    buckets, inverse = np.unique(seconds // _BUCKET_SECONDS, return_inverse=True)
    offsets = np.array(
        [
            datetime.fromtimestamp(int(b) * _BUCKET_SECONDS, tz).utcoffset().total_seconds()
            for b in buckets
        ],
        dtype=np.int64,
    )
    local = seconds + offsets[inverse.reshape(-1)]
    return np.floor_divide(local, 86_400) + EPOCH_ORDINAL


def _orders_postgres(*, tenant: Tenant, before: datetime) -> dict[str, np.ndarray]:
    """The tenant's orders as arrays through one binary COPY (no per-row Python objects)."""
    sql = (
        "COPY (SELECT customer_id, placed_at, channel_id, is_return, amount::float8 "
        "FROM customers_order WHERE tenant_id = %s AND placed_at < %s) TO STDOUT (FORMAT binary)"
    )
    data = bytearray()
    with connection.cursor() as cursor, cursor.cursor.copy(sql, [tenant.pk, before]) as copy:
        for chunk in copy:
            data += chunk
    if not data.startswith(_PG_SIGNATURE):
        raise RuntimeError("Unexpected COPY output from PostgreSQL.")
    extension = int.from_bytes(data[15:19], "big")
    body = memoryview(data)[19 + extension : -2]  # the trailer is a field count of -1
    rows = np.frombuffer(body, dtype=_PG_ROW)
    return {
        "customer": rows["customer"].astype(np.int64),
        "micros": rows["placed"].astype(np.int64) + _PG_EPOCH_SHIFT,
        "channel": rows["channel"].astype(np.int64),
        "is_return": rows["is_return"].astype(bool),
        "amount": rows["amount"].astype(float),
    }


def _orders_generic(*, tenant: Tenant, before: datetime) -> dict[str, np.ndarray]:
    """The same arrays through the ORM (SQLite and other databases)."""
    rows = list(
        Order.objects.filter(tenant=tenant, placed_at__lt=before)
        .order_by()
        .values_list("customer_id", "placed_at", "channel_id", "is_return", "amount")
    )
    columns = list(zip(*rows, strict=True)) if rows else [()] * 5
    return {
        "customer": np.array(columns[0], dtype=np.int64),
        "micros": np.array(
            [round(placed.timestamp() * _MICROS) for placed in columns[1]], dtype=np.int64
        ),
        "channel": np.array(columns[2], dtype=np.int64),
        "is_return": np.array(columns[3], dtype=bool),
        "amount": np.array([float(a) for a in columns[4]], dtype=float),
    }


def order_days_load(*, tenant: Tenant, until: date) -> OrderDays:
    """Every order up to and including the local day `until`, grouped by customer × local day
    × online × return. Three queries (customers, channels, orders); the orders come raw and
    are grouped here: on PostgreSQL by one binary COPY, which costs about two scans of the
    orders, where a GROUP BY on the local day costs six to ten (time-zone arithmetic per row)."""
    tz = tenant.tzinfo
    customers = list(
        Customer.objects.filter(tenant=tenant)
        .order_by("id")
        .values_list("id", Cast("estimated_wallet", FloatField()))
    )
    customer_ids = np.array([c for c, _ in customers], dtype=np.int64)
    wallet = np.array([np.nan if w is None else w for _, w in customers], dtype=float)
    online_channels = np.array(
        list(Channel.objects.filter(tenant=tenant, is_online=True).values_list("id", flat=True)),
        dtype=np.int64,
    )
    before = local_midnight(until + timedelta(1), tz)
    load = _orders_postgres if connection.vendor == "postgresql" else _orders_generic
    raw = load(tenant=tenant, before=before)
    position = np.searchsorted(customer_ids, raw["customer"])
    day = local_day_ordinals(raw["micros"], tz)
    online = np.isin(raw["channel"], online_channels)
    # One sortable integer per row: customer, day, online, return.
    first_day = int(day.min()) if len(day) else 0
    span = int(day.max()) - first_day + 1 if len(day) else 1
    key = (position * span + (day - first_day)) * 4 + online * 2 + raw["is_return"]
    order = np.argsort(key)
    key = key[order]
    starts = np.ones(len(key), dtype=bool)
    starts[1:] = key[1:] != key[:-1]
    group = np.cumsum(starts) - 1
    first = order[starts]
    return OrderDays(
        customer_ids=customer_ids,
        wallet=wallet,
        customer=position[first],
        day=day[first],
        online=online[first],
        is_return=raw["is_return"][first],
        amount=np.bincount(group, weights=raw["amount"][order]) if len(key) else np.zeros(0),
        orders=np.bincount(group).astype(np.int64) if len(key) else np.zeros(0, dtype=np.int64),
    )


@dataclass
class PurchaseSummary:
    """The BG/NBD / Gamma-Gamma summary per customer (nan where a customer has no purchase).

    Purchases are the local days with at least one non-return order (orders on one day merge
    into one purchase, their amounts summed); x = repeat purchase days, t_x = weeks from the
    first to the last purchase day, T = weeks from the first purchase day to the end day,
    m_x = mean value of the repeat purchase days (the first purchase left out).
    """

    has_purchase: np.ndarray
    first_day: np.ndarray
    last_day: np.ndarray
    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray  # noqa: N815 - the paper's name
    m_x: np.ndarray

    def fit_arrays(self):
        keep = self.has_purchase & (self.T > 0)
        return self.x[keep], self.t_x[keep], self.T[keep], self.m_x[keep]


def purchase_days(days: OrderDays, end: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(customer, day, value) of the purchase days up to `end`, returns excluded."""
    keep = ~days.is_return & (days.day <= end)
    c, d, a = days.customer[keep], days.day[keep], days.amount[keep]
    # Rows are sorted by customer and day; online and offline rows of a day merge here.
    new = np.ones(len(c), dtype=bool)
    new[1:] = (c[1:] != c[:-1]) | (d[1:] != d[:-1])
    group = np.cumsum(new) - 1
    value = np.bincount(group, weights=a) if len(a) else np.zeros(0)
    return c[new], d[new], value


def purchase_summary(days: OrderDays, end: int) -> PurchaseSummary:
    """The summary as of the day ordinal `end` (calibration end or as-of date)."""
    n = days.n_customers
    c, d, value = purchase_days(days, end)
    count = np.bincount(c, minlength=n)
    has = count > 0
    first = np.full(n, -1, dtype=np.int64)
    last = np.full(n, -1, dtype=np.int64)
    if len(c):
        starts = np.ones(len(c), dtype=bool)
        starts[1:] = c[1:] != c[:-1]
        ends = np.ones(len(c), dtype=bool)
        ends[:-1] = c[1:] != c[:-1]
        first[c[starts]] = d[starts]
        last[c[ends]] = d[ends]
        total = np.bincount(c, weights=value, minlength=n)
        first_value = np.zeros(n)
        first_value[c[starts]] = value[starts]
    else:
        total = first_value = np.zeros(n)
    x = np.maximum(count - 1, 0).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        m_x = np.where(x > 0, (total - first_value) / np.maximum(x, 1), np.nan)
    nan = np.full(n, np.nan)
    return PurchaseSummary(
        has_purchase=has,
        first_day=first,
        last_day=last,
        x=x,
        t_x=np.where(has, (last - first) / DAYS_PER_WEEK, nan),
        T=np.where(has, (end - first) / DAYS_PER_WEEK, nan),
        m_x=m_x,
    )


def holdout_purchases(days: OrderDays, start: int, end: int) -> np.ndarray:
    """Purchase days per customer in [start, end] (the holdout period), returns excluded."""
    c, d, _ = purchase_days(days, end)
    keep = d >= start
    return np.bincount(c[keep], minlength=days.n_customers)
