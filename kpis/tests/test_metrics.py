"""Every catalogue metric on a small hand-made data set, with the expected values worked out.

The shop (tenant timezone Europe/Amsterdam, fiscal year = calendar year, churn k 2.5, web
influence 7 days), measured as of 2026-04-15 (April is open: it runs up to the 15th):

    department  Noord: C1 Alfa (rep anna, NL, wallet 10 000), C2 Bravo (rep bram, BE)
                Zuid:  C3 Charlie (rep bram, NL, wallet 2 000), C4 Delta (no rep, DE)

    orders (UTC; channels web/edi online, phone/email offline; local = Amsterdam time)
    C1  2025-06-10 phone 200 · 2026-01-15 web 100 · 2026-02-28 23:30 web 300 (= 1 March
        00:30 local: a March order) · 2026-03-10 web return -20 · 2026-04-02 edi 150
    C2  2026-01-20 phone 50 (first order ever) · 2026-03-05 phone 50 (4 days after a web
        session: web-influenced) · 2026-03-20 email 70 (session only the day after: not
        influenced) · 2026-04-20 web 999 (after the as-of date: never counted)
    C3  2025-10-01, 2025-10-31, 2025-11-30 edi 100 each (then silent)
    C4  2025-03-01 phone 80 · 2026-03-15 phone return -30 (nothing but a return since)

Per-customer months Jan, Feb, Mar, Apr 2026 (local):
    net      C1 [100, 0, 280, 150]  C2 [50, 0, 120, 0]  C3 [0, 0, 0, 0]  C4 [0, 0, -30, 0]
    gross    C1 [100, 0, 300, 150]  C2 [50, 0, 120, 0]
    orders   C1 [1, 0, 1, 1]        C2 [1, 0, 2, 0]     (online: C1 [1, 0, 1, 1])
    trailing-12-month net (12 calendar months ending with the month):
             C1 [300, 300, 580, 730]  C2 [50, 50, 170, 170]  C3 [300] * 4  C4 [80, 80, -30, -30]
    trailing-12-month online net: C1 [100, 100, 380, 530]  C3 [300] * 4
    active (order in trailing 12 months): C1, C2, C3 all months; C4 Jan and Feb only
    (its March 2025 order leaves the window in March 2026).
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest import approx

from customers.models import (
    Contact,
    Customer,
    FunnelEvent,
    Order,
    PlatformSample,
    SurveyResponse,
    WebActivity,
)
from customers.services import channels_ensure
from kpis.metrics import CATALOGUE, compute, metric_keys
from portal.tenancy import tenant_context
from tests.factories import DepartmentFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 4, 15)
JAN, APR = date(2026, 1, 1), date(2026, 4, 30)
NO_DATA = None  # a ratio without a denominator

# Keys with a test below; the meta-test compares this with the catalogue.
COVERED: set[str] = set()


def covers(*keys: str):
    def mark(test):
        COVERED.update(keys)
        return test

    return mark


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def shop(in_tenant):
    tenant = in_tenant
    tenant.timezone = "Europe/Amsterdam"
    tenant.fiscal_year_start_month = 1
    tenant.churn_k = Decimal("2.5")
    tenant.web_influence_days = 7
    tenant.save()
    channels = channels_ensure(tenant=tenant)
    noord = DepartmentFactory(tenant=tenant, name="Noord")
    zuid = DepartmentFactory(tenant=tenant, name="Zuid")
    anna = MembershipFactory(tenant=tenant, user=UserFactory(username="anna"), role="rep")
    bram = MembershipFactory(tenant=tenant, user=UserFactory(username="bram"), role="rep")

    def customer(ext, name, department, rep, country, wallet=None):
        return Customer.objects.create(
            tenant=tenant,
            external_id=ext,
            name=name,
            department=department,
            account_manager=rep,
            country=country,
            estimated_wallet=None if wallet is None else Decimal(wallet),
        )

    c1 = customer("C1", "Alfa", noord, anna, "NL", "10000.00")
    c2 = customer("C2", "Bravo", noord, bram, "BE")
    c3 = customer("C3", "Charlie", zuid, bram, "NL", "2000.00")
    c4 = customer("C4", "Delta", zuid, None, "DE")

    for ext, cust, placed_at, amount, channel in [
        ("O1", c1, utc(2025, 6, 10, 10), "200.00", "phone"),
        ("O2", c1, utc(2026, 1, 15, 10), "100.00", "web"),
        ("O3", c1, utc(2026, 2, 28, 23, 30), "300.00", "web"),  # 1 March 00:30 local
        ("R1", c1, utc(2026, 3, 10, 10), "-20.00", "web"),
        ("O4", c1, utc(2026, 4, 2, 9), "150.00", "edi"),
        ("O5", c2, utc(2026, 1, 20, 10), "50.00", "phone"),
        ("O6", c2, utc(2026, 3, 5, 10), "50.00", "phone"),
        ("O7", c2, utc(2026, 3, 20, 10), "70.00", "email"),
        ("O8", c2, utc(2026, 4, 20, 10), "999.00", "web"),  # after the as-of date
        ("O9", c3, utc(2025, 10, 1, 10), "100.00", "edi"),
        ("O10", c3, utc(2025, 10, 31, 10), "100.00", "edi"),
        ("O11", c3, utc(2025, 11, 30, 10), "100.00", "edi"),
        ("O12", c4, utc(2025, 3, 1, 10), "80.00", "phone"),
        ("R2", c4, utc(2026, 3, 15, 10), "-30.00", "phone"),
    ]:
        Order.objects.create(
            tenant=tenant,
            external_id=ext,
            customer=cust,
            placed_at=placed_at,
            amount=Decimal(amount),
            channel=channels[channel],
            is_return=ext.startswith("R"),
            return_reason="damaged" if ext.startswith("R") else "",
        )

    k1 = Contact.objects.create(
        tenant=tenant, external_id="K1", customer=c1, name="Kim", has_web_account=True
    )
    k2 = Contact.objects.create(
        tenant=tenant, external_id="K2", customer=c1, name="Kees", has_web_account=True
    )
    k3 = Contact.objects.create(
        tenant=tenant, external_id="K3", customer=c2, name="Koen", has_web_account=True
    )
    k4 = Contact.objects.create(
        tenant=tenant, external_id="K4", customer=c3, name="Karel", has_web_account=False
    )
    login, session = WebActivity.Kind.LOGIN, WebActivity.Kind.SESSION
    download = WebActivity.Kind.DOWNLOAD
    for n, (kind, cust, contact, occurred_at) in enumerate(
        [
            (login, c1, k2, utc(2026, 1, 10, 9)),
            (login, c1, k1, utc(2026, 3, 2, 9)),
            (login, c1, k1, utc(2026, 3, 3, 9)),  # the same contact again in March
            (login, c3, k4, utc(2026, 3, 10, 9)),  # a contact without a web account
            (login, c2, k3, utc(2026, 3, 31, 22, 30)),  # 1 April 00:30 local (summer time)
            (session, c1, None, utc(2026, 1, 14, 10)),
            (session, c1, None, utc(2026, 1, 15, 9)),
            (session, c1, None, utc(2026, 2, 27, 10)),
            (session, c2, None, utc(2026, 3, 1, 10)),  # 4 days before C2's phone order O6
            (session, c4, None, utc(2026, 3, 14, 10)),  # a day before C4's return R2
            (session, c2, None, utc(2026, 3, 21, 10)),  # the day after C2's email order O7
            (session, c1, None, utc(2026, 4, 1, 10)),
            (download, c1, k1, utc(2026, 1, 20, 10)),
            (download, c1, k1, utc(2026, 1, 20, 11)),
            (download, c3, None, utc(2026, 3, 5, 10)),
            (WebActivity.Kind.CATALOGUE_REQUEST, c2, None, utc(2026, 2, 10, 10)),
            (WebActivity.Kind.SAMPLE_REQUEST, c3, None, utc(2026, 2, 11, 10)),
            (WebActivity.Kind.ACCOUNT_CREATED, c1, k2, utc(2026, 1, 5, 10)),
            (session, c1, None, utc(2026, 4, 20, 10)),  # after the as-of date
        ]
    ):
        WebActivity.objects.create(
            tenant=tenant,
            external_id=f"W{n}",
            kind=kind,
            customer=cust,
            contact=contact,
            occurred_at=occurred_at,
        )

    stage = FunnelEvent.Stage
    for n, (lead, step, occurred_at) in enumerate(
        [
            ("L1", stage.FIRST_IDENTIFIER, utc(2026, 1, 5, 10)),
            ("L2", stage.FIRST_IDENTIFIER, utc(2026, 1, 6, 10)),
            ("L1", stage.SECOND_IDENTIFIER, utc(2026, 1, 12, 10)),
            ("L1", stage.MQL, utc(2026, 1, 20, 10)),
            ("L3", stage.FIRST_IDENTIFIER, utc(2026, 3, 3, 10)),
            ("L4", stage.FIRST_IDENTIFIER, utc(2026, 3, 4, 10)),
            ("L3", stage.SECOND_IDENTIFIER, utc(2026, 3, 10, 10)),
            ("L2", stage.MQL, utc(2026, 3, 11, 10)),
            ("L1", stage.SQL, utc(2026, 3, 12, 10)),
            ("L1", stage.WON, utc(2026, 3, 31, 21, 30)),  # 23:30 local: still March
            ("L5", stage.FIRST_IDENTIFIER, utc(2026, 3, 31, 22, 30)),  # 00:30 local: April
            ("L6", stage.FIRST_IDENTIFIER, utc(2026, 4, 20, 10)),  # after the as-of date
        ]
    ):
        FunnelEvent.objects.create(
            tenant=tenant, external_id=f"F{n}", lead_ref=lead, stage=step, occurred_at=occurred_at
        )

    nps, ces = SurveyResponse.Kind.NPS, SurveyResponse.Kind.CES
    for n, (kind, cust, score, answered_on) in enumerate(
        [
            (nps, c2, 0, date(2026, 1, 8)),
            (nps, c1, 10, date(2026, 3, 10)),
            (nps, c2, 6, date(2026, 3, 11)),
            (nps, c3, 8, date(2026, 3, 12)),
            (nps, c1, 9, date(2026, 3, 13)),
            (nps, c4, 10, date(2026, 4, 16)),  # after the as-of date
            (ces, c1, 2, date(2026, 1, 5)),
            (ces, c2, 5, date(2026, 1, 6)),
            (ces, c3, 7, date(2026, 4, 1)),
        ]
    ):
        SurveyResponse.objects.create(
            tenant=tenant,
            external_id=f"S{n}",
            kind=kind,
            customer=cust,
            score=score,
            answered_on=answered_on,
        )

    for day, uptime, load in [
        (date(2026, 3, 1), "99.500", 800),
        (date(2026, 3, 2), "100.000", 1000),
        (date(2026, 3, 3), None, 1200),
        (date(2026, 4, 1), "98.000", None),
        (date(2026, 4, 20), "50.000", 5000),  # after the as-of date
    ]:
        PlatformSample.objects.create(
            tenant=tenant,
            date=day,
            uptime_pct=None if uptime is None else Decimal(uptime),
            median_page_load_ms=load,
        )

    names = {
        ("department", str(noord.pk)): "Noord",
        ("department", str(zuid.pk)): "Zuid",
        ("rep", str(anna.pk)): "anna",
        ("rep", str(bram.pk)): "bram",
    }
    return SimpleNamespace(tenant=tenant, names=names)


def measure(shop, key, grain="month", first=JAN, last=APR, as_of=AS_OF):
    """{"company" | "department:Noord" | "rep:anna" | "country:NL" | "channel:web": [values]},
    one value per period, oldest first."""
    series: dict[str, dict[date, float | None]] = defaultdict(dict)
    values = compute(
        tenant=shop.tenant, keys=[key], grain=grain, first=first, last=last, as_of=as_of
    )
    for v in values:
        assert v.key == key
        name = (
            "company"
            if v.scope == "company"
            else f"{v.scope}:{shop.names.get((v.scope, v.member), v.member)}"
        )
        series[name][v.period] = v.value
    return {name: [per[p] for p in sorted(per)] for name, per in series.items()}


def quarters(shop, key):
    """Q1 2026 and Q2 2026 (open: up to the 15th of April)."""
    return measure(shop, key, grain="quarter", first=JAN, last=date(2026, 6, 30))


def years(shop, key):
    """2025 and 2026 (open: up to 15 April)."""
    return measure(shop, key, grain="year", first=date(2025, 1, 1), last=date(2026, 12, 31))


# -- revenue, orders, order value ---------------------------------------------------------


@covers("revenue")
def test_revenue_is_net_of_returns_in_local_months(shop):
    m = measure(shop, "revenue")
    # Jan: C1 web 100 + C2 phone 50 = 150
    # Feb: nothing: C1's 300 was placed 28 Feb 23:30 UTC = 1 March 00:30 in Amsterdam
    # Mar: C1 300 - return 20 + C2 50 + 70 - C4 return 30 = 370
    # Apr: C1 edi 150 (C2's 999 on 20 April is after the as-of date)
    assert m["company"] == approx([150, 0, 370, 150])
    assert m["department:Noord"] == approx([150, 0, 400, 150])  # C1 + C2
    assert m["department:Zuid"] == approx([0, 0, -30, 0])  # C4's return
    assert m["rep:anna"] == approx([100, 0, 280, 150])
    assert m["rep:bram"] == approx([50, 0, 120, 0])
    assert m["country:NL"] == approx([100, 0, 280, 150])
    assert m["country:BE"] == approx([50, 0, 120, 0])
    assert m["country:DE"] == approx([0, 0, -30, 0])
    assert sorted(m) == [
        "company",
        "country:BE",
        "country:DE",
        "country:NL",
        "department:Noord",
        "department:Zuid",
        "rep:anna",
        "rep:bram",
    ]
    # Q1 = 150 + 0 + 370 = 520; Q2 so far = 150
    assert quarters(shop, "revenue")["company"] == approx([520, 150])
    # 2025: C1 200 + C3 300 + C4 80 = 580; 2026 up to 15 April: 520 + 150 = 670
    assert years(shop, "revenue")["company"] == approx([580, 670])


@covers("gross_revenue")
def test_gross_revenue_leaves_returns_out(shop):
    m = measure(shop, "gross_revenue")
    # Mar: C1 300 + C2 50 + 70 = 420 (the returns of 20 and 30 do not count)
    assert m["company"] == approx([150, 0, 420, 150])
    assert m["department:Noord"] == approx([150, 0, 420, 150])
    assert m["department:Zuid"] == approx([0, 0, 0, 0])
    assert m["rep:bram"] == approx([50, 0, 120, 0])
    assert quarters(shop, "gross_revenue")["company"] == approx([570, 150])  # 150 + 420


@covers("returns_amount")
def test_returned_value_is_positive(shop):
    m = measure(shop, "returns_amount")
    # Mar: C1 20 + C4 30 = 50
    assert m["company"] == approx([0, 0, 50, 0])
    assert m["department:Noord"] == approx([0, 0, 20, 0])
    assert m["department:Zuid"] == approx([0, 0, 30, 0])
    assert m["rep:anna"] == approx([0, 0, 20, 0])
    assert m["rep:bram"] == approx([0, 0, 0, 0])
    assert m["country:DE"] == approx([0, 0, 30, 0])
    assert years(shop, "returns_amount")["company"] == approx([0, 50])


@covers("online_revenue")
def test_online_revenue_is_net_revenue_of_online_channels(shop):
    m = measure(shop, "online_revenue")
    # Jan: C1 web 100; Mar: C1 web 300 - web return 20 = 280; Apr: C1 edi 150
    assert m["company"] == approx([100, 0, 280, 150])
    assert m["rep:bram"] == approx([0, 0, 0, 0])  # C2 phone/email only, C3 silent
    assert m["department:Zuid"] == approx([0, 0, 0, 0])  # C4's phone return is offline
    # 2025: C3 edi 3 x 100 = 300; 2026: 100 + 280 + 150 = 530
    assert years(shop, "online_revenue")["company"] == approx([300, 530])


@covers("ecommerce_share")
def test_ecommerce_share_is_online_over_total_net_revenue(shop):
    m = measure(shop, "ecommerce_share")
    # Jan 100 / 150 = 66.67 %; Feb no revenue: no data; Mar 280 / 370 = 75.68 %; Apr 150 / 150
    assert m["company"] == approx([100 / 150 * 100, NO_DATA, 280 / 370 * 100, 100])
    # Noord Mar: 280 / (280 + 120) = 70 %
    assert m["department:Noord"] == approx([100 / 150 * 100, NO_DATA, 70, 100])
    # Zuid: only C4's offline return in March: 0 / -30 = 0 % (not "-0 %")
    assert m["department:Zuid"] == approx([NO_DATA, NO_DATA, 0, NO_DATA])
    assert math.copysign(1, m["department:Zuid"][2]) == 1
    assert m["rep:bram"] == approx([0, NO_DATA, 0, NO_DATA])
    # Q1: (100 + 280) / 520 = 73.08 %
    assert quarters(shop, "ecommerce_share")["company"] == approx([380 / 520 * 100, 100])


@covers("orders")
def test_orders_count_non_return_orders(shop):
    m = measure(shop, "orders")
    # Jan: O2, O5; Mar: O3, O6, O7 (returns R1, R2 are not orders); Apr: O4
    assert m["company"] == approx([2, 0, 3, 1])
    assert m["department:Noord"] == approx([2, 0, 3, 1])
    assert m["department:Zuid"] == approx([0, 0, 0, 0])
    assert m["rep:anna"] == approx([1, 0, 1, 1])
    assert m["rep:bram"] == approx([1, 0, 2, 0])
    assert m["country:BE"] == approx([1, 0, 2, 0])
    assert quarters(shop, "orders")["company"] == approx([5, 1])
    # 2025: O1, O9, O10, O11, O12; 2026: O2-O7
    assert years(shop, "orders")["company"] == approx([5, 6])


@covers("online_orders")
def test_online_orders_count_non_return_orders_through_online_channels(shop):
    m = measure(shop, "online_orders")
    # Jan O2 web, Mar O3 web (R1 is a return), Apr O4 edi
    assert m["company"] == approx([1, 0, 1, 1])
    assert m["rep:bram"] == approx([0, 0, 0, 0])
    assert years(shop, "online_orders")["company"] == approx([3, 3])  # 2025: C3's 3 edi


@covers("aov")
def test_aov_is_gross_revenue_per_order(shop):
    m = measure(shop, "aov")
    # Jan 150 / 2 = 75; Feb no orders; Mar 420 / 3 = 140; Apr 150 / 1
    assert m["company"] == approx([75, NO_DATA, 140, 150])
    assert m["rep:anna"] == approx([100, NO_DATA, 300, 150])
    assert m["rep:bram"] == approx([50, NO_DATA, 60, NO_DATA])  # Mar (50 + 70) / 2
    assert m["department:Zuid"] == approx([NO_DATA] * 4)
    assert quarters(shop, "aov")["company"] == approx([114, 150])  # Q1 570 / 5


@covers("online_aov")
def test_online_aov_is_online_gross_revenue_per_online_order(shop):
    m = measure(shop, "online_aov")
    # Mar: the web order of 300; the web return of 20 does not lower the order value
    assert m["company"] == approx([100, NO_DATA, 300, 150])
    assert m["rep:bram"] == approx([NO_DATA] * 4)
    # 2025: 300 / 3 = 100; 2026: (100 + 300 + 150) / 3
    assert years(shop, "online_aov")["company"] == approx([100, 550 / 3])


@covers("order_frequency")
def test_order_frequency_is_orders_per_ordering_customer(shop):
    m = measure(shop, "order_frequency")
    # Jan: 2 orders / 2 customers; Mar: 3 orders / 2 customers (C1 1, C2 2)
    assert m["company"] == approx([1, NO_DATA, 1.5, 1])
    assert m["rep:bram"] == approx([1, NO_DATA, 2, NO_DATA])
    # Q1: 5 orders / 2 customers (C1: 2, C2: 3)
    assert quarters(shop, "order_frequency")["company"] == approx([2.5, 1])


@covers("returns_rate")
def test_returns_rate_is_returned_over_gross_value(shop):
    m = measure(shop, "returns_rate")
    # Mar: 50 / 420 = 11.9 %
    assert m["company"] == approx([0, NO_DATA, 50 / 420 * 100, 0])
    assert m["department:Noord"] == approx([0, NO_DATA, 20 / 420 * 100, 0])
    # Zuid returned 30 but sold nothing: no gross revenue, no rate
    assert m["department:Zuid"] == approx([NO_DATA] * 4)
    assert quarters(shop, "returns_rate")["company"] == approx([50 / 570 * 100, 0])


@covers("revenue_by_channel")
def test_revenue_by_channel_is_net_revenue_per_channel_code(shop):
    m = measure(shop, "revenue_by_channel")
    assert sorted(m) == [
        f"channel:{code}"
        for code in ("app", "edi", "email", "fax", "offline", "phone", "s2s", "web")
    ]
    assert m["channel:web"] == approx([100, 0, 280, 0])  # Mar: 300 - return 20
    assert m["channel:phone"] == approx([50, 0, 20, 0])  # Mar: C2 50 - C4's return 30
    assert m["channel:email"] == approx([0, 0, 70, 0])
    assert m["channel:edi"] == approx([0, 0, 0, 150])
    assert m["channel:app"] == approx([0, 0, 0, 0])
    y = years(shop, "revenue_by_channel")
    assert y["channel:edi"] == approx([300, 150])
    assert y["channel:phone"] == approx([280, 70])  # 2025: 200 + 80; 2026: 50 + 50 - 30


@covers("orders_by_channel")
def test_orders_by_channel_counts_non_return_orders_per_channel(shop):
    m = measure(shop, "orders_by_channel")
    assert m["channel:web"] == approx([1, 0, 1, 0])  # R1 is a return
    assert m["channel:phone"] == approx([1, 0, 1, 0])  # R2 is a return
    assert m["channel:email"] == approx([0, 0, 1, 0])
    assert m["channel:edi"] == approx([0, 0, 0, 1])
    assert quarters(shop, "orders_by_channel")["channel:phone"] == approx([2, 0])


# -- customers -----------------------------------------------------------------------------


@covers("active_customers")
def test_active_customers_ordered_in_the_trailing_12_calendar_months(shop):
    m = measure(shop, "active_customers")
    # C4's only order (March 2025) is in Feb 2025-Jan 2026 and Mar 2025-Feb 2026, not after
    assert m["company"] == approx([4, 4, 3, 3])
    assert m["department:Noord"] == approx([2, 2, 2, 2])
    assert m["department:Zuid"] == approx([2, 2, 1, 1])
    assert m["rep:anna"] == approx([1, 1, 1, 1])
    assert m["rep:bram"] == approx([2, 2, 2, 2])
    assert m["country:DE"] == approx([1, 1, 0, 0])
    # A quarter counts at its last month (Q1: March; Q2 so far: April)
    assert quarters(shop, "active_customers")["company"] == approx([3, 3])
    # End of 2025: C1, C3, C4
    assert years(shop, "active_customers")["company"] == approx([3, 3])


@covers("online_adoption")
def test_online_adoption_is_the_share_of_active_customers_buying_online(shop):
    m = measure(shop, "online_adoption")
    # Online in the trailing 12 months: C1 (web from January) and C3 (edi in Oct-Nov 2025)
    # Jan, Feb: 2 of 4 active; Mar, Apr: 2 of 3
    assert m["company"] == approx([50, 50, 200 / 3, 200 / 3])
    assert m["department:Noord"] == approx([50] * 4)  # C1 of C1, C2
    assert m["department:Zuid"] == approx([50, 50, 100, 100])  # C3 of C3, C4; then C3 of C3
    assert m["rep:anna"] == approx([100] * 4)
    assert m["rep:bram"] == approx([50] * 4)
    assert m["country:DE"] == approx([0, 0, NO_DATA, NO_DATA])
    # End of 2025: only C3 of C1, C3, C4 (C1 bought by phone in 2025)
    assert years(shop, "online_adoption")["company"] == approx([100 / 3, 200 / 3])


@covers("online_adoption_revenue")
def test_revenue_weighted_online_adoption(shop):
    m = measure(shop, "online_adoption_revenue")
    # Trailing-12-month net revenue of adopters (C1, C3) / of all active customers:
    # Jan, Feb: (300 + 300) / (300 + 50 + 300 + 80) = 600 / 730
    # Mar: (580 + 300) / (580 + 170 + 300) = 880 / 1050; Apr: (730 + 300) / 1200
    assert m["company"] == approx(
        [600 / 730 * 100, 600 / 730 * 100, 880 / 1050 * 100, 1030 / 1200 * 100]
    )
    # Noord: C1 / (C1 + C2): 300 / 350, 300 / 350, 580 / 750, 730 / 900
    assert m["department:Noord"] == approx(
        [300 / 350 * 100, 300 / 350 * 100, 580 / 750 * 100, 730 / 900 * 100]
    )
    # Zuid: C3 300 / (300 + C4 80) while C4 is active, then C3 alone
    assert m["department:Zuid"] == approx([300 / 380 * 100, 300 / 380 * 100, 100, 100])
    assert m["country:DE"] == approx([0, 0, NO_DATA, NO_DATA])
    assert quarters(shop, "online_adoption_revenue")["company"] == approx(
        [880 / 1050 * 100, 1030 / 1200 * 100]
    )


@covers("new_customers")
def test_new_customers_placed_their_first_order_in_the_period(shop):
    m = measure(shop, "new_customers")
    # First orders: C4 2025-03-01, C1 2025-06-10, C3 2025-10-01, C2 2026-01-20
    assert m["company"] == approx([1, 0, 0, 0])
    assert m["department:Noord"] == approx([1, 0, 0, 0])
    assert m["department:Zuid"] == approx([0, 0, 0, 0])
    assert m["rep:bram"] == approx([1, 0, 0, 0])
    assert m["country:BE"] == approx([1, 0, 0, 0])
    assert quarters(shop, "new_customers")["company"] == approx([1, 0])
    assert years(shop, "new_customers")["company"] == approx([3, 1])


@covers("existing_customers")
def test_existing_customers_are_active_and_not_new(shop):
    m = measure(shop, "existing_customers")
    # Jan: 4 active - C2 (new) = 3; Feb: 4; Mar, Apr: 3
    assert m["company"] == approx([3, 4, 3, 3])
    assert m["department:Noord"] == approx([1, 2, 2, 2])
    assert m["rep:bram"] == approx([1, 2, 2, 2])
    assert m["department:Zuid"] == approx([2, 2, 1, 1])
    # Q1: 3 active at the end of March - C2, new in Q1 = 2
    assert quarters(shop, "existing_customers")["company"] == approx([2, 3])
    # 2025: C1, C3, C4 are active but all new in 2025; 2026: C1, C3
    assert years(shop, "existing_customers")["company"] == approx([0, 2])


@covers("churned_customers")
def test_churned_customers_passed_k_times_their_median_gap(shop):
    m = measure(shop, "churned_customers")
    # C3 orders 1 Oct, 31 Oct, 30 Nov: median gap 30 days, threshold 2.5 x 30 = 75 days;
    #   silent for more than 75 days on 30 Nov + 76 = 14 Feb 2026 -> churned in February
    # C4 has 1 order day (< 3): threshold 365 days; 1 Mar 2025 + 366 = 2 Mar 2026 -> March
    # C1 order days (local) 10 Jun 2025, 15 Jan, 1 Mar, 2 Apr 2026: gaps 219, 45, 32 days,
    #   median 45, threshold 112.5: churned 10 Jun 2025 + 113 = 1 Oct 2025 (then came back)
    # C2 order days 20 Jan, 5 Mar, 20 Mar: gaps 44, 15, threshold 73.75: not yet
    assert m["company"] == approx([0, 1, 1, 0])
    assert m["department:Zuid"] == approx([0, 1, 1, 0])
    assert m["department:Noord"] == approx([0, 0, 0, 0])
    assert m["rep:bram"] == approx([0, 1, 0, 0])
    assert m["country:NL"] == approx([0, 1, 0, 0])
    assert m["country:DE"] == approx([0, 0, 1, 0])
    assert quarters(shop, "churned_customers")["company"] == approx([2, 0])
    y = years(shop, "churned_customers")
    assert y["company"] == approx([1, 2])
    assert y["rep:anna"] == approx([1, 0])
    # C1's churn day depends on 300 being a 1 March order (local): with 28 February the
    # median gap would be 44 days and the churn day 29 September.
    autumn = measure(shop, "churned_customers", first=date(2025, 9, 1), last=date(2025, 10, 31))
    assert autumn["rep:anna"] == approx([0, 1])


@covers("churn_rate")
def test_churn_rate_is_churned_over_customers_active_at_the_start(shop):
    m = measure(shop, "churn_rate")
    # Active at the start = active at the end of the month before:
    # Jan: 0 of 3 (C1, C3, C4 in Jan-Dec 2025); Feb: C3 of 4; Mar: C4 of 4; Apr: 0 of 3
    assert m["company"] == approx([0, 25, 25, 0])
    assert m["department:Zuid"] == approx([0, 50, 50, 0])  # of C3, C4 / C3, C4 / C3
    assert m["department:Noord"] == approx([0, 0, 0, 0])
    assert m["rep:bram"] == approx([0, 50, 0, 0])  # Feb: C3 of C2, C3
    # Q1: C3, C4 of C1, C3, C4 active at the end of 2025
    assert quarters(shop, "churn_rate")["company"] == approx([200 / 3, 0])
    # 2025: C1 churned (1 Oct) but no one was active at the end of 2024: a churner who was
    # not active at the start counts in the base too, so the rate stays within 0-100 %.
    assert years(shop, "churn_rate")["company"] == approx([100, 200 / 3])


@covers("share_of_wallet")
def test_share_of_wallet_is_trailing_net_revenue_over_the_estimated_wallet(shop):
    m = measure(shop, "share_of_wallet")
    # Active customers with a wallet: C1 (10 000) and C3 (2 000)
    # Jan, Feb: (300 + 300) / 12 000 = 5 %; Mar: (580 + 300) / 12 000; Apr: (730 + 300) / 12 000
    assert m["company"] == approx([5, 5, 880 / 120, 1030 / 120])
    assert m["department:Zuid"] == approx([15] * 4)  # C3: 300 / 2000
    assert m["rep:anna"] == approx([3, 3, 5.8, 7.3])  # C1: 300, 580, 730 of 10 000
    assert m["rep:bram"] == approx([15] * 4)  # C2 has no wallet: left out
    assert m["country:BE"] == approx([NO_DATA] * 4)
    assert quarters(shop, "share_of_wallet")["company"] == approx([880 / 120, 1030 / 120])


@covers("returns_only_customers")
def test_returns_only_customers_only_returned_in_the_last_90_days(shop):
    m = measure(shop, "returns_only_customers")
    # C4: a return on 15 March and no order in the 90 days up to 31 March / 15 April
    # C1 returned on 10 March too, but also ordered on 1 March
    assert m["company"] == approx([0, 0, 1, 1])
    assert m["department:Zuid"] == approx([0, 0, 1, 1])
    assert m["department:Noord"] == approx([0, 0, 0, 0])
    assert m["country:DE"] == approx([0, 0, 1, 1])
    assert m["rep:anna"] == approx([0, 0, 0, 0])
    assert quarters(shop, "returns_only_customers")["company"] == approx([1, 1])
    assert years(shop, "returns_only_customers")["company"] == approx([0, 1])


@covers("koesterklanten")
def test_koesterklanten_are_the_top_decile_by_trailing_online_revenue(shop):
    m = measure(shop, "koesterklanten")
    # Customers with online revenue: C1 (100, 100, 380, 530) and C3 (300): the top 10 % of 2
    # is 1 customer: C3 in Jan and Feb, C1 from March (with C1's 300 counted in February,
    # C1 would have led there too: 400 > 300)
    assert m["company"] == approx([1, 1, 1, 1])
    assert m["rep:anna"] == approx([0, 0, 1, 1])
    assert m["rep:bram"] == approx([1, 1, 0, 0])
    assert m["department:Noord"] == approx([0, 0, 1, 1])
    assert m["department:Zuid"] == approx([1, 1, 0, 0])
    assert years(shop, "koesterklanten")["rep:bram"] == approx([1, 0])  # 2025: C3 alone


def test_koesterklant_ranking_ignores_cent_residues_of_float_sums(in_tenant):
    tenant = in_tenant
    channels = channels_ensure(tenant=tenant)
    for i in range(10):  # online revenue 100 ... 1000 in March 2026
        customer = Customer.objects.create(tenant=tenant, external_id=f"T{i}", name=f"T{i}")
        Order.objects.create(
            tenant=tenant,
            external_id=f"T{i}",
            customer=customer,
            placed_at=utc(2026, 3, 10, 10),
            amount=Decimal(100 * (i + 1)),
            channel=channels["web"],
        )
    # Z: 0.10 in March 2025 (just outside the 12 months up to March 2026), then 0.20 bought
    # and returned inside them: no online revenue in the window, not even 1e-17 of it.
    z = Customer.objects.create(tenant=tenant, external_id="Z", name="Z")
    for ext, when, amount in [
        ("Z1", utc(2025, 3, 10, 10), "0.10"),
        ("Z2", utc(2025, 4, 10, 10), "0.20"),
        ("Z3", utc(2025, 5, 10, 10), "-0.20"),
    ]:
        Order.objects.create(
            tenant=tenant,
            external_id=ext,
            customer=z,
            placed_at=when,
            amount=Decimal(amount),
            channel=channels["web"],
            is_return=amount.startswith("-"),
        )
    values = compute(
        tenant=tenant,
        keys=["koesterklanten"],
        grain="month",
        first=date(2026, 3, 1),
        last=date(2026, 3, 31),
        as_of=AS_OF,
        scopes=["company"],
    )
    # 10 customers with online revenue: the top 10 % is 1 customer (the 1000)
    assert [v.value for v in values] == [1]


# -- web --------------------------------------------------------------------------------------


@covers("logins")
def test_logins_count_login_events(shop):
    m = measure(shop, "logins")
    # Jan K2; Mar K1 twice + K4; K3's login at 22:30 UTC on 31 March is 1 April local
    assert m["company"] == approx([1, 0, 3, 1])
    assert m["rep:anna"] == approx([1, 0, 2, 0])
    assert m["rep:bram"] == approx([0, 0, 1, 1])
    assert m["department:Zuid"] == approx([0, 0, 1, 0])
    assert quarters(shop, "logins")["company"] == approx([4, 1])


@covers("web_sessions")
def test_web_sessions_count_session_events(shop):
    m = measure(shop, "web_sessions")
    # Jan C1 x2; Feb C1; Mar C2 x2 + C4; Apr C1 (the one on 20 April is after the as-of date)
    assert m["company"] == approx([2, 1, 3, 1])
    assert m["department:Noord"] == approx([2, 1, 2, 1])
    assert m["country:DE"] == approx([0, 0, 1, 0])
    assert quarters(shop, "web_sessions")["company"] == approx([6, 1])


@covers("downloads", "catalogue_requests", "sample_requests", "web_accounts_created")
def test_web_activity_counts_per_kind(shop):
    downloads = measure(shop, "downloads")
    assert downloads["company"] == approx([2, 0, 1, 0])  # C1 x2 in Jan, C3 in Mar
    assert downloads["department:Zuid"] == approx([0, 0, 1, 0])
    catalogue = measure(shop, "catalogue_requests")
    assert catalogue["company"] == approx([0, 1, 0, 0])  # C2 in Feb
    assert catalogue["country:BE"] == approx([0, 1, 0, 0])
    samples = measure(shop, "sample_requests")
    assert samples["company"] == approx([0, 1, 0, 0])  # C3 in Feb
    assert samples["rep:bram"] == approx([0, 1, 0, 0])
    created = measure(shop, "web_accounts_created")
    assert created["company"] == approx([1, 0, 0, 0])  # K2 at C1 in Jan
    assert created["rep:anna"] == approx([1, 0, 0, 0])
    assert years(shop, "downloads")["company"] == approx([0, 3])
    assert quarters(shop, "catalogue_requests")["company"] == approx([1, 0])
    assert quarters(shop, "sample_requests")["company"] == approx([1, 0])
    assert years(shop, "web_accounts_created")["company"] == approx([0, 1])


@covers("active_web_users_share")
def test_active_web_users_are_web_account_holders_who_logged_in(shop):
    m = measure(shop, "active_web_users_share")
    # Web accounts: K1, K2 (C1), K3 (C2) = 3; K4 (C3) has none, so its login does not count
    # Jan K2 1/3; Feb 0; Mar K1 (twice: one user) 1/3; Apr K3 1/3
    assert m["company"] == approx([100 / 3, 0, 100 / 3, 100 / 3])
    assert m["rep:anna"] == approx([50, 0, 50, 0])  # of K1, K2
    assert m["rep:bram"] == approx([0, 0, 0, 100])  # of K3
    assert m["department:Zuid"] == approx([NO_DATA] * 4)  # no web accounts
    # Q1: K1 and K2 logged in: 2 of 3 (distinct users in the quarter)
    assert quarters(shop, "active_web_users_share")["company"] == approx([200 / 3, 100 / 3])


@covers("conversion")
def test_conversion_is_online_orders_per_web_session(shop):
    m = measure(shop, "conversion")
    # Jan 1 / 2; Feb 0 / 1; Mar 1 / 3; Apr 1 / 1
    assert m["company"] == approx([50, 0, 100 / 3, 100])
    assert m["rep:anna"] == approx([50, 0, NO_DATA, 100])  # Mar: an order, no session
    assert m["rep:bram"] == approx([NO_DATA, NO_DATA, 0, NO_DATA])
    assert quarters(shop, "conversion")["company"] == approx([200 / 6, 100])  # Q1 2 / 6


@covers("web_influenced_revenue")
def test_web_influenced_revenue_is_offline_orders_within_n_days_after_a_session(shop):
    m = measure(shop, "web_influenced_revenue")
    # O6 (phone 50, 5 March) came 4 days after C2's session of 1 March: influenced.
    # O7 (email 70, 20 March): the session after it does not count. R2 is a return. C1's
    # web and edi orders after sessions are online, not influenced.
    assert m["company"] == approx([0, 0, 50, 0])
    assert m["department:Noord"] == approx([0, 0, 50, 0])
    assert m["department:Zuid"] == approx([0, 0, 0, 0])
    assert m["rep:bram"] == approx([0, 0, 50, 0])
    assert m["rep:anna"] == approx([0, 0, 0, 0])
    assert quarters(shop, "web_influenced_revenue")["company"] == approx([50, 0])


def test_the_web_influence_window_is_the_tenants_setting(shop):
    shop.tenant.web_influence_days = 3  # 4 days between session and order: too long
    assert measure(shop, "web_influenced_revenue")["company"] == approx([0, 0, 0, 0])
    shop.tenant.web_influence_days = 4  # exactly 4 days: inside the window
    assert measure(shop, "web_influenced_revenue")["company"] == approx([0, 0, 50, 0])


def test_churn_k_is_the_tenants_setting_and_churn_is_judged_as_of_a_date(shop):
    shop.tenant.churn_k = Decimal("5")
    # C1: threshold 5 x 45 = 225 > 219 days: never churned. C3: 5 x 30 = 150 days:
    # 30 Nov + 151 = 30 April, after the as-of date. C4: fewer than 3 orders, still 365 days.
    assert measure(shop, "churned_customers")["company"] == approx([0, 0, 1, 0])
    assert years(shop, "churned_customers")["company"] == approx([0, 1])
    later = measure(shop, "churned_customers", last=date(2026, 5, 31), as_of=date(2026, 5, 31))
    assert later["company"] == approx([0, 0, 1, 1, 0])  # C3 churns on 30 April


# -- experience and platform --------------------------------------------------------------


@covers("nps")
def test_nps_is_percent_promoters_minus_percent_detractors(shop):
    m = measure(shop, "nps")
    # Jan: one 0 -> -100. Mar: 10, 6, 8, 9: (2 promoters - 1 detractor) / 4 = 25.
    # The 10 of 16 April is after the as-of date.
    assert m["company"] == approx([-100, NO_DATA, 25, NO_DATA])
    assert m["department:Noord"] == approx([-100, NO_DATA, 100 / 3, NO_DATA])  # 10, 6, 9
    assert m["department:Zuid"] == approx([NO_DATA, NO_DATA, 0, NO_DATA])  # a passive 8
    assert m["rep:anna"] == approx([NO_DATA, NO_DATA, 100, NO_DATA])  # 10, 9
    assert m["rep:bram"] == approx([-100, NO_DATA, -50, NO_DATA])  # 6, 8
    assert m["country:NL"] == approx([NO_DATA, NO_DATA, 200 / 3, NO_DATA])  # 10, 8, 9
    # Q1: 0, 10, 6, 8, 9: (2 - 2) / 5 = 0
    assert quarters(shop, "nps")["company"] == approx([0, NO_DATA])


@covers("ces")
def test_ces_is_the_mean_effort_score(shop):
    m = measure(shop, "ces")
    # Jan: (2 + 5) / 2; Apr: 7
    assert m["company"] == approx([3.5, NO_DATA, NO_DATA, 7])
    assert m["rep:anna"] == approx([2, NO_DATA, NO_DATA, NO_DATA])
    assert m["rep:bram"] == approx([5, NO_DATA, NO_DATA, 7])
    assert m["department:Zuid"] == approx([NO_DATA, NO_DATA, NO_DATA, 7])
    assert years(shop, "ces")["company"] == approx([NO_DATA, 14 / 3])


@covers("platform_uptime", "page_load_ms")
def test_platform_metrics_are_means_of_the_daily_samples(shop):
    uptime = measure(shop, "platform_uptime")
    # Mar: (99.5 + 100) / 2 (3 March has no uptime); Apr: 98 (20 April is after the as-of date)
    assert uptime == {"company": approx([NO_DATA, NO_DATA, 99.75, 98])}
    assert years(shop, "platform_uptime")["company"] == approx([NO_DATA, 297.5 / 3])
    load = measure(shop, "page_load_ms")
    # Mar: (800 + 1000 + 1200) / 3; Apr: no page-load sample
    assert load == {"company": approx([NO_DATA, NO_DATA, 1000, NO_DATA])}
    assert quarters(shop, "page_load_ms")["company"] == approx([1000, NO_DATA])


# -- funnel -----------------------------------------------------------------------------------


@covers(
    "funnel_sessions",
    "funnel_first_identifier",
    "funnel_second_identifier",
    "funnel_mql",
    "funnel_sql",
    "funnel_won",
)
def test_funnel_stage_counts(shop):
    counts = {
        key: measure(shop, key)
        for key in (
            "funnel_sessions",
            "funnel_first_identifier",
            "funnel_second_identifier",
            "funnel_mql",
            "funnel_sql",
            "funnel_won",
        )
    }
    assert all(list(m) == ["company"] for m in counts.values())
    assert counts["funnel_sessions"]["company"] == approx([2, 1, 3, 1])  # = web sessions
    # L5 at 22:30 UTC on 31 March is April local; L6 is after the as-of date
    assert counts["funnel_first_identifier"]["company"] == approx([2, 0, 2, 1])
    assert counts["funnel_second_identifier"]["company"] == approx([1, 0, 1, 0])
    assert counts["funnel_mql"]["company"] == approx([1, 0, 1, 0])
    assert counts["funnel_sql"]["company"] == approx([0, 0, 1, 0])
    # Won at 21:30 UTC on 31 March = 23:30 local: still March
    assert counts["funnel_won"]["company"] == approx([0, 0, 1, 0])
    # Q1 and Q2 so far
    expected = {
        "funnel_sessions": [6, 1],
        "funnel_first_identifier": [4, 1],
        "funnel_second_identifier": [2, 0],
        "funnel_mql": [2, 0],
        "funnel_sql": [1, 0],
        "funnel_won": [1, 0],
    }
    for key, values in expected.items():
        assert quarters(shop, key) == {"company": approx(values)}, key


@covers(
    "funnel_conversion_first_identifier",
    "funnel_conversion_second_identifier",
    "funnel_conversion_mql",
    "funnel_conversion_sql",
    "funnel_conversion_won",
)
def test_funnel_conversions_divide_each_stage_by_the_one_before(shop):
    def company(key, grain="month"):
        m = measure(shop, key) if grain == "month" else quarters(shop, key)
        return m["company"]

    # first identifiers / sessions: Jan 2/2, Feb 0/1, Mar 2/3, Apr 1/1
    assert company("funnel_conversion_first_identifier") == approx([100, 0, 200 / 3, 100])
    # second / first: Jan 1/2, Feb none, Mar 1/2, Apr 0/1
    assert company("funnel_conversion_second_identifier") == approx([50, NO_DATA, 50, 0])
    # MQL / second: Jan 1/1, Mar 1/1
    assert company("funnel_conversion_mql") == approx([100, NO_DATA, 100, NO_DATA])
    # SQL / MQL: Jan 0/1, Mar 1/1
    assert company("funnel_conversion_sql") == approx([0, NO_DATA, 100, NO_DATA])
    # won / SQL: Mar 1/1
    assert company("funnel_conversion_won") == approx([NO_DATA, NO_DATA, 100, NO_DATA])
    # Q1: sessions 6, first 4, second 2, MQL 2, SQL 1, won 1
    assert company("funnel_conversion_first_identifier", "quarter") == approx([400 / 6, 100])
    assert company("funnel_conversion_second_identifier", "quarter") == approx([50, 0])
    assert company("funnel_conversion_mql", "quarter") == approx([100, NO_DATA])
    assert company("funnel_conversion_sql", "quarter") == approx([50, NO_DATA])
    assert company("funnel_conversion_won", "quarter") == approx([100, NO_DATA])


# -- periods, no data, query count, coverage ---------------------------------------------------


def test_fiscal_years_from_july(shop):
    shop.tenant.fiscal_year_start_month = 7
    fiscal_years = measure(
        shop, "revenue", grain="year", first=date(2025, 1, 1), last=date(2026, 6, 30)
    )
    # FY Jul 2024-Jun 2025: C4 80 + C1 200; FY Jul 2025-Jun 2026 (to 15 April): C3 300 + 670
    assert fiscal_years["company"] == approx([280, 970])
    quarter_starts = [
        v.period
        for v in compute(
            tenant=shop.tenant,
            keys=["revenue"],
            grain="quarter",
            first=date(2025, 8, 1),
            last=date(2026, 12, 31),
            as_of=AS_OF,
            scopes=["company"],
        )
    ]
    # Periods start on fiscal quarters and stop at the as-of date
    assert quarter_starts == [
        date(2025, 7, 1),
        date(2025, 10, 1),
        date(2026, 1, 1),
        date(2026, 4, 1),
    ]
    fiscal_quarters = measure(
        shop, "revenue", grain="quarter", first=date(2025, 8, 1), last=date(2026, 12, 31)
    )
    assert fiscal_quarters["company"] == approx([0, 300, 520, 150])
    # End of FY2025 (June 2025): C4 (March 2025) and C1 (June 2025) are active
    active = measure(
        shop, "active_customers", grain="year", first=date(2025, 1, 1), last=date(2026, 6, 30)
    )
    assert active["company"] == approx([2, 3])


def test_no_data_gives_none_for_ratios_and_zero_for_counts(shop):
    # February has no orders: no e-commerce share, no order value, but zero revenue
    feb = {"first": date(2026, 2, 1), "last": date(2026, 2, 28)}
    assert measure(shop, "ecommerce_share", **feb)["company"] == [None]
    assert measure(shop, "aov", **feb)["company"] == [None]
    assert measure(shop, "revenue", **feb)["company"] == [0]


def test_a_total_that_cancels_out_in_floats_is_still_no_data(in_tenant):
    tenant = in_tenant
    channels = channels_ensure(tenant=tenant)
    for ext, amount, channel in [
        ("A", "0.10", "web"),
        ("B", "0.20", "phone"),
        ("C", "-0.30", "web"),
    ]:
        customer = Customer.objects.create(tenant=tenant, external_id=ext, name=ext)
        Order.objects.create(
            tenant=tenant,
            external_id=ext,
            customer=customer,
            placed_at=utc(2026, 3, 10, 10),
            amount=Decimal(amount),
            channel=channels[channel],
            is_return=amount.startswith("-"),
        )
    values = compute(
        tenant=tenant,
        keys=["ecommerce_share"],
        grain="month",
        first=date(2026, 3, 1),
        last=date(2026, 3, 31),
        as_of=AS_OF,
        scopes=["company"],
    )
    # Net revenue 0.10 + 0.20 - 0.30 = 0: no e-commerce share (not -0.2 / 5.6e-17)
    assert [v.value for v in values] == [None]


def test_an_empty_tenant_has_zero_counts_and_no_ratios(other_tenant):
    with tenant_context(other_tenant):
        values = compute(
            tenant=other_tenant, keys=metric_keys(), grain="month", first=JAN, last=APR, as_of=AS_OF
        )
    assert values
    for v in values:
        m = CATALOGUE[v.key]
        expected = 0 if (m.additive or m.unit == "count") else None
        assert v.value == expected, v


def test_periods_after_the_as_of_date_are_left_out(shop):
    m = measure(shop, "revenue", first=JAN, last=date(2026, 12, 31), as_of=AS_OF)
    assert m["company"] == approx([150, 0, 370, 150])  # January-April only


def test_a_range_after_the_as_of_date_has_no_periods(shop):
    values = compute(
        tenant=shop.tenant,
        keys=metric_keys(),
        grain="month",
        first=date(2026, 5, 1),
        last=date(2026, 6, 30),
        as_of=AS_OF,
    )
    assert values == []


def _add_customers(tenant, channels, first: int, count: int) -> None:
    for i in range(first, first + count):
        department = DepartmentFactory(tenant=tenant, name=f"Afdeling {i}")
        rep = MembershipFactory(tenant=tenant, user=UserFactory(username=f"rep{i}"), role="rep")
        customer = Customer.objects.create(
            tenant=tenant,
            external_id=f"Q{i}",
            name=f"Klant {i}",
            department=department,
            account_manager=rep,
            country=("NL", "BE", "DE")[i % 3],
            estimated_wallet=Decimal("1000.00"),
        )
        contact = Contact.objects.create(
            tenant=tenant, external_id=f"QK{i}", customer=customer, name="X", has_web_account=True
        )
        for n, (day, amount, channel) in enumerate(
            [(3, "100.00", "web"), (9, "40.00", "phone"), (12, "-10.00", "web")]
        ):
            Order.objects.create(
                tenant=tenant,
                external_id=f"Q{i}-{n}",
                customer=customer,
                placed_at=utc(2026, 1 + i % 3, day, 10),
                amount=Decimal(amount),
                channel=channels[channel],
                is_return=amount.startswith("-"),
            )
        for n, kind in enumerate(WebActivity.Kind.values):
            WebActivity.objects.create(
                tenant=tenant,
                external_id=f"QW{i}-{n}",
                customer=customer,
                contact=contact,
                kind=kind,
                occurred_at=utc(2026, 1 + i % 3, 8, 10),
            )
        SurveyResponse.objects.create(
            tenant=tenant,
            external_id=f"QS{i}",
            customer=customer,
            kind="nps",
            score=i % 11,
            answered_on=date(2026, 2, 1 + i % 28),
        )
        FunnelEvent.objects.create(
            tenant=tenant,
            external_id=f"QF{i}",
            lead_ref=f"L{i}",
            stage="first_identifier",
            occurred_at=utc(2026, 3, 1 + i % 28, 10),
        )
        PlatformSample.objects.create(tenant=tenant, date=date(2026, 1, 1 + i), uptime_pct=99)


def test_compute_reads_a_constant_number_of_queries(in_tenant):
    tenant = in_tenant
    channels = channels_ensure(tenant=tenant)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            values = compute(
                tenant=tenant, keys=metric_keys(), grain="month", first=JAN, last=APR, as_of=AS_OF
            )
        assert values
        return len(queries)

    _add_customers(tenant, channels, 0, 3)
    few = count()
    _add_customers(tenant, channels, 3, 27)
    assert count() == few
    assert few <= 20  # one grouped query per fact family, not one per customer


def test_every_catalogue_metric_has_a_test():
    assert set(metric_keys()) - COVERED == set(), "metrics without a test"
    assert COVERED - set(metric_keys()) == set(), "tests for metrics that no longer exist"
