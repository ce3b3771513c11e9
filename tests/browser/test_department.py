"""A department head opens the department page, reads the numbers of a seeded data set and
changes a target inline (htmx): the status follows without a page load."""

import pytest

from kpis.tests.pages_data import build
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_head_reads_the_department_and_edits_a_target_inline(tenant, members, page, screenshot):
    data = build(tenant, members, reps=2)
    login(page, "head-user")
    page.wait_for_url("**/t/acme/department/")
    share = page.locator(f"#kpi-row-{data['share'].pk}")
    # worked out by hand: 41.5 against 40-45 is at risk; 41.5 - 39.0 and 41.5 - 30.0 points
    assert "41.5 %" in share.inner_text() and "At risk" in share.inner_text()
    assert f"▲ {41.5 - 39.0:.1f} pt" in share.inner_text()
    assert f"▲ {41.5 - 30.0:.1f} pt" in share.inner_text()
    grid = page.locator("table.rep-grid")
    assert "46.0 %" in grid.get_by_role("row", name="Ruben Visser").inner_text()
    assert "Off track" in grid.get_by_role("row", name="Extra 0").inner_text()  # 38 < 40
    funnel = page.locator("table.funnel")
    won = funnel.get_by_role("row", name="Won").inner_text()
    assert f"{5 / 20 * 100:.1f} %" in won  # won / sales-qualified leads
    screenshot("department")

    page.get_by_role("button", name="Edit E-commerce share").click()
    form = page.locator(f"#kpi-row-{data['share'].pk} form")
    form.get_by_label("Minimum").fill("50")
    form.get_by_label("Stretch").fill("45")
    form.get_by_role("button", name="Save").click()
    page.get_by_role("alert").filter(has_text="the minimum cannot exceed the stretch").wait_for()
    form.get_by_label("Minimum").fill("30")
    form.get_by_label("Stretch").fill("41")
    form.get_by_role("button", name="Save").click()
    share = page.locator(f"#kpi-row-{data['share'].pk}")
    share.get_by_text("On track").wait_for()
    assert "30.0 % – 41.0 %" in share.inner_text()  # 41.5 now beats the stretch
    page.reload()
    assert "On track" in page.locator(f"#kpi-row-{data['share'].pk}").inner_text()
