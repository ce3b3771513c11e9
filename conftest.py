"""Root fixtures: two tenants, a logged-in client per role, an outsider (STYLE.md §11)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from portal.models import Role
from portal.tenancy import tenant_context
from tests.factories import MembershipFactory, TenantFactory, UserFactory

PASSWORD = "correct-horse-battery"  # noqa: S105 - test users only


@pytest.fixture(autouse=True)
def _no_page_warming(settings):
    """A recompute renders every member's page afterwards (portal.pagewarm): slow, and beside
    the point of most tests. tests/test_pagecache.py turns it on where it is the point."""
    settings.PAGE_WARM = False


@pytest.fixture(autouse=True)
def _default_language_and_time_zone_afterwards():
    """A test that renders in Dutch (a tenant's locale, an e-mail) leaves the thread in
    English and the default time zone again, so the next test's English is not luck."""
    from django.utils import timezone, translation

    yield
    translation.deactivate()
    timezone.deactivate()


@pytest.fixture(autouse=True)
def _empty_page_cache():
    """Each test starts with an empty cache: ids and data versions repeat between tests that
    roll back, so a page cached by one test could otherwise answer the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def tenant(db):
    return TenantFactory(slug="acme", name="Acme Installatietechniek")


@pytest.fixture
def other_tenant(db):
    return TenantFactory(slug="globex", name="Globex Groothandel")


@pytest.fixture
def in_tenant(tenant):
    """Run the test body inside the tenant's scope (like a request or task would)."""
    with tenant_context(tenant):
        yield tenant


def _member(tenant, role: str, username: str):
    user = UserFactory(username=username, password=PASSWORD)
    with tenant_context(tenant):
        return MembershipFactory(tenant=tenant, user=user, role=role)


@pytest.fixture
def members(tenant):
    """One member per role in `tenant`, keyed by role."""
    return {role: _member(tenant, role, f"{role}-user") for role in Role.values}


@pytest.fixture
def other_member(other_tenant):
    """An admin of the other tenant: the outsider for cross-tenant tests."""
    return _member(other_tenant, Role.ADMIN, "globex-admin")


def _client_for(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    # The tests read English; a Dutch tenant shows Dutch until the user picks a language.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def admin_client_(members):
    return _client_for(members[Role.ADMIN])


@pytest.fixture
def head_client(members):
    return _client_for(members[Role.HEAD])


@pytest.fixture
def rep_client(members):
    return _client_for(members[Role.REP])


@pytest.fixture
def board_client(members):
    return _client_for(members[Role.BOARD])


@pytest.fixture
def role_clients(members):
    return {role: _client_for(m) for role, m in members.items()}


@pytest.fixture
def outsider_client(other_member):
    return _client_for(other_member)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _tasks_run_in_process(request, settings, tmp_path):
    """Unit tests run Celery tasks eagerly (integration tests use a real worker) and keep
    uploads in a temporary media root."""
    from koers.celery import app

    settings.MEDIA_ROOT = tmp_path / "media"
    eager = request.node.get_closest_marker("integration") is None
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = eager
    yield
    app.conf.task_always_eager = previous
