"""A rep opens My portfolio, finds the accounts to nudge online in the customer table and
opens a customer: the numbers are the hand-counted ones of customers/tests/test_portfolio.py."""

import re

import pytest

from customers.tests.test_portfolio import NUDGE, standard_book
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def book(in_tenant, members):
    return standard_book(in_tenant, members)


def test_rep_sees_portfolio_numbers_filters_customers_and_opens_one(book, page, screenshot):
    login(page, "rep-user")
    assert page.url.endswith("/t/acme/portfolio/")
    assert page.get_by_test_id("adoption-value").inner_text() == "37.5 %"  # 3 of 8 active
    assert page.get_by_test_id("adoption-target").inner_text() == "minimum 35.0 % · stretch 45.0 %"
    assert page.get_by_test_id("share-12m").inner_text() == "30.0 %"  # 4,800 of 16,000
    assert page.get_by_test_id("nudge-count").inner_text() == "5"
    nudge = page.locator("section", has=page.locator("#nudge-title"))
    assert nudge.locator("tbody th a").all_inner_texts() == NUDGE
    assert page.locator("canvas[data-chart=adoption]").is_visible()
    screenshot("portfolio-rep")

    page.get_by_role("link", name="All my customers").click()
    page.get_by_label("Channel", exact=True).select_option("offline")
    page.get_by_text("5 customers match the filters").wait_for()
    assert "channel=offline" in page.url  # bookmarkable
    # Sort by revenue with the keyboard: biggest first.
    page.get_by_role("link", name="Revenue, 12 months").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"sort=-revenue"))
    page.locator("th[aria-sort=descending]").wait_for()
    assert page.locator("#customer-table tbody th a").all_inner_texts() == NUDGE
    page.get_by_label("Search").fill("Hotel")
    page.get_by_text("1 customer match the filters").wait_for()
    screenshot("customers-rep")

    page.get_by_role("link", name="Hotel Retour").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Hotel Retour"
    assert page.get_by_test_id("revenue-12m").inner_text() == "€ 800"  # 900 less a 100 return
    returns = page.locator("section", has=page.locator("#returns-title"))
    assert "Damaged" in returns.inner_text()
    assert page.get_by_role("link", name="Dutch installers").is_visible()
    screenshot("customer-rep")


def test_rep_cannot_open_another_reps_customer(book, page):
    login(page, "rep-user")
    response = page.goto(f"/t/acme/customers/{book.customers['Zulu Handel'].pk}/")
    assert response.status == 404
