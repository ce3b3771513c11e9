"""An admin creates a persona with two rules and watches the live match count."""

from datetime import date, timedelta

import pytest

from personas.models import Persona
from personas.services import personas_assign
from personas.tests.helpers import channels, customer, order
from portal.tenancy import tenant_context
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_creates_a_persona_with_a_live_match_count(tenant, members, page, screenshot):
    with tenant_context(tenant):
        ch = channels(tenant)
        for name, country, employees in [
            ("Van Dijk Installatie", "NL", 12),
            ("Bakker Techniek", "NL", 85),
            ("Peeters Sanitair", "BE", 120),
        ]:
            c = customer(tenant, name, country=country, employees=employees)
            order(tenant, c, ch["web"], "1500", day=date.today() - timedelta(days=20))
        personas_assign(tenant=tenant)  # the nightly step that stores behaviour for the rules

    login(page, "admin-user")
    page.get_by_role("link", name="Personas", exact=True).click()
    page.get_by_role("link", name="New persona").click()
    count = page.locator("#match .match-count")
    count.wait_for()
    assert count.inner_text() == "0 customers match"

    page.get_by_label("Name", exact=True).fill("Growing Dutch installer")
    page.get_by_label("One-line summary").fill("Mid-size installer that reorders online.")
    page.get_by_label("Rule 1 characteristic").select_option("country")
    page.get_by_label("Rule 1 operator").select_option("eq")
    page.get_by_label("Rule 1 value").fill("NL")
    page.locator("#match .match-count", has_text="2 customers match").wait_for()

    page.get_by_label("Rule 2 characteristic").select_option("employees")
    page.get_by_label("Rule 2 operator").select_option("gte")
    page.get_by_label("Rule 2 value").fill("50")
    page.locator("#match .match-count", has_text="1 customer matches").wait_for()
    screenshot("persona-editor")

    page.get_by_role("button", name="Save persona").click()
    page.get_by_role("heading", name="Growing Dutch installer").wait_for()
    assert page.get_by_text("Employees ≥ 50", exact=True).is_visible()

    page.get_by_role("link", name="Personas", exact=True).click()
    assert page.get_by_role("link", name="Growing Dutch installer").is_visible()
    screenshot("persona-list")
    with tenant_context(tenant):
        assert Persona.objects.get(name="Growing Dutch installer").rules.count() == 2
