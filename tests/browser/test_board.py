"""A board member opens the board page, reads the numbers, sees the charts drawn and drills
down from a tile to the KPI page."""

import pytest

from kpis.tests.pages_data import build, paced_change
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DRAWN = "el => window.Chart !== undefined && Chart.getChart(el) !== undefined"


def test_board_member_reads_the_board_and_drills_down_to_a_kpi(tenant, members, page, screenshot):
    data = build(tenant, members, reps=2)
    login(page, "board-user")
    page.wait_for_url("**/t/acme/board/")
    super_kpi = page.get_by_test_id("super-kpi")
    assert "41.5 %" in super_kpi.inner_text() and "At risk" in super_kpi.inner_text()
    assert page.get_by_test_id("conclusion").inner_text() == (
        "Online share grows; revenue lags the plan."
    )
    revenue = page.get_by_test_id("tile").filter(has_text="Revenue")
    text = revenue.inner_text()
    # 600,000 vs 800,000 the month before and 500,000 a year ago, both scaled to the part of
    # this month that has passed
    assert "€ 600,000" in text
    assert paced_change(600000, 800000, data["today"]) in text
    assert paced_change(600000, 500000, data["today"]) in text
    assert super_kpi.locator("canvas").evaluate(DRAWN)
    assert revenue.locator("canvas").evaluate(DRAWN)
    # the board fits one screen at 1440 x 900
    assert page.evaluate("document.querySelector('.board').getBoundingClientRect().bottom") <= 900
    screenshot("board")

    super_kpi.click()
    page.wait_for_url(f"**/t/acme/kpis/{data['share'].pk}/")
    assert page.locator("canvas[data-chart=trend]").evaluate(DRAWN)
    per_rep = page.get_by_role("region", name="rep")
    assert "Ruben Visser" in per_rep.inner_text() and "46.0 %" in per_rep.inner_text()
    assert "Call the ten biggest phone customers" in page.locator(".checkins").inner_text()
