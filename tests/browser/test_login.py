"""Each role logs in through the real form and sees its own navigation."""

import pytest

from portal.models import Role
from tests.browser.conftest import login
from tests.test_access import EXPECTED_NAVIGATION

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANDING = {
    Role.REP: "/t/acme/portfolio/",
    Role.HEAD: "/t/acme/department/",
    Role.BOARD: "/t/acme/board/",
    Role.ADMIN: "/t/acme/board/",
}


@pytest.mark.parametrize("role", Role.values)
def test_each_role_logs_in_and_sees_its_navigation(role, members, page, screenshot, live_server):
    login(page, f"{role}-user")
    assert page.url == live_server.url + LANDING[role]
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link").all_inner_texts() == EXPECTED_NAVIGATION[role]
    screenshot(f"landing-{role}")


def test_wrong_password_keeps_the_user_on_the_login_form(members, page):
    login(page, "rep-user", "not-the-password")
    assert "/accounts/login/" in page.url
    assert page.get_by_role("alert").inner_text().startswith("Your username and password")


def test_admin_adds_a_glossary_term_with_the_keyboard(members, page, screenshot):
    login(page, "admin-user")
    page.goto("/t/acme/glossary/")
    page.get_by_label("Term").fill("Active customer")
    page.get_by_label("Definition").fill("At least one order in the last 12 months.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.locator("dt", has_text="Active customer").wait_for()
    page.get_by_label("Term").fill("Active customer")
    page.get_by_label("Definition").fill("Duplicate")
    page.get_by_role("button", name="Add").click()
    page.get_by_text("This term is already defined.").wait_for()
    assert page.get_by_label("Definition").input_value() == "Duplicate"  # nothing typed is lost
    screenshot("glossary-admin")
