"""The customer page: characteristics, scores, channel mix, orders (paginated, htmx), returns
with reasons, web activity, survey answers and persona; who may open it; constant queries."""

from __future__ import annotations

import json
import re
from datetime import datetime, time, timedelta
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from customers import portfolio
from customers.models import Customer, SurveyResponse, WebActivity
from customers.tests.test_portfolio import Book, standard_book
from portal.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(in_tenant, members):
    return standard_book(in_tenant, members)


def url(customer: Customer) -> str:
    return f"/t/acme/customers/{customer.pk}/"


def text(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</', html, re.S)
    assert match, f"no {testid} on the page"
    return unescape(match.group(1)).strip()


def test_rep_opens_own_customer_with_revenue_returns_persona_and_channel_mix(book, rep_client):
    hotel = book.customers["Hotel Retour"]
    customer = Customer.objects.get(pk=hotel.pk)
    customer.employees, customer.price_sensitivity, customer.has_webshop = 12, 4, True
    customer.save()
    WebActivity.objects.create(
        tenant=book.tenant, external_id="w1", customer=hotel, kind="login",
        occurred_at=datetime.combine(book.today - timedelta(days=3), time(9), tzinfo=book.tenant.tzinfo),
    )  # fmt: skip
    SurveyResponse.objects.create(tenant=book.tenant, external_id="s1", customer=hotel, kind="nps",
                                  score=9, answered_on=book.today, comment="Snel geleverd")  # fmt: skip
    response = rep_client.get(url(hotel))
    page = response.content.decode()
    assert response.status_code == 200
    assert text(page, "revenue-12m") == "€ 800"  # 900 ordered, 100 returned
    assert "Damaged" in page and "€ -100" in page
    assert "Dutch installers" in page and "/t/acme/personas/" in page
    assert "Snel geleverd" in page and "promoter" in page
    assert "4 of 5" in page and "<dd>12</dd>" in page
    assert "Only returns lately" in page  # the signal
    mix = json.loads(re.search(r'id="channel-mix-data"[^>]*>(.*?)</script>', page, re.S).group(1))
    assert len(mix["months"]) == 24
    (phone,) = mix["channels"]
    assert sum(phone["values"]) == pytest.approx(800)
    login = re.search(r"<th scope=\"row\">Login</th><td class=\"num\">(\d+)</td>", page)
    assert login.group(1) == "1"


def test_another_reps_customer_is_404_for_a_rep(book, rep_client):
    assert rep_client.get(url(book.customers["Zulu Handel"])).status_code == 404


def test_head_opens_the_departments_customers_only(book, head_client):
    assert head_client.get(url(book.customers["Alpha Bouw"])).status_code == 200
    assert head_client.get(url(book.customers["Zulu Handel"])).status_code == 404


@pytest.mark.parametrize("role", [Role.BOARD, Role.ADMIN])
def test_board_and_admin_open_every_customer(book, role, role_clients):
    assert role_clients[role].get(url(book.customers["Zulu Handel"])).status_code == 200


def test_customer_of_another_tenant_is_404(book, outsider_client):
    assert outsider_client.get(url(book.customers["Alpha Bouw"])).status_code == 404
    assert (
        outsider_client.get(f"/t/globex/customers/{book.customers['Alpha Bouw'].pk}/").status_code
        == 404
    )


def test_orders_page_through_htmx_twenty_at_a_time(in_tenant, members, rep_client):
    book = Book(in_tenant)
    customer = book.customer("Many Orders", members[Role.REP])
    for i in range(45):
        book.order(customer.name, i + 1, 100 + i, "web" if i % 2 else "phone")
    first = rep_client.get(url(customer)).content.decode()
    assert "Page 1 of 3 (45 orders)" in first and "O0001" in first and "O0021" not in first
    partial = rep_client.get(url(customer) + "?page=3", headers={"HX-Request": "true"})
    page = partial.content.decode()
    assert "<html" not in page and "Channel mix" not in page
    assert re.findall(r"<td>(O\d{4})", page) == ["O0041", "O0042", "O0043", "O0044", "O0045"]
    assert "Page 3 of 3 (45 orders)" in page


def test_customer_without_scores_says_analytics_are_pending(in_tenant, members, rep_client):
    customer = Book(in_tenant).customer("Brand New", members[Role.REP])
    page = rep_client.get(url(customer)).content.decode()
    assert "No score yet: recompute pending." in page
    assert "No orders in the last 24 months." in page
    assert "No persona matches this customer" in page


def test_customer_page_queries_do_not_grow_with_orders(in_tenant, members, rep_client):
    book = Book(in_tenant)
    few = book.customer("Few", members[Role.REP])
    many = book.customer("Many", members[Role.REP])
    for i in range(3):
        book.order("Few", i + 1, 100, "web")
        book.order("Few", i + 2, -10, "phone", reason=f"reason {i}")
    for i in range(60):
        book.order("Many", i + 1, 100, ["web", "phone", "edi", "fax"][i % 4])
        book.order("Many", i + 2, -10, "phone", reason=f"reason {i}")

    def count(customer):
        with CaptureQueriesContext(connection) as captured:
            assert rep_client.get(url(customer)).status_code == 200
        return len(captured.captured_queries)

    assert count(few) == count(many)


def test_channel_mix_sums_net_revenue_per_local_month_and_channel(in_tenant, members):
    book = Book(in_tenant)
    customer = book.customer("Mixer", members[Role.REP])
    book.order("Mixer", 0, 100, "web")
    book.order("Mixer", 0, 50, "web")
    book.order("Mixer", 0, -30, "phone")
    book.order("Mixer", 800, 999, "web")  # older than 24 months: left out
    mix = portfolio.channel_mix_by_month(tenant=in_tenant, customer=customer, as_of=book.today)
    this_month = mix["months"][-1]
    assert this_month == book.today.replace(day=1)
    by_label = {c["label"]: c["values"] for c in mix["channels"]}
    assert by_label["Web shop"][-1] == 150 and sum(by_label["Web shop"]) == 150
    assert by_label["Phone"][-1] == -30
    assert [c["online"] for c in mix["channels"]] == [True, False]  # online first


@pytest.fixture
def english_afterwards():
    yield
    translation.activate("en")  # the test client leaves the last request's language active


def test_standard_channel_names_speak_the_readers_language(book, rep_client, english_afterwards):
    """Default channels are stored with their English label; a Dutch reader sees them in Dutch,
    while a label the company chose itself is shown as it was typed."""
    hotel = book.customers["Hotel Retour"]
    rep_client.cookies["django_language"] = "nl"
    page = rep_client.get(url(hotel)).content.decode()
    mix = json.loads(re.search(r'id="channel-mix-data"[^>]*>(.*?)</script>', page, re.S).group(1))
    assert [c["label"] for c in mix["channels"]] == ["Telefoon"]
    assert ">Phone<" not in page

    from customers.models import Channel

    Channel.objects.filter(tenant=book.tenant, code="phone").update(label="Binnendienst")
    page = rep_client.get(url(hotel)).content.decode()
    mix = json.loads(re.search(r'id="channel-mix-data"[^>]*>(.*?)</script>', page, re.S).group(1))
    assert [c["label"] for c in mix["channels"]] == ["Binnendienst"]


def test_the_churn_risk_shows_what_it_was_ninety_days_earlier(in_tenant, members, rep_client):
    from django.utils import timezone

    from customers.models import CustomerScore

    customer = Book(in_tenant).customer("Going Quiet", members[Role.REP])
    CustomerScore.objects.create(
        tenant=in_tenant, customer=customer, as_of=timezone.localdate(), lifecycle="existing",
        p_alive=0.3, churn_risk=0.7, churn_risk_before=0.15,
    )  # fmt: skip
    page = re.sub(r"<[^>]+>", "", rep_client.get(url(customer)).content.decode())
    page = re.sub(r"\s+", " ", page)
    assert "churn risk ▲ high · 70.0 % (15.0 % 90 days ago)" in page
