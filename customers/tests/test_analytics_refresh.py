"""The nightly customer analytics run: tenants without data, the tenant's discount rate, the
lifecycle groups per month, quarter and year with their CLV, and the order loading."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from customers.analytics.scoring import (
    CustomerValues,
    customer_analytics_refresh,
    lifecycle_groups,
)
from customers.analytics.summary import (
    _orders_generic,
    local_day_ordinals,
    order_days_load,
)
from customers.models import ClvFit, CustomerScore, Signal
from customers.tests.test_rfm import Shop

AS_OF = date(2026, 6, 30)


@pytest.fixture
def shop(in_tenant):
    return Shop(in_tenant)


# -- tenants that cannot support a fit ------------------------------------------------------


@pytest.mark.django_db
def test_a_tenant_without_customers_gets_a_run_with_the_reason(in_tenant):
    result = customer_analytics_refresh(tenant=in_tenant, as_of=AS_OF)
    assert (result.customers, result.scored, result.signals) == (0, 0, 0)
    run = ClvFit.objects.get()
    assert run.error == "BG/NBD needs at least 10 customers, got 0."
    assert run.params == {} and run.ll is None and run.customers == 0
    assert run.groups["month"] == {
        "start": "2026-06-01",
        "groups": {
            g: {"customers": 0, "clv_12m": None, "mean_clv_12m": None}
            for g in ("new", "existing", "churning")
        },
    }


@pytest.mark.django_db
def test_customers_without_orders_are_scored_without_values(shop):
    for i in range(12):
        shop.customer(f"c{i}", estimated_wallet=5000)
    result = customer_analytics_refresh(tenant=shop.tenant, as_of=AS_OF)
    assert result.scored == 12
    assert result.fit_error == "BG/NBD needs at least 10 customers, got 0."
    scores = list(CustomerScore.objects.all())
    assert len(scores) == 12
    for s in scores:
        assert (s.lifecycle, s.rfm_segment, s.rfm_r, s.churned) == ("", "", None, False)
        assert s.p_alive is None and s.clv_12m is None and s.churn_risk is None
        assert s.share_of_wallet == 0.0  # a known wallet, nothing bought
        assert s.fit_id is None and s.as_of == AS_OF
    assert not Signal.objects.exists()


@pytest.mark.django_db
def test_too_few_repeat_buyers_store_the_reason_and_still_score_rfm(shop):
    for i in range(12):  # twelve customers, only two of them bought twice
        shop.buy(f"c{i:02}", date(2026, 3, 1) + timedelta(days=i), 100 * (i + 1))
    shop.buy("c00", date(2026, 5, 1), 100)
    shop.buy("c01", date(2026, 5, 2), 100)
    result = customer_analytics_refresh(tenant=shop.tenant, as_of=AS_OF)
    assert result.fit_error == ("BG/NBD needs at least 3 customers with repeat purchases, got 2.")
    assert ClvFit.objects.get().error == result.fit_error
    rows = {s.customer.external_id: s for s in CustomerScore.objects.select_related("customer")}
    assert rows["c11"].rfm_m == 5 and rows["c02"].rfm_m == 1
    assert rows["c00"].rfm_f == 5 and rows["c05"].rfm_f == 1  # two purchase days vs one
    assert rows["c11"].churn_risk is None  # no P(alive) and not churned by the rule
    assert all(s.clv_12m is None for s in rows.values())


@pytest.mark.django_db
def test_without_a_spend_model_p_alive_is_still_fitted(shop):
    # Twelve customers, four buy again, but three of those repeat orders are free (amount 0):
    # enough for the purchase model, too little spend for the Gamma-Gamma model.
    for i in range(12):
        shop.buy(f"c{i:02}", date(2026, 1, 5) + timedelta(days=7 * i), 100)
    for i, amount in ((0, 0), (1, 0), (2, 0), (3, 80)):
        shop.buy(f"c{i:02}", date(2026, 5, 1) + timedelta(days=i), amount)
    result = customer_analytics_refresh(tenant=shop.tenant, as_of=AS_OF)
    assert result.fit_error == (
        "Gamma-Gamma needs at least 3 customers with repeat purchases of positive value, "
        "got 1. No order value or CLV; P(alive) is fitted."
    )
    run = ClvFit.objects.get()
    assert run.error == result.fit_error
    assert set(run.params["bgnbd"]) == {"r", "alpha", "a", "b", "ll"}
    assert run.params["gamma_gamma"] is None and run.ll == run.params["bgnbd"]["ll"]
    scores = list(CustomerScore.objects.all())
    assert len(scores) == 12
    for s in scores:
        assert 0 < s.p_alive <= 1 and s.expected_purchases_12m > 0
        assert s.churn_risk == pytest.approx(1 - s.p_alive)
        assert s.expected_aov is None and s.clv_12m is None
        assert s.fit_id == run.pk


# -- the tenant's discount rate and CLV ---------------------------------------------------


@pytest.fixture
def generated(in_tenant):
    from customers.generator import generate

    generate(tenant=in_tenant, customers=120, orders=4000, months=24, seed=3, end=AS_OF)
    return in_tenant


def _stored_clv() -> dict[int, tuple[float, float, float]]:
    return {
        s.customer_id: (s.clv_12m, s.expected_purchases_12m, s.expected_aov)
        for s in CustomerScore.objects.exclude(clv_12m=None)
    }


@pytest.mark.django_db
def test_clv_is_discounted_at_the_tenant_rate(generated):
    generated.clv_discount_rate = Decimal("0")
    generated.save(update_fields=["clv_discount_rate"])
    customer_analytics_refresh(tenant=generated, as_of=AS_OF)
    undiscounted = _stored_clv()
    assert len(undiscounted) > 100
    for clv, purchases, aov in undiscounted.values():
        assert clv == pytest.approx(purchases * aov)

    generated.clv_discount_rate = Decimal("0.500")
    generated.save(update_fields=["clv_discount_rate"])
    customer_analytics_refresh(tenant=generated, as_of=AS_OF)
    assert ClvFit.objects.order_by("-id").first().discount_rate == 0.5
    for customer, (clv, purchases, aov) in _stored_clv().items():
        # Each month's purchases are discounted by 1.5^(-k/12), k = 1..12.
        assert purchases * aov / 1.5 < clv < purchases * aov * 1.5 ** (-1 / 12)
        assert clv < undiscounted[customer][0]


@pytest.mark.django_db
def test_a_customer_whose_first_order_is_today_gets_a_clv(generated):
    from customers.models import Customer, Order

    channel = Order.objects.filter(tenant=generated).first().channel
    fresh = Customer.objects.create(tenant=generated, external_id="fresh", name="Fresh")
    Order.objects.create(
        tenant=generated,
        external_id="fresh-1",
        customer=fresh,
        placed_at=datetime(2026, 6, 30, 10, tzinfo=generated.tzinfo),
        channel=channel,
        amount=250,
    )
    customer_analytics_refresh(tenant=generated, as_of=AS_OF)
    score = CustomerScore.objects.get(customer=fresh)
    run = ClvFit.objects.get()
    gg = run.params["gamma_gamma"]
    assert score.p_alive == 1.0 and score.lifecycle == "new"
    # No repeat purchase yet: the population mean order value p·gamma / (q − 1).
    assert score.expected_aov == pytest.approx(gg["p"] * gg["gamma"] / (gg["q"] - 1))
    assert score.expected_purchases_12m > 0 and score.clv_12m > 0


@pytest.mark.django_db
def test_the_run_sums_the_stored_clv_per_lifecycle_group(generated):
    from django.db.models import Count, Sum

    customer_analytics_refresh(tenant=generated, as_of=AS_OF)
    month = ClvFit.objects.get().groups["month"]
    stored = {
        group: (n, total)
        for group, n, total in CustomerScore.objects.exclude(lifecycle="")
        .order_by()
        .values_list("lifecycle")
        .annotate(n=Count("id"), total=Sum("clv_12m"))
    }
    assert month["start"] == "2026-06-01"
    for group in ("new", "existing", "churning"):
        n, total = stored.get(group, (0, None))
        assert month["groups"][group]["customers"] == n
        if n:
            assert month["groups"][group]["clv_12m"] == pytest.approx(total, abs=0.01)
    assert sum(g["customers"] for g in month["groups"].values()) > 50


# -- lifecycle per period and CLV per group ----------------------------------------------


def test_lifecycle_groups_count_customers_and_sum_their_clv():
    lifecycle = np.array(["new", "existing", "existing", "churning", "lapsed", ""], dtype=object)
    clv = np.array([100.0, 40.0, np.nan, 10.0, 5.0, np.nan])
    computed = CustomerValues(
        values={"clv_12m": clv}, lifecycles={"month": (date(2026, 6, 1), lifecycle)}
    )
    assert lifecycle_groups(computed) == {
        "month": {
            "start": "2026-06-01",
            "groups": {
                "new": {"customers": 1, "clv_12m": 100.0, "mean_clv_12m": 100.0},
                # The customer without a CLV counts as a customer, not in the CLV.
                "existing": {"customers": 2, "clv_12m": 40.0, "mean_clv_12m": 40.0},
                "churning": {"customers": 1, "clv_12m": 10.0, "mean_clv_12m": 10.0},
            },
        }
    }


@pytest.mark.django_db
def test_lifecycle_per_month_quarter_and_fiscal_year(shop):
    shop.tenant.fiscal_year_start_month = 4  # fiscal year April-March, Q1 = April-June
    shop.tenant.save(update_fields=["fiscal_year_start_month"])
    shop.buy("june", date(2026, 6, 3), 100)  # new in every period
    shop.buy("april", date(2026, 4, 10), 100)  # new this quarter and year
    shop.buy("april", date(2026, 6, 10), 100)
    shop.buy("february", date(2026, 2, 10), 100)  # new last fiscal year: existing
    shop.buy("february", date(2026, 6, 12), 100)
    for month in range(1, 4):  # monthly until March, silent since: churning
        shop.buy("churning", date(2026, month, 10), 100)
    shop.buy("lapsed", date(2025, 5, 1), 100)
    customer_analytics_refresh(tenant=shop.tenant, as_of=AS_OF)
    groups = ClvFit.objects.get().groups
    counts = {
        grain: (groups[grain]["start"], {g: v["customers"] for g, v in groups[grain]["groups"].items()})
        for grain in ("month", "quarter", "year")
    }  # fmt: skip
    assert counts == {
        "month": ("2026-06-01", {"new": 1, "existing": 2, "churning": 1}),
        "quarter": ("2026-04-01", {"new": 2, "existing": 1, "churning": 1}),
        "year": ("2026-04-01", {"new": 2, "existing": 1, "churning": 1}),
    }
    stored = dict(CustomerScore.objects.values_list("customer__external_id", "lifecycle"))
    assert stored == {
        "june": "new",
        "april": "existing",
        "february": "existing",
        "churning": "churning",
        "lapsed": "lapsed",
    }


# -- loading orders -----------------------------------------------------------------------


def _micros(*stamps: datetime) -> np.ndarray:
    return np.array([round(s.timestamp() * 1_000_000) for s in stamps], dtype=np.int64)


def test_orders_fall_on_their_local_day_across_daylight_saving_changes():
    amsterdam = ZoneInfo("Europe/Amsterdam")
    stamps = _micros(
        datetime(2026, 3, 28, 22, 59, tzinfo=UTC),  # 23:59 CET on 28 March
        datetime(2026, 3, 28, 23, 0, tzinfo=UTC),  # 00:00 CET on 29 March
        datetime(2026, 3, 29, 21, 59, tzinfo=UTC),  # 23:59 CEST on 29 March (after the switch)
        datetime(2026, 3, 29, 22, 0, tzinfo=UTC),  # 00:00 CEST on 30 March
        datetime(2026, 10, 24, 22, 0, tzinfo=UTC),  # 00:00 CEST on 25 October
        datetime(2026, 10, 25, 22, 59, tzinfo=UTC),  # 23:59 CET on 25 October
    )
    days = [date.fromordinal(int(d)) for d in local_day_ordinals(stamps, amsterdam)]
    assert days == [
        date(2026, 3, 28),
        date(2026, 3, 29),
        date(2026, 3, 29),
        date(2026, 3, 30),
        date(2026, 10, 25),
        date(2026, 10, 25),
    ]
    # St John's changes at 02:00 local, a half hour in UTC (05:30 / 04:30).
    st_johns = ZoneInfo("America/St_Johns")
    stamps = _micros(
        datetime(2026, 3, 8, 3, 29, tzinfo=UTC),  # 23:59 NST on 7 March
        datetime(2026, 3, 8, 3, 30, tzinfo=UTC),  # 00:00 NST on 8 March
        datetime(2026, 3, 9, 2, 29, tzinfo=UTC),  # 23:59 NDT on 8 March
        datetime(2026, 3, 9, 2, 30, tzinfo=UTC),  # 00:00 NDT on 9 March
    )
    days = [date.fromordinal(int(d)) for d in local_day_ordinals(stamps, st_johns)]
    assert days == [date(2026, 3, 7), date(2026, 3, 8), date(2026, 3, 8), date(2026, 3, 9)]


@pytest.mark.django_db
def test_orders_group_by_customer_local_day_channel_kind(shop):
    tz = shop.tenant.tzinfo
    shop.buy("a", date(2026, 6, 1), 100, hour=0)  # 00:00 local: still 1 June
    shop.buy("a", date(2026, 6, 1), 50, hour=23)  # same day, same channel: merged
    shop.buy("a", date(2026, 6, 1), 30, channel="phone")  # same day, offline: own row
    shop.buy("a", date(2026, 6, 1), 20, is_return=True)  # a return: own row
    shop.buy("b", date(2026, 5, 31), 70, hour=23)
    shop.buy("b", date(2026, 7, 1), 70)  # after `until`: left out
    days = order_days_load(tenant=shop.tenant, until=AS_OF)
    ids = {c.external_id: c.pk for c in shop.customers.values()}
    rows = sorted(
        (
            int(days.customer_ids[c]),
            date.fromordinal(int(d)).isoformat(),
            bool(o),
            bool(r),
            float(a),
            int(n),
        )
        for c, d, o, r, a, n in zip(
            days.customer, days.day, days.online, days.is_return, days.amount, days.orders,
            strict=True,
        )
    )  # fmt: skip
    assert rows == sorted(
        [
            (ids["a"], "2026-06-01", False, False, 30.0, 1),
            (ids["a"], "2026-06-01", True, False, 150.0, 2),
            (ids["a"], "2026-06-01", True, True, -20.0, 1),
            (ids["b"], "2026-05-31", True, False, 70.0, 1),
        ]
    )
    # The ORM path (SQLite) and the COPY path (PostgreSQL) read the same orders.
    generic = _orders_generic(tenant=shop.tenant, before=datetime(2026, 7, 1, tzinfo=tz))
    assert sorted(generic["amount"].tolist()) == [-20.0, 30.0, 50.0, 70.0, 100.0]


@pytest.mark.django_db
def test_score_customers_does_not_overlap_a_running_recompute(shop):
    from io import StringIO

    from django.core.management import CommandError, call_command

    from portal.locks import tenant_lock

    shop.buy("a", date(2026, 6, 1), 100)
    busy = pytest.raises(CommandError, match="recompute of .* is running")
    # On SQLite the lock is a file under var/locks shared by every test run on the machine.
    with tenant_lock("recompute", shop.tenant.pk, wait=30), busy:
        call_command(
            "score_customers", "--tenant", shop.tenant.slug, "--wait", "0", stdout=StringIO()
        )
    assert not ClvFit.objects.exists() and not CustomerScore.objects.exists()
    out = StringIO()
    call_command("score_customers", "--tenant", shop.tenant.slug, "--as-of", "2026-06-30",
                 stdout=out, stderr=StringIO())  # fmt: skip
    # One online customer: a top-10 new entry and a koesterklant nobody has contacted.
    assert "Scored 1 customers, 2 signals" in out.getvalue()


# -- churn risk rising ----------------------------------------------------------------------


@pytest.mark.django_db
def test_churn_risk_before_is_the_risk_the_history_gave_ninety_days_earlier(shop):
    """A monthly buyer who went silent four months ago was fine 90 days ago (one month of
    silence) and is churned now (k 2.5 x 30 days); one who left two years ago was churned
    then too; steady monthly buyers stay low."""
    start = date(2024, 1, 5)
    for i in range(12):
        for month in range(30):  # Jan 2024 .. Jun 2026
            day = date(start.year + (start.month - 1 + month) // 12, (month % 12) + 1, 5 + i)
            shop.buy(f"steady{i:02}", day, 100 + i)
    for month in range(25):  # Jan 2024 .. Jan 2026, then nothing
        shop.buy("stopped", date(2024 + month // 12, month % 12 + 1, 10), 300)
    for month in range(4):  # Jan .. Apr 2024, then nothing
        shop.buy("gone", date(2024, month + 1, 10), 300)
    shop.buy("stopped", date(2026, 2, 28), 300)  # last purchase four months before AS_OF
    customer_analytics_refresh(tenant=shop.tenant, as_of=AS_OF)
    rows = {s.customer.external_id: s for s in CustomerScore.objects.select_related("customer")}
    stopped, gone = rows["stopped"], rows["gone"]
    assert stopped.churn_risk == 1.0 and stopped.churned  # 122 days > 2.5 x 30
    assert stopped.churn_risk_before < 0.2  # 32 days of silence on 1 April
    assert gone.churn_risk == gone.churn_risk_before == 1.0  # churned then and now
    for i in range(12):
        steady = rows[f"steady{i:02}"]
        assert steady.churn_risk < 0.2 and steady.churn_risk_before < 0.2
        assert abs(steady.churn_risk - steady.churn_risk_before) < 0.1
