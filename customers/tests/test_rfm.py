"""RFM quintiles and segments, churn and lifecycle rules, and the stored customer scores."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command

from customers.analytics import churn, rfm
from customers.analytics.scoring import customer_analytics_refresh, koesterklanten
from customers.analytics.selectors import clv_by_lifecycle
from customers.analytics.summary import order_days_load, purchase_days, purchase_summary
from customers.models import ClvFit, Customer, CustomerScore, Order
from customers.services import channels_ensure

AS_OF = date(2026, 6, 30)


class Shop:
    """Hand-made orders for one tenant: `shop.buy("c1", date, 100)`."""

    def __init__(self, tenant):
        self.tenant = tenant
        self.channels = channels_ensure(tenant=tenant)
        self.customers: dict[str, Customer] = {}
        self.n = 0

    def customer(self, name: str, **fields) -> Customer:
        if name not in self.customers:
            self.customers[name] = Customer.objects.create(
                tenant=self.tenant, external_id=name, name=name, **fields
            )
        return self.customers[name]

    def buy(self, name, day, amount, channel="web", hour=12, is_return=False):
        self.n += 1
        return Order.objects.create(
            tenant=self.tenant,
            external_id=f"o{self.n}",
            customer=self.customer(name),
            placed_at=datetime.combine(day, time(hour), tzinfo=self.tenant.tzinfo),
            channel=self.channels[channel],
            amount=-abs(amount) if is_return else amount,
            is_return=is_return,
        )


@pytest.fixture
def shop(in_tenant):
    return Shop(in_tenant)


def score(name: str) -> CustomerScore:
    return CustomerScore.objects.get(customer__external_id=name)


# -- quintiles and segments -----------------------------------------------------------------


def test_quintiles_give_the_best_fifth_a_five():
    values = np.arange(10, 110, 10)
    everyone = np.ones(10, dtype=bool)
    assert rfm.quintile(values, everyone).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # Recency: fewer days since the last purchase is better.
    assert rfm.quintile(values, everyone, higher_is_better=False).tolist() == [
        5, 5, 4, 4, 3, 3, 2, 2, 1, 1,
    ]  # fmt: skip


def test_quintiles_give_ties_one_score_and_skip_customers_without_purchases():
    values = np.array([5.0, 5.0, 5.0, 9.0, 1.0, 0.0])
    eligible = np.array([True, True, True, True, True, False])
    assert rfm.quintile(values, eligible).tolist() == [2, 2, 2, 5, 1, 0]


def test_every_r_and_f_pair_has_exactly_one_segment():
    names = [name for name, _, _ in rfm.SEGMENTS]
    assert len(names) == 10 == len(set(names))
    pairs = [(r, f) for _, rs, fs in rfm.SEGMENTS for r in rs for f in fs]
    assert sorted(pairs) == [(r, f) for r in range(1, 6) for f in range(1, 6)]
    assert set(names) == set(CustomerScore.Segment.values)


@pytest.mark.parametrize(
    ("r", "f", "segment"),
    [
        (5, 5, "champions"),
        (5, 4, "champions"),
        (4, 5, "loyal"),
        (3, 4, "loyal"),
        (5, 2, "potential_loyalists"),
        (4, 3, "potential_loyalists"),
        (5, 1, "new"),
        (4, 1, "promising"),
        (3, 3, "need_attention"),
        (3, 2, "about_to_sleep"),
        (2, 4, "at_risk"),
        (1, 3, "at_risk"),
        (1, 5, "cant_lose"),
        (2, 2, "hibernating"),
        (1, 1, "hibernating"),
    ],
)
def test_segment_rules(r, f, segment):
    assert rfm.segment(np.array([r]), np.array([f])).tolist() == [segment]


# -- churn and lifecycle --------------------------------------------------------------------


@pytest.mark.django_db
def test_churn_threshold_follows_the_metrics_example(shop):
    # Orders on 1 Oct, 31 Oct and 30 Nov 2025: median gap 30 days, k = 2.5 -> 75 days;
    # churned on 14 February 2026 (docs/metrics.md).
    for day in (date(2025, 10, 1), date(2025, 10, 31), date(2025, 11, 30)):
        shop.buy("regular", day, 100)
    shop.buy("twice", date(2025, 3, 1), 100)
    shop.buy("twice", date(2025, 3, 2), 100, channel="phone")
    days = order_days_load(tenant=shop.tenant, until=date(2026, 2, 14))
    c, d, _ = purchase_days(days, date(2026, 2, 14).toordinal())
    threshold = churn.churn_thresholds(c, d, days.n_customers, 2.5)
    assert threshold.tolist() == [75.0, 365.0]
    for as_of, expected in (
        (date(2026, 2, 13), [False, False]),
        (date(2026, 2, 14), [True, False]),
    ):
        summary = purchase_summary(days, as_of.toordinal())
        assert churn.churned(summary, threshold, as_of.toordinal()).tolist() == expected
    summary = purchase_summary(days, date(2026, 3, 3).toordinal())
    assert churn.churned(summary, threshold, date(2026, 3, 3).toordinal()).tolist() == [True, True]


@pytest.mark.django_db
def test_lifecycle_splits_new_existing_churning_and_lapsed(shop):
    shop.buy("new", date(2026, 6, 3), 100)
    for month in range(1, 7):  # monthly buyer, last on 10 June
        shop.buy("existing", date(2026, month, 10), 100)
    for month in range(1, 4):  # monthly until March, silent since: churning, still active
        shop.buy("churning", date(2026, month, 10), 100)
    shop.buy("lapsed", date(2025, 5, 1), 100)  # outside the trailing 12 months (Jul-Jun)
    shop.buy("returns", date(2026, 6, 1), 50, is_return=True)
    customer_analytics_refresh(tenant=shop.tenant, as_of=AS_OF)
    assert {s.customer.external_id: s.lifecycle for s in CustomerScore.objects.all()} == {
        "new": "new",
        "existing": "existing",
        "churning": "churning",
        "lapsed": "lapsed",
        "returns": "",
    }
    assert score("churning").churned and score("churning").churn_risk == 1.0
    assert not score("existing").churned
    groups = clv_by_lifecycle(tenant=shop.tenant)
    assert {g: v["customers"] for g, v in groups.items()} == {
        "new": 1,
        "existing": 1,
        "churning": 1,
        "lapsed": 1,
    }


# -- stored scores --------------------------------------------------------------------------


@pytest.mark.django_db
def test_scores_store_rfm_share_of_wallet_and_koesterklanten(shop):
    # Five customers with clearly ordered recency, frequency and revenue (trailing 12 months).
    for i in range(5):
        name = f"c{i + 1}"
        shop.customer(name, estimated_wallet=10_000)
        last = AS_OF - timedelta(days=10 + 60 * (4 - i))  # c5 bought most recently
        for k in range(i + 1):  # c5 has the most purchase days
            shop.buy(name, last - timedelta(days=7 * k), 1000 * (i + 1))
    shop.buy("c5", AS_OF - timedelta(days=3), 200, is_return=True)  # returns count in revenue
    shop.buy("c1", date(2024, 1, 5), 99_999)  # outside the trailing 12 months
    result = customer_analytics_refresh(tenant=shop.tenant, as_of=AS_OF)
    assert result.scored == 5
    assert "at least" in result.fit_error  # five customers cannot support a fit
    rows = {s.customer.external_id: s for s in CustomerScore.objects.all()}
    assert [rows[f"c{i}"].rfm_r for i in range(1, 6)] == [1, 2, 3, 4, 5]
    assert [rows[f"c{i}"].rfm_f for i in range(1, 6)] == [1, 2, 3, 4, 5]
    assert [rows[f"c{i}"].rfm_m for i in range(1, 6)] == [1, 2, 3, 4, 5]
    assert [rows[f"c{i}"].rfm_segment for i in range(1, 6)] == [
        "hibernating",
        "hibernating",
        "need_attention",
        "loyal",
        "champions",
    ]
    # c5: 5 x 5,000 - 200 = 24,800 against a wallet of 10,000.
    assert rows["c5"].share_of_wallet == pytest.approx(248.0)
    assert rows["c1"].share_of_wallet == pytest.approx(10.0)
    # Five customers with online revenue: the top ceil(10 %) = 1 is a koesterklant.
    assert [rows[f"c{i}"].is_koesterklant for i in range(1, 6)] == [False] * 4 + [True]
    assert rows["c5"].clv_12m is None and rows["c5"].p_alive is None
    assert ClvFit.objects.get().error == result.fit_error


def test_koesterklanten_include_ties_at_the_boundary():
    revenue = np.array([0.0, -5.0] + [100.0] * 18 + [500.0, 500.0])
    # 20 customers with positive revenue: top 2, and the two at 500 tie.
    assert koesterklanten(revenue).sum() == 2
    revenue[-1] = 100.0
    assert koesterklanten(revenue).sum() == 20  # ties at the boundary are all included


@pytest.mark.django_db
def test_score_customers_fits_and_scores_a_generated_tenant(in_tenant):
    from customers.generator import generate

    generate(tenant=in_tenant, customers=120, orders=4000, months=24, seed=3, end=AS_OF)
    out = StringIO()
    call_command(
        "score_customers", "--tenant", in_tenant.slug, "--as-of", "2026-06-30", "--json", stdout=out
    )
    counts = json.loads(out.getvalue())
    assert counts["customers"] == counts["scored"] == 120
    assert counts["fit_error"] == ""
    fit = ClvFit.objects.get()
    assert set(fit.params["bgnbd"]) == {"r", "alpha", "a", "b", "ll"}
    assert fit.ll == pytest.approx(fit.params["bgnbd"]["ll"])
    scored = CustomerScore.objects.exclude(clv_12m=None)
    assert scored.count() > 100
    for s in scored:
        assert 0 <= s.p_alive <= 1
        assert s.clv_12m >= 0 and s.expected_aov > 0
        assert s.churn_risk == pytest.approx(1.0 if s.churned else 1 - s.p_alive)
    # Running it again updates the rows instead of adding new ones.
    call_command("score_customers", "--tenant", in_tenant.slug, "--as-of", "2026-06-30",
                 stdout=StringIO())  # fmt: skip
    assert CustomerScore.objects.count() == 120
