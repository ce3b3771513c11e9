"""An admin imports a spreadsheet through the page: check, preview, confirm."""

import pytest

from customers.models import Customer
from portal.tenancy import tenant_context
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_imports_customers_through_the_page(tenant, members, page, screenshot, tmp_path):
    good = tmp_path / "klanten.csv"
    good.write_text(
        "external_id;name;country;employees\nC1;Van Dijk Installatie B.V.;NL;40\n"
        "C2;Bakker Techniek;BE;12\n",
        encoding="cp1252",
    )
    login(page, "admin-user")
    page.get_by_role("link", name="Imports", exact=True).click()
    page.get_by_label("What does the file contain?").select_option("customers")
    page.get_by_label("File", exact=True).set_input_files(str(good))
    page.get_by_role("button", name="Check the file").click()
    page.get_by_role("button", name="Import 2 rows").wait_for()
    assert page.get_by_role("cell", name="Van Dijk Installatie B.V.").is_visible()
    screenshot("import-checked")
    page.get_by_role("button", name="Import 2 rows").click()
    page.get_by_text("Imported. Importing the same file again changes nothing.").wait_for()
    with tenant_context(tenant):
        assert Customer.objects.count() == 2

    bad = tmp_path / "orders.csv"
    bad.write_text(
        "external_id,customer_external_id,ordered_at,amount,channel\nO1,C9,2026-01-01,5,web\n",
        encoding="utf-8",
    )
    page.get_by_role("link", name="Imports", exact=True).click()
    page.get_by_label("What does the file contain?").select_option("orders")
    page.get_by_label("File", exact=True).set_input_files(str(bad))
    page.get_by_role("button", name="Check the file").click()
    page.get_by_role("alert").filter(has_text="Nothing was written").wait_for()
    assert page.get_by_role("cell", name="customer_external_id").is_visible()
    screenshot("import-errors")
