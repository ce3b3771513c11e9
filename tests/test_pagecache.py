"""The page cache (portal.pagecache): a repeated visit is served without the page's queries, and
every write to the tenant's data (an edit on a page, a task, the admin) shows on the next visit."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kpis.models import Measurement, Target
from kpis.tests.pages_data import build, row_text
from portal.models import Tenant
from portal.pagecache import flush_writes, is_data_write
from portal.tenancy import tenant_context

pytestmark = pytest.mark.django_db

DEPARTMENT = "/t/acme/department/"
BOARD = "/t/acme/board/"
PORTFOLIO = "/t/acme/portfolio/"


@pytest.fixture
def data(tenant, members):
    built = build(tenant, members, reps=2)
    flush_writes()  # the set-up's own writes (made outside any request or task) count now
    return built


def without_csrf(html: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", html)


def version(tenant) -> int:
    return Tenant.objects.get(pk=tenant.pk).data_version


@pytest.mark.parametrize(
    ("url", "client_name"),
    [(PORTFOLIO, "rep_client"), (DEPARTMENT, "head_client"), (BOARD, "board_client")],
)
def test_a_second_visit_is_the_same_page_without_the_pages_own_queries(
    data, request, url, client_name
):
    client = request.getfixturevalue(client_name)
    with CaptureQueriesContext(connection) as first:
        cold = client.get(url)
    with CaptureQueriesContext(connection) as second:
        warm = client.get(url)
    assert cold.status_code == warm.status_code == 200
    assert without_csrf(warm.content.decode()) == without_csrf(cold.content.decode())
    # what is left is the session, the user, the tenant and the membership: no page data
    data_tables = ("kpis_", "customers_", "personas_", "roadmap_")
    assert any(t in q["sql"] for q in first for t in data_tables)
    assert not [q["sql"][:80] for q in second if any(t in q["sql"] for t in data_tables)]


def test_reading_a_page_changes_no_data_version(data, head_client, tenant):
    before = version(tenant)
    head_client.get(DEPARTMENT)
    head_client.get(DEPARTMENT)
    assert version(tenant) == before


def test_an_inline_edit_shows_on_the_next_visit(data, head_client, tenant):
    share = data["share"].pk
    assert "At risk" in row_text(head_client.get(DEPARTMENT).content.decode(), share)
    url = f"/t/acme/department/{data['department'].pk}/kpis/{share}/edit/"
    owner = data["reps"][0].pk
    edit = {"owner": owner, "minimum": "30", "stretch": "41"}
    head_client.post(url, edit, HTTP_HX_REQUEST="true")
    row = row_text(head_client.get(DEPARTMENT).content.decode(), share)
    assert "On track" in row and "30.0 % – 41.0 %" in row and "Ruben Visser" in row


def test_a_write_by_a_task_shows_on_the_next_visit(data, head_client, tenant):
    """A nightly recompute writes outside any request, inside the tenant's context."""
    share = data["share"].pk
    assert "41.5 %" in row_text(head_client.get(DEPARTMENT).content.decode(), share)
    with tenant_context(tenant):
        Measurement.objects.filter(kpi=data["share"], scope="company", member="").update(
            value=47.25
        )
    assert "47.3 %" in row_text(head_client.get(DEPARTMENT).content.decode(), share)


def test_a_write_with_no_tenant_active_renews_every_tenants_pages(
    data, head_client, tenant, other_tenant
):
    head_client.get(DEPARTMENT)
    flush_writes()  # other_tenant's own creation
    before, other_before = version(tenant), version(other_tenant)
    with connection.cursor() as cursor:  # the admin, a command: no tenant active
        cursor.execute("UPDATE portal_tenant SET name = name")
    head_client.get("/t/acme/")  # any request ends with the bump
    assert version(tenant) > before and version(other_tenant) > other_before


def test_a_write_to_one_tenant_leaves_the_others_cached(data, tenant, other_tenant):
    flush_writes()  # other_tenant's own creation
    other_before = version(other_tenant)
    with tenant_context(tenant):
        Target.objects.filter(kpi=data["share"]).update(minimum=Decimal(1))
    assert version(other_tenant) == other_before
    assert version(tenant) > 0


def test_saving_a_tenant_never_moves_its_data_version_back(tenant):
    stale = Tenant.objects.get(pk=tenant.pk)
    with tenant_context(tenant):
        pass
    Tenant.objects.filter(pk=tenant.pk).update(data_version=7)
    stale.name = "Acme B.V."
    stale.save()
    fresh = Tenant.objects.get(pk=tenant.pk)
    assert fresh.name == "Acme B.V." and fresh.data_version >= 7


def test_each_browser_gets_its_own_working_csrf_token_from_a_cached_page(data, members):
    """Two sessions of the same head: the second is served the first one's cached content, and
    its forms still carry a token that its own session accepts."""
    head = members["head"].user
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(head)
    second.force_login(head)
    first.get(DEPARTMENT)
    html = second.get(DEPARTMENT).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    assert "koersCsrfPlaceholder" not in html
    url = f"/t/acme/department/{data['department'].pk}/kpis/{data['share'].pk}/edit/"
    edit = {"owner": data["reps"][0].pk, "minimum": "30", "stretch": "41"}
    response = second.post(url, {**edit, "csrfmiddlewaretoken": token})
    assert response.status_code in (200, 302), response.content.decode()[:300]


def test_the_language_is_part_of_the_key(data, head_client):
    head_client.cookies["django_language"] = "en"
    assert "Department" in head_client.get(DEPARTMENT).content.decode()
    head_client.cookies["django_language"] = "nl"
    assert "Afdeling" in head_client.get(DEPARTMENT).content.decode()


@pytest.mark.parametrize(
    ("sql", "write"),
    [
        ('INSERT INTO "kpis_target" ("id") VALUES (1)', True),
        ('UPDATE "kpis_measurement" SET "value" = 1', True),
        ('DELETE FROM "customers_order" WHERE 1', True),
        ("WITH x AS (SELECT 1) INSERT INTO kpis_measurement SELECT * FROM x", True),
        ("COPY customers_order FROM STDIN", True),
        ('SELECT "kpis_target"."id" FROM "kpis_target"', False),
        ("WITH x AS (SELECT 1) SELECT * FROM x", False),
        ('UPDATE "django_session" SET "expire_date" = now()', False),
        ('INSERT INTO "axes_accessattempt" ("id") VALUES (1)', False),
        ('INSERT INTO "portal_auditentry" ("id") VALUES (1)', False),
        ('UPDATE "auth_user" SET "last_login" = %s WHERE "auth_user"."id" = %s', False),
        ('UPDATE "auth_user" SET "first_name" = %s WHERE "auth_user"."id" = %s', True),
    ],
)
def test_which_statements_count_as_a_data_write(sql, write):
    assert is_data_write(sql) is write


def test_after_a_recompute_each_members_page_is_already_cached(data, members, tenant, settings):
    """The nightly recompute renders every member's page in every language: the morning's
    first visit runs none of the page's queries, and shows the recomputed data."""
    from kpis.tasks import recompute_tenant_task

    settings.PAGE_WARM = True
    recompute_tenant_task.delay(tenant.pk)
    version_after = version(tenant)
    data_tables = ("kpis_", "customers_", "personas_", "roadmap_")
    for role, url in (("rep", PORTFOLIO), ("head", DEPARTMENT), ("board", BOARD)):
        client = Client()
        client.force_login(members[role].user)
        client.cookies["django_language"] = "nl"
        with CaptureQueriesContext(connection) as visit:
            response = client.get(url)
        assert response.status_code == 200
        assert not [q["sql"][:80] for q in visit if any(t in q["sql"] for t in data_tables)], role
    assert version(tenant) == version_after  # warming wrote nothing
