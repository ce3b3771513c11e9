"""A head proposes a roadmap idea; the admin plans it and sees it on the quarter timeline."""

from datetime import date

import pytest

from kpis.models import Kpi
from portal.models import Role
from portal.tenancy import tenant_context
from roadmap.models import RoadmapItem, quarter_label, quarter_start
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_head_proposes_an_idea_and_the_admin_plans_it(
    tenant, members, browser, live_server, page
):
    with tenant_context(tenant):
        Kpi.objects.create(tenant=tenant, name="Online adoption")
    this_quarter = quarter_label(quarter_start(date.today()))

    context = browser.new_context(viewport={"width": 1440, "height": 900}, base_url=live_server.url)
    context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    head = context.new_page()
    login(head, "head-user")
    head.get_by_role("link", name="Roadmap", exact=True).click()
    head.get_by_role("link", name="Propose an idea").click()
    assert head.get_by_label("Status").count() == 0  # an idea; the admin plans it
    head.get_by_label("Title").fill("Order status by SMS")
    head.get_by_label("Theme").fill("Self-service")
    head.get_by_label("Online adoption").fill("+1 pt")
    head.get_by_role("button", name="Propose").click()
    head.get_by_role("heading", name="Order status by SMS").wait_for()
    assert head.get_by_text("your idea is on the roadmap").is_visible()
    assert head.get_by_role("link", name="Edit").count() == 0
    context.close()

    admin = page
    login(admin, "admin-user")
    admin.get_by_role("link", name="Roadmap", exact=True).click()
    quarter = admin.locator(".roadmap-quarter", has_text=this_quarter)
    card = quarter.locator(".roadmap-item", has_text="Order status by SMS")
    assert "Idea" in card.inner_text() and "Online adoption: +1 pt" in card.inner_text()
    card.get_by_role("link", name="Order status by SMS").click()
    admin.get_by_role("link", name="Edit").click()
    admin.get_by_label("Status").select_option("planned")
    admin.get_by_role("button", name="Save item").click()
    admin.get_by_text("Idea → Planned").wait_for()  # the history names the change
    with tenant_context(tenant):
        item = RoadmapItem.objects.get(title="Order status by SMS")
        assert (item.status, item.owner) == ("planned", members[Role.HEAD])
