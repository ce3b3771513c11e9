"""My portfolio's selectors on a hand-made book of accounts, measured by the real nightly run.

The book (see `Book.standard`), counted by hand for the rep, with today = T:

    customer            orders in the last 12 months              online?  active?
    Alpha Bouw          web 1,000 (T-30), phone 500 (T-60)        yes      yes
    Bravo Installaties  phone 4,000 (T-10), e-mail 1,000 (T-200)  no       yes
    Charlie Techniek    e-mail 2,000 (T-20)                       no       yes
    Delta Elektro       EDI 3,000 (T-5)                           yes      yes
    Echo Warmte         app 800 (T-100)                           yes      yes
    Foxtrot Sanitair    phone 700 (T-400): none in 12 months      -        no
    Golf Klimaat        fax 1,500 (T-40); web 500 at T-500        no       yes
    Hotel Retour        phone 900 (T-150), return -100 (T-20)     no       yes
    India Koeling       counter 1,400 (T-90)                      no       yes

    active 8, online 3 -> online adoption 3 / 8 = 37.5 %
    nudge online (active, no online revenue), by revenue: Bravo 5,000, Charlie 2,000,
        Golf 1,500, India 1,400, Hotel 800 -> 5, last order channels Phone, E-mail, Fax,
        Counter / offline, Phone
    online revenue 1,000 + 3,000 + 800 = 4,800 of net 16,000 -> e-commerce share 30.0 %
    returns only in the last 90 days: Hotel Retour
    koesterklant (top 10 % of the 4 customers with online revenue = 1): Delta (3,000),
        never visited

A second rep owns Zulu Handel (web 2,000); the rep's target for online adoption this month is
35-45 %, so the rep is amber ("At risk").
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from customers import portfolio
from customers.models import Customer, CustomerScore, Order, Signal
from customers.services import channels_ensure
from kpis.models import Kpi, Measurement, Scope
from kpis.periods import add_months, period_start
from kpis.recompute import measurements_recompute
from kpis.services import target_set
from personas.models import Persona, PersonaRule, PersonaSnapshot
from portal.models import DepartmentMember, Role
from tests.factories import DepartmentFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

ADOPTION = 3 / 8 * 100
SHARE_12M = 4800 / 16000 * 100
NUDGE = ["Bravo Installaties", "Charlie Techniek", "Golf Klimaat", "India Koeling", "Hotel Retour"]


class Book:
    """Hand-made customers and orders of a tenant, dated relative to today."""

    def __init__(self, tenant, today=None):
        self.tenant = tenant
        self.today = today or timezone.localdate(timezone=tenant.tzinfo)
        with translation.override("en"):  # channel labels are stored in one language
            self.channels = channels_ensure(tenant=tenant)
        self.customers: dict[str, Customer] = {}
        self.n = 0

    def customer(self, name: str, manager, **fields) -> Customer:
        self.customers[name] = Customer.objects.create(
            tenant=self.tenant,
            external_id=f"K{len(self.customers) + 1:03d}",
            name=name,
            account_manager=manager,
            **fields,
        )
        return self.customers[name]

    def order(self, name, days_ago, amount, channel="phone", reason=""):
        self.n += 1
        day = self.today - timedelta(days=days_ago)
        return Order.objects.create(
            tenant=self.tenant,
            external_id=f"O{self.n:04d}",
            customer=self.customers[name],
            placed_at=datetime.combine(day, time(11), tzinfo=self.tenant.tzinfo),
            channel=self.channels[channel],
            amount=amount,
            is_return=amount < 0,
            return_reason=reason,
        )

    @classmethod
    def standard(cls, tenant, rep, other_rep, department=None) -> Book:
        book = cls(tenant)
        for name in ("Alpha Bouw", "Bravo Installaties", "Charlie Techniek", "Delta Elektro",
                     "Echo Warmte", "Foxtrot Sanitair", "Golf Klimaat", "Hotel Retour", "India Koeling"):  # fmt: skip
            book.customer(name, rep, department=department, country="NL")
        book.customer("Zulu Handel", other_rep, country="DE")
        book.order("Alpha Bouw", 30, 1000, "web")
        book.order("Alpha Bouw", 60, 500, "phone")
        book.order("Bravo Installaties", 10, 4000, "phone")
        book.order("Bravo Installaties", 200, 1000, "email")
        book.order("Charlie Techniek", 20, 2000, "email")
        book.order("Delta Elektro", 5, 3000, "edi")
        book.order("Echo Warmte", 100, 800, "app")
        book.order("Foxtrot Sanitair", 400, 700, "phone")
        book.order("Golf Klimaat", 40, 1500, "fax")
        book.order("Golf Klimaat", 500, 500, "web")
        book.order("Hotel Retour", 150, 900, "phone")
        book.order("Hotel Retour", 20, -100, "phone", reason="Damaged")
        book.order("India Koeling", 90, 1400, "offline")
        book.order("Zulu Handel", 15, 2000, "web")
        return book


def online_adoption_kpi(tenant, rep, today, minimum=35, stretch=45) -> Kpi:
    kpi = Kpi.objects.create(
        tenant=tenant, name="Online adoption", metric_key="online_adoption", unit="percent"
    )
    target_set(
        tenant=tenant,
        kpi=kpi,
        scope=Scope.REP,
        member=str(rep.pk),
        grain="month",
        period_start=today.replace(day=1),
        minimum=Decimal(minimum),
        stretch=Decimal(stretch),
    )
    return kpi


def rep_member(tenant, username="rep-two"):
    return MembershipFactory(tenant=tenant, user=UserFactory(username=username), role=Role.REP)


def standard_book(tenant, members) -> Book:
    """The standard book, run through the nightly recompute (analytics, personas, KPIs)."""
    department = DepartmentFactory(tenant=tenant, name="Installateurs")
    DepartmentMember.objects.create(
        tenant=tenant, membership=members[Role.HEAD], department=department
    )
    book = Book.standard(tenant, members[Role.REP], rep_member(tenant), department)
    persona = Persona.objects.create(tenant=tenant, name="Dutch installers", priority=1)
    PersonaRule.objects.create(
        tenant=tenant, persona=persona, field="country", operator="eq", value="NL"
    )
    online_adoption_kpi(tenant, members[Role.REP], book.today)
    measurements_recompute(tenant=tenant, as_of=book.today)
    return book


@pytest.fixture
def book(in_tenant, members):
    return standard_book(in_tenant, members)


def test_online_adoption_against_target_from_the_nightly_measurement(book, members):
    page = portfolio.portfolio(tenant=book.tenant, membership=members[Role.REP], as_of=book.today)
    assert page.adoption.value == pytest.approx(ADOPTION)
    assert (page.adoption.target.minimum, page.adoption.target.stretch) == (35, 45)
    assert page.adoption.status.code == "amber"
    assert not page.adoption.company_target
    # The trend: 24 months, this month last; the rep's value and target in it.
    assert len(page.adoption_trend) == 24
    assert page.adoption_trend[-1]["period"] == book.today.replace(day=1)
    assert page.adoption_trend[-1]["rep"] == pytest.approx(ADOPTION)
    assert page.adoption_trend[-1]["minimum"] == 35.0
    # The company counts Zulu Handel too: 4 online of 9 active.
    assert page.adoption_trend[-1]["company"] == pytest.approx(4 / 9 * 100)


def test_accounts_summary_counts_active_online_and_offline_accounts(book, members):
    summary = portfolio.accounts_summary(tenant=book.tenant, membership=members[Role.REP])
    assert summary["accounts"] == 9
    assert (summary["active"], summary["online"], summary["offline"]) == (8, 3, 5)
    assert summary["adoption_12m"] == pytest.approx(ADOPTION)
    assert summary["revenue_12m"] == pytest.approx(16000)
    assert summary["online_revenue_12m"] == pytest.approx(4800)
    assert summary["ecommerce_share_12m"] == pytest.approx(SHARE_12M)
    assert summary["koesterklanten"] == 1


def test_nudge_list_ranks_offline_accounts_by_revenue_with_last_order_channel(book, members):
    nudge = portfolio.nudge_online(tenant=book.tenant, membership=members[Role.REP])
    assert [c.name for c in nudge] == NUDGE
    assert [c.revenue_12m for c in nudge] == pytest.approx([5000, 2000, 1500, 1400, 800])
    channels = ["phone", "email", "fax", "offline", "phone"]
    assert [c.last_order["channel"] for c in nudge] == [book.channels[c].label for c in channels]
    assert nudge[0].last_order["placed_at"].date() == book.today - timedelta(days=10)


def test_attention_alerts_and_risers_come_from_the_stored_signals(book, members):
    page = portfolio.portfolio(tenant=book.tenant, membership=members[Role.REP], as_of=book.today)
    assert [(c.name, c.unvisited, c.last_contact) for c in page.attention] == [
        ("Delta Elektro", True, None)
    ]
    assert [s.customer.name for s in page.returns_only] == ["Hotel Retour"]
    assert page.counts["returns_only"] == 1
    # Every customer with online revenue this year is new in the top 10: a riser.
    assert {s.customer.name for s in page.risers} <= {"Alpha Bouw", "Delta Elektro", "Echo Warmte"}
    assert "Zulu Handel" not in {s.customer.name for s in page.risers + page.fallers}


def test_rep_sees_only_own_accounts_head_the_department_board_everything(book, members):
    def names(role):
        return set(
            portfolio.customers_visible(tenant=book.tenant, membership=members[role]).values_list(
                "name", flat=True
            )
        )

    assert "Zulu Handel" not in names(Role.REP) and len(names(Role.REP)) == 9
    assert names(Role.HEAD) == names(Role.REP)  # Zulu Handel has no department
    assert len(names(Role.BOARD)) == len(names(Role.ADMIN)) == 10


def test_customer_table_searches_filters_and_sorts(book, members):
    def table(**filters):
        rows = portfolio.customer_table(tenant=book.tenant, membership=members[Role.REP], **filters)
        return [c.name for c in rows]

    assert table(search="bouw") == ["Alpha Bouw"]
    assert table(search="K003") == ["Charlie Techniek"]  # the customer number, exactly
    assert table(channel="offline", sort="-revenue") == NUDGE
    assert table(channel="online") == ["Delta Elektro", "Echo Warmte"]
    assert table(channel="mixed") == ["Alpha Bouw"]
    assert table(channel="inactive") == ["Foxtrot Sanitair"]
    assert table(sort="-online")[:3] == ["Delta Elektro", "Echo Warmte", "Alpha Bouw"]
    persona = Persona.objects.get(name="Dutch installers")
    assert len(table(persona=str(persona.pk))) == 9
    assert table(persona="none") == []
    CustomerScore.objects.update(churn_risk=0.1)
    CustomerScore.objects.filter(customer__name="Golf Klimaat").update(churn_risk=0.8)
    CustomerScore.objects.filter(customer__name="Echo Warmte").update(churn_risk=0.3)
    assert table(risk="high") == ["Golf Klimaat"]
    assert table(risk="medium") == ["Echo Warmte"]
    CustomerScore.objects.filter(customer__name="Bravo Installaties").update(
        rfm_segment="champions"
    )
    assert table(segment="champions") == ["Bravo Installaties"]
    assert table(signal="returns_only") == ["Hotel Retour"]
    assert table(signal="koester_unvisited", channel="online") == ["Delta Elektro"]


def test_ratio_kpis_without_own_target_use_the_company_target_totals_get_none(in_tenant, members):
    tenant, rep = in_tenant, members[Role.REP]
    today = timezone.localdate(timezone=tenant.tzinfo)
    month = period_start(today, "month")
    rows = {}
    for key, unit in (("nps", "score"), ("revenue", "currency"), ("active_customers", "count")):
        kpi = Kpi.objects.create(tenant=tenant, name=key, metric_key=key, unit=unit)
        Measurement.objects.create(
            tenant=tenant, kpi=kpi, scope="rep", member=str(rep.pk), grain="month",
            period_start=month, value=30, previous_value=20,
        )  # fmt: skip
        target_set(tenant=tenant, kpi=kpi, scope="company", member="", grain="month",
                   period_start=month, minimum=Decimal(25), stretch=Decimal(40))  # fmt: skip
        rows[key] = kpi
    Kpi.objects.create(tenant=tenant, name="Uptime", metric_key="platform_uptime")  # no rep scope
    result = {r.kpi.metric_key: r for r in portfolio.rep_kpi_rows(
        tenant=tenant, member=str(rep.pk), as_of=today)}  # fmt: skip
    assert set(result) == {"nps", "revenue", "active_customers"}
    assert result["nps"].company_target and result["nps"].status.code == "amber"
    assert result["revenue"].target is None and result["revenue"].status.code == "no_target"
    assert result["active_customers"].target is None


def test_adoption_trend_holds_24_months_of_rep_and_company_values(in_tenant, members):
    tenant, rep = in_tenant, members[Role.REP]
    today = timezone.localdate(timezone=tenant.tzinfo)
    kpi = online_adoption_kpi(tenant, rep, today)
    this_month = today.replace(day=1)
    for i in range(30):  # six months more than shown
        month = add_months(this_month, -i)
        Measurement.objects.create(tenant=tenant, kpi=kpi, scope="rep", member=str(rep.pk),
                                   grain="month", period_start=month, value=60 - i)  # fmt: skip
        Measurement.objects.create(tenant=tenant, kpi=kpi, scope="company", member="",
                                   grain="month", period_start=month, value=50 - i)  # fmt: skip
    trend = portfolio.adoption_trend(tenant=tenant, kpi=kpi, member=str(rep.pk), as_of=today)
    assert [row["period"] for row in trend] == [
        add_months(this_month, -i) for i in range(23, -1, -1)
    ]
    assert trend[0]["rep"] == 37 and trend[-1]["rep"] == 60 and trend[-1]["company"] == 50
    assert trend[-1]["stretch"] == 45.0 and "minimum" not in trend[0]


def test_signals_of_other_reps_accounts_stay_out(in_tenant, members):
    tenant = in_tenant
    other = rep_member(tenant)
    book = Book(tenant)
    book.customer("Mine", members[Role.REP])
    book.customer("Theirs", other)
    for name in ("Mine", "Theirs"):
        Signal.objects.create(tenant=tenant, kind="returns_only", customer=book.customers[name],
                              as_of=book.today)  # fmt: skip
    page = portfolio.portfolio(tenant=tenant, membership=members[Role.REP], as_of=book.today)
    assert [s.customer.name for s in page.returns_only] == ["Mine"]
    assert not page.scored and page.adoption is None


def test_my_risers_and_fallers_compare_12_month_online_revenue_with_a_year_ago(book, members):
    rep = members[Role.REP]
    assert portfolio.online_movers(tenant=book.tenant, membership=rep, as_of=book.today) == {
        "since": None, "risers": [], "fallers": []
    }  # fmt: skip
    year_ago = add_months(book.today.replace(day=1), -12)
    for name, online in (("Alpha Bouw", 2000), ("Delta Elektro", 1000), ("Bravo Installaties", 500),
                         ("Zulu Handel", 100)):  # fmt: skip
        PersonaSnapshot.objects.create(tenant=book.tenant, month=year_ago,
                                       customer=book.customers[name],
                                       online_revenue_12m=Decimal(online))  # fmt: skip
    # An older snapshot than a year is not the baseline.
    PersonaSnapshot.objects.create(tenant=book.tenant, month=add_months(year_ago, -1),
                                   customer=book.customers["Echo Warmte"],
                                   online_revenue_12m=Decimal(9000))  # fmt: skip
    movers = portfolio.online_movers(tenant=book.tenant, membership=rep, as_of=book.today)
    assert movers["since"] == year_ago
    # Delta 1,000 -> 3,000; Echo had no snapshot a year ago: 0 -> 800.
    assert [(c.name, c.change_size) for c in movers["risers"]] == [
        ("Delta Elektro", 2000), ("Echo Warmte", 800)
    ]  # fmt: skip
    # Alpha 2,000 -> 1,000; Bravo 500 -> 0. Zulu Handel is another rep's.
    assert [(c.name, c.change_size) for c in movers["fallers"]] == [
        ("Alpha Bouw", 1000), ("Bravo Installaties", 500)
    ]  # fmt: skip
