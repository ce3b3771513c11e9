"""Operator commands: create_tenant, add_member, seed_demo (idempotent, clear errors)."""

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from portal.management.commands.seed_demo import DEMO_PASSWORD, DEMO_USERS
from portal.models import Membership, Tenant
from portal.tenancy import tenant_context
from tests.test_access import EXPECTED_NAVIGATION, nav_labels

pytestmark = pytest.mark.django_db


def test_create_tenant_is_idempotent_and_validates(capsys):
    call_command("create_tenant", "wholesale-nl", "--name", "Wholesale NL", "--currency", "eur")
    call_command("create_tenant", "wholesale-nl", "--name", "Other name")
    out = capsys.readouterr().out
    assert "Created tenant wholesale-nl" in out and "Exists: tenant wholesale-nl" in out
    tenant = Tenant.objects.get(slug="wholesale-nl")
    assert (tenant.name, tenant.currency, tenant.timezone) == (
        "Wholesale NL",
        "EUR",
        "Europe/Amsterdam",
    )
    with pytest.raises(CommandError, match="slug"):
        call_command("create_tenant", "Bad Slug!", "--name", "X")
    with pytest.raises(CommandError, match="time zone"):
        call_command("create_tenant", "x", "--name", "X", "--timezone", "Mars/Olympus")


def test_add_member_creates_updates_and_refuses_bad_input(tenant):
    call_command(
        "add_member",
        "jdoe",
        "--tenant",
        "acme",
        "--role",
        "rep",
        "--department",
        "Noord",
        "--email",
        "j@example.com",
        "--password",
        "pw-1234-abcd",
    )
    call_command(
        "add_member",
        "jdoe",
        "--tenant",
        "acme",
        "--role",
        "head",
        "--department",
        "Noord",
        "--department",
        "Zuid",
    )
    with tenant_context(tenant):
        membership = Membership.objects.get(user__username="jdoe")
        assert membership.role == "head"
        assert sorted(d.name for d in membership.departments.all()) == ["Noord", "Zuid"]
        assert Membership.objects.count() == 1
    assert Client().login(username="jdoe", password="pw-1234-abcd")
    with pytest.raises(CommandError, match="No tenant"):
        call_command("add_member", "x", "--tenant", "nope", "--role", "rep")
    with pytest.raises(CommandError, match="valid username"):
        call_command("add_member", "bad user!", "--tenant", "acme", "--role", "rep")
    with pytest.raises(CommandError, match="valid email"):
        call_command(
            "add_member", "y", "--tenant", "acme", "--role", "rep", "--email", "not-an-address"
        )


def test_every_printed_demo_user_logs_in_to_the_pages_of_their_role(capsys):
    call_command("seed_demo", "--no-data")
    call_command("seed_demo", "--no-data")  # again: nothing breaks, nothing doubles
    out = capsys.readouterr().out
    for username, role, *_ in DEMO_USERS:
        assert f"login: {username}" in out
        client = Client()
        client.cookies["django_language"] = "en"
        assert client.login(username=username, password=DEMO_PASSWORD), username
        page = client.get("/t/acme/", follow=True)
        assert page.status_code == 200
        assert nav_labels(page.content.decode()) == EXPECTED_NAVIGATION[role]
