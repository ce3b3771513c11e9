"""My portfolio's alert lists are cut in the database: ten per list, with the full count."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from customers.models import Customer, Signal
from portal.models import Role

pytestmark = pytest.mark.django_db


def test_long_alert_lists_show_the_first_ten_and_count_them_all(in_tenant, members, rep_client):
    tenant, rep = in_tenant, members[Role.REP]
    today = timezone.localdate()
    other_rep_customer = Customer.objects.create(
        tenant=tenant, external_id="X1", name="Aardvark (not mine)", account_manager=None
    )
    Signal.objects.create(
        tenant=tenant, kind=Signal.Kind.ONLINE_DROP, customer=other_rep_customer, as_of=today
    )
    details = {"online_orders": 1, "year_earlier": 4}
    for i in range(12):  # created in reverse name order: the page sorts by name
        customer = Customer.objects.create(
            tenant=tenant, external_id=f"K{i}", name=f"Drop {11 - i:02d}", account_manager=rep
        )
        Signal.objects.create(
            tenant=tenant, kind=Signal.Kind.ONLINE_DROP, customer=customer, as_of=today,
            details=details,
        )  # fmt: skip
        Signal.objects.create(  # not listed on My portfolio
            tenant=tenant, kind=Signal.Kind.WEB_INFLUENCED, customer=customer, as_of=today
        )
    for i in range(2):
        customer = Customer.objects.create(
            tenant=tenant, external_id=f"R{i}", name=f"Returns {i}", account_manager=rep
        )
        Signal.objects.create(
            tenant=tenant, kind=Signal.Kind.RETURNS_ONLY, customer=customer, as_of=today
        )

    page = rep_client.get("/t/acme/portfolio/").content.decode()

    falling = page[page.index("Online ordering falling") :]
    falling = falling[: falling.index("</ul>")]
    assert re.findall(r">(Drop \d\d)</a>", falling) == [f"Drop {i:02d}" for i in range(10)]
    assert '<span class="badge">12</span>' in page[page.index("Online ordering falling") - 200 :]
    assert "All 12 in the customer table" in page
    assert "Aardvark" not in page
    assert re.search(r'data-testid="returns-only-count">2<', page)
    assert "All 2 in the customer table" not in page


def test_account_lists_are_cut_at_ten_each_in_its_own_order(in_tenant, members):
    from decimal import Decimal

    from customers import portfolio
    from customers.models import CustomerScore
    from personas.models import PersonaAssignment

    tenant, rep = in_tenant, members[Role.REP]
    today = timezone.localdate()

    def account(
        name, *, revenue, online, clv, churn, koester, lifecycle="existing", churn_before=None
    ):
        customer = Customer.objects.create(
            tenant=tenant, external_id=name, name=name, account_manager=rep
        )
        CustomerScore.objects.create(
            tenant=tenant, customer=customer, as_of=today, lifecycle=lifecycle, clv_12m=clv,
            churn_risk=churn, p_alive=1 - churn, is_koesterklant=koester,
            churn_risk_before=churn_before,
        )  # fmt: skip
        PersonaAssignment.objects.create(
            tenant=tenant, customer=customer,
            revenue_12m=Decimal(revenue), online_revenue_12m=Decimal(online),
        )  # fmt: skip

    for i in range(12):  # offline, risk up from 30 % to 70 %: on "nudge" and "churn rising"
        account(f"Off {i:02d}", revenue=1000 + 10 * i, online=0, clv=500 - i, churn=0.7,
                churn_before=0.3, koester=False)  # fmt: skip
    # High but steady (75 % -> 80 %), up only 10 points, or no history 90 days ago: not rising.
    account("Steady", revenue=100, online=50, clv=9000, churn=0.8, churn_before=0.75,
            koester=False)  # fmt: skip
    account("Slight", revenue=100, online=50, clv=9000, churn=0.4, churn_before=0.3,
            koester=False)  # fmt: skip
    account("Newcomer", revenue=100, online=50, clv=9000, churn=0.9, koester=False)
    for i in range(12):  # online koesterklanten, safe
        account(f"Koester {i:02d}", revenue=5000, online=100 * (i % 6 + 1), clv=50, churn=0.1,
                koester=True)  # fmt: skip
    # Not active: on no list, however big.
    account("Gone", revenue=9999, online=0, clv=9999, churn=0.9, koester=False, lifecycle="lost")

    lists = portfolio.account_lists(tenant=tenant, membership=rep)

    assert [c.name for c in lists["nudge"]] == [f"Off {i:02d}" for i in range(11, 1, -1)]
    assert [c.name for c in lists["churn_rising"]] == [f"Off {i:02d}" for i in range(10)]
    # Most online revenue first; equal revenue by name.
    assert [c.name for c in lists["attention"]] == [
        "Koester 05", "Koester 11", "Koester 04", "Koester 10", "Koester 03", "Koester 09",
        "Koester 02", "Koester 08", "Koester 01", "Koester 07",
    ]  # fmt: skip
