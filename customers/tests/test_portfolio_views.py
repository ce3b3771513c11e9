"""The My portfolio page and the customer table: the numbers a rep sees, who may open them,
htmx partials and bookmarkable filters, and a constant number of queries on two data sizes."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.models import Customer, CustomerScore, Signal
from customers.tests.test_portfolio import NUDGE, Book, online_adoption_kpi, standard_book
from kpis.models import Kpi, Measurement
from kpis.periods import add_months
from kpis.services import target_set
from personas.models import Persona, PersonaAssignment, PersonaSnapshot
from portal.models import Role
from portal.pagecache import page_cache
from portal.tenancy import tenant_context

pytestmark = pytest.mark.django_db

PORTFOLIO = "/t/acme/portfolio/"
CUSTOMERS = "/t/acme/customers/"
METRICS = ["revenue", "nps", "aov", "returns_rate", "online_revenue", "ces", "orders",
           "active_web_users_share", "churn_rate", "share_of_wallet"]  # fmt: skip


@pytest.fixture
def book(in_tenant, members):
    return standard_book(in_tenant, members)


def text(html: bytes | str, testid: str) -> str:
    html = html.decode() if isinstance(html, bytes) else html
    match = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</', html, re.S)
    assert match, f"no {testid} on the page"
    return unescape(match.group(1)).strip()


def section(html: bytes, heading_id: str) -> str:
    page = html.decode()
    start = page.index(f'id="{heading_id}"')
    return page[start : page.index("</section>", start)]


def stored_book(tenant, rep, *, customers: int, kpis: int) -> None:
    """Stored values only (as the nightly run leaves them): customers with scores, persona
    assignments and signals, and KPIs with 24 months of the rep's measurements and targets."""
    today = timezone.localdate(timezone=tenant.tzinfo)
    month = today.replace(day=1)
    accounts = Book(tenant, today)
    persona = Persona.objects.create(tenant=tenant, name="Installers")
    kinds = [k for k, _label in Signal.Kind.choices]
    for i in range(customers):
        customer = accounts.customer(f"Customer {i:03d}", rep)
        online = 0 if i % 3 == 0 else 100 * i
        CustomerScore.objects.create(
            tenant=tenant, customer=customer, as_of=today, lifecycle="existing",
            clv_12m=1000 + i, p_alive=0.9, churn_risk=0.6 if i % 4 == 0 else 0.1,
            rfm_segment="loyal", is_koesterklant=i % 5 == 0,
        )  # fmt: skip
        last = accounts.order(customer.name, i + 1, 100 + i, "phone")
        PersonaAssignment.objects.create(
            tenant=tenant, customer=customer, persona=persona,
            revenue_12m=Decimal(1000 + 100 * i), online_revenue_12m=Decimal(online),
            last_order_at=last.placed_at, last_order_channel=last.channel,
        )  # fmt: skip
        Signal.objects.create(tenant=tenant, kind=kinds[i % len(kinds)], customer=customer,
                              as_of=today, details={"rank": i % 10 + 1, "revenue": 10.0,
                                                    "last_year_rank": 3, "online_orders": 1,
                                                    "year_earlier": 4})  # fmt: skip
        PersonaSnapshot.objects.create(
            tenant=tenant, customer=customer, month=add_months(month, -12),
            online_revenue_12m=Decimal(50 * i),
        )  # fmt: skip
    adoption = online_adoption_kpi(tenant, rep, today)
    for key in ["online_adoption", *METRICS[: kpis - 1]]:
        kpi = adoption if key == "online_adoption" else Kpi.objects.create(
            tenant=tenant, name=key, metric_key=key, unit="percent")  # fmt: skip
        for back in range(24):
            period = add_months(month, -back)
            for scope, member in (("rep", str(rep.pk)), ("company", "")):
                Measurement.objects.create(tenant=tenant, kpi=kpi, scope=scope, member=member,
                                           grain="month", period_start=period, value=40.0 + back,
                                           previous_value=39.0, last_year_value=30.0)  # fmt: skip
            target_set(tenant=tenant, kpi=kpi, scope="rep", member=str(rep.pk), grain="month",
                       period_start=period, minimum=Decimal(30), stretch=Decimal(50))  # fmt: skip


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


# --- My portfolio ------------------------------------------------------------------------------


def test_rep_sees_the_hand_counted_numbers_on_my_portfolio(book, rep_client):
    response = rep_client.get(PORTFOLIO)
    assert response.status_code == 200
    assert text(response.content, "adoption-value") == "37.5 %"
    assert text(response.content, "adoption-target") == "minimum 35.0 % · stretch 45.0 %"
    assert "At risk" in section(response.content, "adoption-title")
    assert text(response.content, "share-12m") == "30.0 %"
    assert text(response.content, "active-accounts") == "8"
    assert text(response.content, "online-accounts") == "3"
    assert text(response.content, "nudge-count") == "5"
    nudge = section(response.content, "nudge-title")
    names = re.findall(r'<a href="/t/acme/customers/\d+/">([^<]+)</a>', nudge)
    assert names == NUDGE
    assert "€ 5,000" in nudge and "Phone" in nudge and "Fax" in nudge
    attention = section(response.content, "attention-title")
    assert "Delta Elektro" in attention and "never visited" in attention
    assert "Hotel Retour" in section(response.content, "alerts-title")
    assert "Zulu Handel" not in response.content.decode()


@pytest.mark.parametrize("role", [Role.HEAD, Role.BOARD, Role.ADMIN])
def test_portfolio_is_a_reps_page(role, role_clients):
    assert role_clients[role].get(PORTFOLIO).status_code == 403


def test_portfolio_of_another_tenant_is_404(tenant, outsider_client):
    assert outsider_client.get(PORTFOLIO).status_code == 404


def test_portfolio_without_kpis_or_scores_says_what_to_do(in_tenant, members, rep_client):
    Book(in_tenant).customer("Only One", members[Role.REP])
    page = rep_client.get(PORTFOLIO).content.decode()
    assert "There is no online adoption KPI yet." in page
    assert "Customer analytics are pending" in page
    assert "Fills after the nightly customer analytics." in page


def test_portfolio_without_accounts_explains_how_accounts_come(tenant, rep_client):
    assert (
        "You are not the account manager of any customer."
        in rep_client.get(PORTFOLIO).content.decode()
    )


def test_portfolio_without_a_target_or_value_this_month_says_so(in_tenant, members, rep_client):
    Book(in_tenant).customer("Only One", members[Role.REP])
    Kpi.objects.create(
        tenant=in_tenant, name="Adoption", metric_key="online_adoption", unit="percent"
    )
    page = rep_client.get(PORTFOLIO).content.decode()
    assert "No value yet for this period" in page
    assert "No target yet for this period" in page


def test_portfolio_queries_do_not_grow_with_customers_or_kpis(in_tenant, members, rep_client):
    from tests.factories import MembershipFactory, TenantFactory, UserFactory

    stored_book(in_tenant, members[Role.REP], customers=5, kpis=3)
    small = queries(rep_client, PORTFOLIO)
    # A second tenant's rep with eight times the customers and more than three times the KPIs.
    big_tenant = TenantFactory(slug="big", name="Big")
    with tenant_context(big_tenant):
        rep = MembershipFactory(tenant=big_tenant, user=UserFactory(username="big-rep"), role="rep")
        stored_book(big_tenant, rep, customers=40, kpis=10)
    from django.test import Client

    client = Client()
    client.force_login(rep.user)
    client.cookies["django_language"] = "en"
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/t/big/portfolio/")
    assert response.status_code == 200
    assert text(response.content, "nudge-count") == "14"  # every third of 40 has no online revenue
    assert len(captured.captured_queries) == small
    assert small <= 24


# --- the customer table ------------------------------------------------------------------------


def test_my_portfolio_runs_as_many_queries_without_accounts_to_nudge(book, rep_client):
    with_nudges = queries(rep_client, PORTFOLIO)
    # Every account sold online since: after the nightly refresh nobody is left to nudge.
    PersonaAssignment.objects.filter(tenant=book.tenant).update(
        online_revenue_12m=F("revenue_12m"), last_order_at=None, last_order_channel=None
    )
    page_cache().clear()
    with CaptureQueriesContext(connection) as captured:
        response = rep_client.get(PORTFOLIO)
    assert text(response.content, "nudge-count") == "0"
    assert len(captured.captured_queries) == with_nudges


def test_customer_table_filters_by_query_string_and_keeps_filters_in_links(book, rep_client):
    response = rep_client.get(CUSTOMERS + "?channel=offline&sort=-revenue")
    page = response.content.decode()
    assert text(page, "customer-count") == "5 customers match the filters"
    rows = re.findall(r'<th scope="row"><a href="/t/acme/customers/\d+/">([^<]+)</a>', page)
    assert rows == NUDGE
    # Sorting by name keeps the channel filter; the current sort is announced.
    assert 'href="?channel=offline&amp;sort=name"' in page
    assert 'aria-sort="descending"' in page
    assert '<option value="offline" selected>' in page


def test_customer_table_answers_htmx_with_the_table_only(book, rep_client):
    response = rep_client.get(CUSTOMERS + "?q=bouw", headers={"HX-Request": "true"})
    page = response.content.decode()
    assert "<html" not in page and "customer-filters" in page  # the hidden sort field's form
    assert text(page, "customer-count") == "1 customer match the filters"
    assert response["Vary"].count("HX-Request") == 1


def test_customer_table_names_a_bad_filter_and_ignores_it(book, rep_client):
    page = rep_client.get(CUSTOMERS + "?risk=extreme&channel=online").content.decode()
    assert "Churn risk: Select a valid choice. extreme is not one of the available choices." in page
    assert text(page, "customer-count") == "2 customers match the filters"


def test_customer_table_pages_keep_the_filters(in_tenant, members, rep_client):
    stored_book(in_tenant, members[Role.REP], customers=60, kpis=1)
    page = rep_client.get(CUSTOMERS + "?channel=mixed&sort=-clv").content.decode()
    assert text(page, "customer-count") == "40 customers match the filters"
    assert 'href="?channel=mixed&amp;sort=-clv&amp;page=2"' in page
    second = rep_client.get(CUSTOMERS + "?channel=mixed&sort=-clv&page=2").content.decode()
    assert "Page 2 of 2" in second and "Customer 001" in second  # lowest CLV last


def test_customer_table_shows_each_role_its_customers(book, role_clients):
    def count(role):
        return text(role_clients[role].get(CUSTOMERS).content, "customer-count")

    assert count(Role.REP) == "9 customers"
    assert count(Role.HEAD) == "9 customers"
    assert count(Role.BOARD) == count(Role.ADMIN) == "10 customers"


def test_customer_table_of_another_tenant_is_404(tenant, outsider_client):
    assert outsider_client.get(CUSTOMERS).status_code == 404


def test_customer_table_queries_do_not_grow_with_customers(in_tenant, members, rep_client):
    stored_book(in_tenant, members[Role.REP], customers=5, kpis=1)
    small = queries(rep_client, CUSTOMERS + "?sort=-revenue")
    Customer.objects.filter(tenant=in_tenant).delete()
    Persona.objects.filter(tenant=in_tenant).delete()
    Kpi.objects.filter(tenant=in_tenant).delete()
    stored_book(in_tenant, members[Role.REP], customers=40, kpis=1)
    big = queries(rep_client, CUSTOMERS + "?sort=-revenue")
    assert big == small
    assert small <= 12


def test_empty_customer_table_says_what_to_do(tenant, rep_client, board_client):
    assert (
        "You are not the account manager of any customer yet"
        in rep_client.get(CUSTOMERS).content.decode()
    )
    assert "An admin imports customers" in board_client.get(CUSTOMERS).content.decode()
    page = rep_client.get(CUSTOMERS + "?q=nothing").content.decode()
    assert "No customer matches" in page


def test_nudge_dates_and_money_follow_the_language(book, rep_client):
    rep_client.cookies["django_language"] = "nl"
    page = rep_client.get(PORTFOLIO).content.decode()
    assert text(page, "adoption-value") == "37,5 %"
    nudge = section(page.encode(), "nudge-title")
    assert "€ 5.000" in nudge
    day = timezone.localdate() - timedelta(days=10)
    assert day.strftime("%d-%m-%Y") in nudge
