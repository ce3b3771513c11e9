"""Signals on small hand-made data: top-10 online risers and fallers, returns-only customers,
koesterklanten not visited lately, sharp online drops and web-influenced offline orders."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from customers.analytics.scoring import customer_analytics_refresh
from customers.models import ContactMoment, Signal, WebActivity
from customers.tests.test_rfm import Shop

AS_OF = date(2026, 6, 30)


@pytest.fixture
def shop(in_tenant):
    return Shop(in_tenant)


def signals(kind) -> dict[str, dict]:
    return {
        s.customer.external_id: s.details
        for s in Signal.objects.filter(kind=kind).select_related("customer")
    }


@pytest.mark.django_db
def test_top_ten_online_risers_fallers_new_entries_and_drop_outs(shop):
    last_year = {"a": 1200, "b": 1100, "c": 1000, "d": 900, "e": 800, "f": 700, "g": 600,
                 "h": 500, "i": 400, "j": 300, "k": 200}  # fmt: skip
    this_year = {"b": 2000, "a": 1900, "c": 1000, "d": 900, "e": 800, "f": 700, "g": 600,
                 "h": 500, "i": 400, "k": 350}  # fmt: skip
    for name, amount in last_year.items():
        shop.buy(name, date(2025, 3, 1), amount)
    for name, amount in this_year.items():
        shop.buy(name, date(2026, 3, 1), amount)
    shop.buy("a", date(2025, 7, 1), 9999)  # after the same period last year: does not count
    shop.buy("l", date(2026, 2, 1), 50_000, channel="phone")  # offline: not in the ranking
    customer_analytics_refresh(tenant=shop.tenant, as_of=AS_OF)
    assert signals(Signal.Kind.TOP_RISER) == {
        "b": {"rank": 1, "revenue": 2000.0, "last_year_rank": 2, "last_year_revenue": 1100.0}
    }
    assert signals(Signal.Kind.TOP_FALLER) == {
        "a": {"rank": 2, "revenue": 1900.0, "last_year_rank": 1, "last_year_revenue": 1200.0}
    }
    assert signals(Signal.Kind.TOP_NEW) == {
        "k": {"rank": 10, "revenue": 350.0, "last_year_revenue": 200.0}
    }
    assert signals(Signal.Kind.TOP_DROPOUT) == {
        "j": {"last_year_rank": 10, "last_year_revenue": 300.0, "revenue": 0.0}
    }


@pytest.mark.django_db
def test_returns_only_customers_lately(shop):
    shop.buy("only_returns", date(2026, 1, 10), 500)
    shop.buy("only_returns", date(2026, 5, 10), 80, is_return=True)
    shop.buy("mixed", date(2026, 5, 10), 80, is_return=True)
    shop.buy("mixed", date(2026, 6, 1), 300)
    shop.buy("old_return", date(2026, 1, 10), 80, is_return=True)  # before the 90 days
    shop.buy("edge", AS_OF - timedelta(days=89), 10, is_return=True)  # first of the 90 days
    customer_analytics_refresh(tenant=shop.tenant, as_of=AS_OF)
    assert set(signals(Signal.Kind.RETURNS_ONLY)) == {"only_returns", "edge"}


@pytest.mark.django_db
def test_koesterklanten_not_visited_lately(shop):
    for name in ("visited", "forgotten", "never"):
        shop.buy(name, date(2026, 4, 1), 5000)  # ties: all three are koesterklanten
    for i in range(20):
        shop.buy(f"small{i}", date(2026, 4, 1), 100)
    shop.buy("offline_big", date(2026, 4, 1), 90_000, channel="phone")
    visited, forgotten = shop.customers["visited"], shop.customers["forgotten"]
    ContactMoment.objects.create(tenant=shop.tenant, customer=visited, occurred_on=date(2026, 5, 2))
    ContactMoment.objects.create(
        tenant=shop.tenant, customer=forgotten, occurred_on=date(2025, 12, 1), kind="call"
    )
    customer_analytics_refresh(tenant=shop.tenant, as_of=AS_OF)
    assert signals(Signal.Kind.KOESTER_UNVISITED) == {
        "forgotten": {"last_contact": "2025-12-01"},
        "never": {"last_contact": None},
    }


@pytest.mark.django_db
def test_online_ordering_that_fell_sharply(shop):
    def orders(name, start, count, channel="web"):
        for k in range(count):
            shop.buy(name, start + timedelta(days=7 * k), 100, channel=channel)

    orders("dropped", date(2025, 4, 7), 6)  # same 90 days a year earlier
    orders("dropped", date(2026, 4, 6), 3)  # half: fell sharply
    orders("steady", date(2025, 4, 7), 6)
    orders("steady", date(2026, 4, 6), 4)
    orders("small", date(2025, 4, 7), 2)  # too few orders a year earlier to judge
    orders("moved_offline", date(2025, 4, 7), 5)
    orders("moved_offline", date(2026, 4, 6), 5, channel="phone")
    customer_analytics_refresh(tenant=shop.tenant, as_of=AS_OF)
    assert signals(Signal.Kind.ONLINE_DROP) == {
        "dropped": {"online_orders": 3, "year_earlier": 6},
        "moved_offline": {"online_orders": 0, "year_earlier": 5},
    }


@pytest.mark.django_db
def test_web_influenced_offline_orders(shop):
    def session(name, when):
        WebActivity.objects.create(
            tenant=shop.tenant,
            external_id=f"s-{name}-{when:%Y%m%d}",
            customer=shop.customer(name),
            kind=WebActivity.Kind.SESSION,
            occurred_at=datetime.combine(when, time(9), tzinfo=shop.tenant.tzinfo),
        )

    session("influenced", date(2026, 6, 5))
    shop.buy("influenced", date(2026, 6, 10), 700, channel="phone")
    shop.buy("influenced", date(2026, 6, 11), 300, channel="email")
    session("too_late", date(2026, 5, 1))
    shop.buy("too_late", date(2026, 5, 20), 500, channel="phone")  # 19 days after the session
    session("online", date(2026, 6, 5))
    shop.buy("online", date(2026, 6, 6), 500)  # online orders are not "offline influenced"
    customer_analytics_refresh(tenant=shop.tenant, as_of=AS_OF)
    assert signals(Signal.Kind.WEB_INFLUENCED) == {"influenced": {"orders": 2, "amount": 1000.0}}


@pytest.mark.django_db
def test_signals_are_replaced_on_each_refresh(shop):
    shop.buy("r", date(2026, 6, 1), 10, is_return=True)
    customer_analytics_refresh(tenant=shop.tenant, as_of=AS_OF)
    shop.buy("r", date(2026, 6, 2), 100)
    customer_analytics_refresh(tenant=shop.tenant, as_of=AS_OF)
    assert not Signal.objects.filter(kind=Signal.Kind.RETURNS_ONLY).exists()
