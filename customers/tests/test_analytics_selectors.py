"""Read functions for the stored analytics: right rows, one query each at any data size."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.analytics import selectors
from customers.analytics.scoring import customer_analytics_refresh
from customers.models import Customer, Signal
from customers.tests.test_rfm import Shop
from portal.models import Role
from portal.tenancy import tenant_context

AS_OF = date(2026, 6, 30)


def stock(shop: Shop, n: int, rep) -> None:
    """`n` customers with only a return lately (every other one the rep's), and a top-10
    where "up" overtakes "down"."""
    for i in range(n):
        name = f"r{i:02}"
        shop.customer(name, account_manager=rep if i % 2 == 0 else None)
        shop.buy(name, date(2026, 1, 5), 100, channel="phone")
        shop.buy(name, date(2026, 6, 1), 20, is_return=True)
    shop.customer("up", account_manager=rep)
    shop.buy("down", date(2025, 3, 1), 900)
    shop.buy("up", date(2025, 3, 1), 500)
    shop.buy("down", date(2026, 3, 1), 400)
    shop.buy("up", date(2026, 3, 1), 800)
    customer_analytics_refresh(tenant=shop.tenant, as_of=AS_OF)


def read_everything(tenant, rep, ids):
    return {
        "run": selectors.clv_run_latest(tenant=tenant),
        "scores": selectors.customer_scores_for(tenant=tenant, customer_ids=ids),
        "signals": selectors.signals_for(tenant=tenant, account_manager=rep),
        "counts": selectors.signal_counts(tenant=tenant),
        "top": selectors.top_online_changes(tenant=tenant),
        "rfm": selectors.rfm_segment_summary(tenant=tenant, account_manager=rep),
        "lifecycle": selectors.clv_by_lifecycle(tenant=tenant),
    }


@pytest.mark.parametrize("n", [2, 12])
def test_each_read_is_one_query_at_any_size(in_tenant, members, n):
    shop = Shop(in_tenant)
    rep = members[Role.REP]
    stock(shop, n, rep)
    ids = list(Customer.objects.values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as queries:
        result = read_everything(in_tenant, rep, ids)
        # Reading the related customer of every signal costs nothing more.
        names = [s.customer.name for s in result["signals"]]
        names += [s.customer.name for kind in result["top"].values() for s in kind]
    assert len(queries) == 7
    assert len(result["scores"]) == n + 2
    assert result["counts"][Signal.Kind.RETURNS_ONLY] == n
    assert result["counts"][Signal.Kind.WEB_INFLUENCED] == 0
    mine = [s for s in result["signals"] if s.kind == Signal.Kind.RETURNS_ONLY]
    assert [s.customer.name for s in mine] == [f"r{i:02}" for i in range(0, n, 2)]
    assert [s.customer.name for s in result["top"]["risers"]] == ["up"]
    assert [s.customer.name for s in result["top"]["fallers"]] == ["down"]
    assert result["top"]["new"] == [] and result["top"]["dropouts"] == []
    assert "up" in names


@pytest.mark.django_db
def test_rfm_summary_lists_every_segment_in_order(in_tenant, members):
    shop = Shop(in_tenant)
    stock(shop, 4, members[Role.REP])
    summary = selectors.rfm_segment_summary(tenant=in_tenant)
    assert [row["segment"] for row in summary] == [
        "champions", "loyal", "potential_loyalists", "new", "promising", "need_attention",
        "about_to_sleep", "at_risk", "cant_lose", "hibernating",
    ]  # fmt: skip
    # Six customers with a purchase in the last 12 months, each in one segment.
    assert sum(row["customers"] for row in summary) == 6
    assert selectors.clv_by_lifecycle(tenant=in_tenant) == {
        # r00-r03 first bought in January, up and down in 2025: existing, no CLV (no fit).
        "existing": {"customers": 6, "clv_12m": None, "mean_clv_12m": None},
    }


@pytest.mark.django_db
def test_reads_stay_within_the_tenant(tenant, other_tenant, members):
    with tenant_context(tenant):
        shop = Shop(tenant)
        stock(shop, 3, members[Role.REP])
        ids = list(Customer.objects.values_list("pk", flat=True))
    with tenant_context(other_tenant):
        result = read_everything(other_tenant, None, ids)
    assert result["run"] is None
    assert result["scores"] == {} and result["signals"] == []
    assert set(result["counts"].values()) == {0}
    assert all(kind == [] for kind in result["top"].values())
    assert result["lifecycle"] == {}
