"""The fast paths of the fact loading (kpis/metrics/facts.py) against plain computations.

On PostgreSQL the orders and web activity arrive as binary columns and are grouped in numpy;
elsewhere (SQLite) they are read row by row through the ORM. Both must give the same facts,
to the cent and the day, around daylight-saving changes and midnight in the tenant's zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.db import connection

from customers.models import Contact, Customer, Order, WebActivity
from customers.services import channels_ensure
from kpis.metrics import facts as facts_module
from kpis.metrics.facts import (
    PG_EPOCH,
    _distinct_pairs,
    _local_day,
    _micros,
    _searchsorted_pairs,
    load_facts,
)
from portal.db import background
from portal.tenancy import tenant_context


def _instants() -> list[datetime]:
    """Random instants over four years, plus every 7 minutes around each DST change."""
    rng = np.random.default_rng(7)
    base = datetime(2023, 1, 1, tzinfo=UTC)
    out = [base + timedelta(seconds=int(s)) for s in rng.integers(0, 4 * 365 * 86_400, 3000)]
    for year in range(2023, 2027):
        for month, day in ((3, 26), (3, 31), (4, 2), (10, 1), (10, 29), (11, 5)):
            for hour in (0, 14, 16, 22):
                middle = datetime(year, month, day, hour, tzinfo=UTC)
                out += [middle + timedelta(minutes=m) for m in range(-180, 180, 7)]
    return out


@pytest.mark.parametrize(
    "zone",
    ["Europe/Amsterdam", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"],
)
def test_local_days_are_the_days_of_the_tenants_zone(zone):
    tz = ZoneInfo(zone)
    instants = _instants()
    micros = np.array([_micros(i) for i in instants], dtype=np.int64)
    expected = [i.astimezone(tz).date().toordinal() for i in instants]
    assert _local_day(micros, tz).tolist() == expected


def test_microseconds_count_from_postgresqls_epoch():
    assert _micros(PG_EPOCH) == 0
    assert _micros(datetime(2000, 1, 2, 0, 0, 1, 5, tzinfo=UTC)) == 86_401_000_005


def test_distinct_pairs_are_sorted_and_unique_both_ways():
    rng = np.random.default_rng(3)
    major = rng.integers(0, 300, 5000)
    minor = rng.integers(738_000, 739_100, 5000)
    expected = sorted(set(zip(major.tolist(), minor.tolist(), strict=True)))
    grid = _distinct_pairs(major, minor)  # small: the dense grid
    assert list(zip(grid[0].tolist(), grid[1].tolist(), strict=True)) == expected
    wide = major * 1_000_000  # too many cells for a grid: sorted keys instead
    sort = _distinct_pairs(wide, minor)
    assert list(zip((sort[0] // 1_000_000).tolist(), sort[1].tolist(), strict=True)) == expected


def test_searchsorted_pairs_counts_the_pairs_at_or_before_each_query():
    rng = np.random.default_rng(5)
    pairs = sorted(
        zip(rng.integers(0, 20, 400).tolist(), rng.integers(0, 50, 400).tolist(), strict=True)
    )
    major = np.array([p[0] for p in pairs])
    minor = np.array([p[1] for p in pairs])
    queries = list(
        zip(rng.integers(0, 21, 300).tolist(), rng.integers(-1, 51, 300).tolist(), strict=True)
    )
    q_major, q_minor = np.array([q[0] for q in queries]), np.array([q[1] for q in queries])
    expected = [sum(1 for p in pairs if p <= q) for q in queries]
    assert _searchsorted_pairs(major, minor, q_major, q_minor).tolist() == expected  # packed
    # Minors too wide to pack beside the majors in one integer: the merge of both lists.
    wide = 1 << 57
    got = _searchsorted_pairs(major, minor * wide, q_major, q_minor * wide)
    assert got.tolist() == expected


@pytest.fixture
def shop(tenant):
    """Orders and web events on both sides of local midnight and of the DST changes."""
    with tenant_context(tenant):
        channels = channels_ensure(tenant=tenant)
        customers = [
            Customer.objects.create(tenant=tenant, external_id=f"C{i}", name=f"C{i}")
            for i in range(3)
        ]
        with_account = Contact.objects.create(
            tenant=tenant, customer=customers[0], external_id="K1", name="K1", has_web_account=True
        )
        without = Contact.objects.create(
            tenant=tenant, customer=customers[1], external_id="K2", name="K2"
        )
        moments = [
            datetime(2025, 3, 29, 22, 59, tzinfo=UTC),  # 23:59 local, the night before DST
            datetime(2025, 3, 29, 23, 0, tzinfo=UTC),  # 00:00 local
            datetime(2025, 10, 25, 22, 30, tzinfo=UTC),  # 00:30 local, summer time
            datetime(2025, 12, 31, 23, 15, tzinfo=UTC),  # New Year locally
            datetime(2026, 2, 28, 23, 30, tzinfo=UTC),
            datetime(2026, 3, 3, 9, 0, tzinfo=UTC),
            datetime(2026, 3, 10, 9, 0, tzinfo=UTC),
        ]
        codes = ["web", "phone", "edi", "email", "phone", "fax", "web"]
        n = 0
        for c, customer in enumerate(customers):
            for m, (moment, code) in enumerate(zip(moments, codes, strict=True)):
                n += 1
                is_return = (c + m) % 4 == 3
                amount = Decimal(f"{(c + 1) * 17 + m}.{(m * 7) % 100:02d}")
                Order.objects.create(
                    tenant=tenant,
                    external_id=f"O{n}",
                    customer=customer,
                    placed_at=moment + timedelta(hours=c),
                    channel=channels[code],
                    amount=-amount if is_return else amount,
                    is_return=is_return,
                )
                WebActivity.objects.create(
                    tenant=tenant,
                    external_id=f"W{n}",
                    customer=customer,
                    contact=(with_account, without, None)[c],
                    kind=WebActivity.Kind.values[(c + m) % len(WebActivity.Kind.values)],
                    occurred_at=moment - timedelta(days=c + m % 3, minutes=m),
                )
    return tenant


def _facts(tenant):
    return load_facts(
        tenant=tenant,
        grain="month",
        first=date(2025, 1, 1),
        last=date(2026, 4, 15),
        as_of=date(2026, 4, 15),
        needs=frozenset({"orders", "days", "web", "channels", "influence"}),
    )


@pytest.mark.django_db
def test_the_binary_columns_give_the_same_facts_as_the_row_by_row_path(shop, monkeypatch):
    """On PostgreSQL, read the same data both ways; on SQLite, the one way it has (the
    loaders' results are then compared with themselves, and the numbers below still hold)."""
    with tenant_context(shop):
        fast = _facts(shop)
        monkeypatch.setattr(facts_module, "_binary_columns", lambda: False)
        plain = _facts(shop)
    assert fast.arrays.keys() == plain.arrays.keys()
    for name in fast.arrays:
        assert np.array_equal(fast.arrays[name], plain.arrays[name], equal_nan=True), name
    for name in ("order_days", "return_days"):
        for got, want in zip(fast.extra[name], plain.extra[name], strict=True):
            assert got.tolist() == want.tolist(), name
    assert np.array_equal(fast.extra["contact_login_months"], plain.extra["contact_login_months"])
    # And the numbers themselves: 21 orders, of which 5 returns; the 2025-03-29 22:59 UTC
    # order of the first customer is on the 29th locally, the 23:00 one on the 30th.
    assert fast.arrays["orders"].sum() + fast.arrays["return_count"].sum() == 21
    assert fast.arrays["return_count"].sum() == 5
    first_customer_days = fast.extra["order_days"][1][fast.extra["order_days"][0] == 0]
    assert date(2025, 3, 29).toordinal() in first_customer_days.tolist()
    assert date(2025, 3, 30).toordinal() in first_customer_days.tolist()
    assert connection.vendor in ("postgresql", "sqlite")


@pytest.mark.django_db(transaction=True)  # a second connection sees committed rows only
def test_the_web_activity_read_beside_the_orders_gives_the_same_facts(shop, monkeypatch):
    """On PostgreSQL outside a transaction, load_facts reads the web activity on a second
    connection while it reads the orders; the facts are the same as read one after the
    other, and the tenant's row-level security applies there too. Inside a transaction
    (and on SQLite) it reads in its own thread."""
    started = []
    run_beside = background.beside

    def spy(fn, **kwargs):
        future = run_beside(fn, **kwargs)
        started.append(future)
        return future

    monkeypatch.setattr(background, "beside", spy)
    with tenant_context(shop):
        beside = _facts(shop)
        monkeypatch.setattr(background, "available", lambda: False)
        after = _facts(shop)
    if connection.vendor == "postgresql":
        assert len(started) == 1 and started[0].done()
    else:
        assert started == []
    for name in after.arrays:
        assert np.array_equal(beside.arrays[name], after.arrays[name], equal_nan=True), name
    assert beside.arrays["web_session"].sum() > 0 and beside.arrays["web_influenced"].sum() > 0


@pytest.mark.django_db(transaction=True)
def test_a_failing_background_read_fails_the_load(shop, monkeypatch):
    def broken(facts):
        raise RuntimeError("connection lost")

    monkeypatch.setattr(facts_module, "_web_rows_read", broken)
    with tenant_context(shop), pytest.raises(RuntimeError, match="connection lost"):
        _facts(shop)
