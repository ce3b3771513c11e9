"""The KPI list and KPI page: stored values with status, SMART gaps, check-ins, manual values."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kpis.models import CheckIn, Kpi, Measurement, Target
from kpis.periods import period_start
from portal.models import Role
from portal.tenancy import tenant_context

pytestmark = pytest.mark.django_db


@pytest.fixture
def kpis(tenant, members):
    with tenant_context(tenant):
        today = timezone.localdate()
        month = today.replace(day=1)
        share = Kpi.objects.create(
            tenant=tenant,
            name="E-commerce share",
            metric_key="ecommerce_share",
            unit="percent",
            owner=members[Role.HEAD],
            review_date=date(2027, 1, 1),
            is_super=True,
        )
        Target.objects.create(
            tenant=tenant,
            kpi=share,
            scope="company",
            member="",
            grain="month",
            period_start=month,
            minimum=Decimal(40),
            stretch=Decimal(45),
        )
        Measurement.objects.create(
            tenant=tenant,
            kpi=share,
            scope="company",
            member="",
            grain="month",
            period_start=month,
            value=41.5,
            previous_value=39.0,
            last_year_value=30.0,
        )
        visits = Kpi.objects.create(
            tenant=tenant, name="Visits", unit="count", owner=members[Role.REP]
        )
        return {"share": share, "visits": visits, "month": month}


def test_every_role_reads_the_kpi_list_with_status_and_changes(kpis, role_clients):
    for client in role_clients.values():
        html = client.get("/t/acme/kpis/").content.decode()
        assert "E-commerce share" in html and "super-KPI" in html
        assert "41.5 %" in html  # value
        assert "At risk" in html  # 41.5 is between minimum 40 and stretch 45
        assert "▲ 2.5 pt" in html  # vs previous 39.0
        assert "▲ 11.5 pt" in html  # vs last year 30.0


def test_the_smart_check_names_what_a_kpi_lacks(kpis, rep_client):
    html = rep_client.get("/t/acme/kpis/").content.decode()
    # Visits: has an owner, but no target, no metric and no review date
    assert "lacks: target, measurable source" in html and "review date" in html
    assert "✔ SMART" in html  # the e-commerce share has everything


def test_the_list_reads_a_constant_number_of_queries(tenant, kpis, rep_client):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert rep_client.get("/t/acme/kpis/").status_code == 200
        return len(queries)

    few = count()
    with tenant_context(tenant):
        for i in range(15):
            Kpi.objects.create(tenant=tenant, name=f"Extra {i}", metric_key="revenue")
    assert count() == few


def test_anyone_leaves_a_check_in_and_bad_input_is_kept(kpis, rep_client, tenant):
    url = f"/t/acme/kpis/{kpis['share'].pk}/"
    response = rep_client.post(url, {"form": "checkin", "action": "start", "comment": ""})
    assert response.status_code == 422 and "This field is required" in response.content.decode()
    response = rep_client.post(
        url, {"form": "checkin", "action": "start", "comment": "Bel 5 klanten over de webshop"}
    )
    assert response.status_code == 302
    with tenant_context(tenant):
        assert CheckIn.objects.get().comment == "Bel 5 klanten over de webshop"
    assert "Bel 5 klanten" in rep_client.get(url).content.decode()


def test_only_the_owner_or_an_admin_enters_manual_values(kpis, tenant, rep_client, head_client):
    url = f"/t/acme/kpis/{kpis['visits'].pk}/"
    day = kpis["month"].isoformat()
    assert (
        head_client.post(url, {"form": "value", "period_start": day, "value": "12"}).status_code
        == 403
    )
    assert (
        rep_client.post(url, {"form": "value", "period_start": day, "value": "12"}).status_code
        == 302
    )
    with tenant_context(tenant):
        stored = Measurement.objects.get(kpi=kpis["visits"])
        assert stored.value == 12 and stored.period_start == period_start(kpis["month"], "month")
    # a computed KPI takes no typed values
    assert (
        rep_client.post(
            f"/t/acme/kpis/{kpis['share'].pk}/",
            {"form": "value", "period_start": day, "value": "1"},
        ).status_code
        == 403
    )


def test_another_tenants_kpi_is_404(kpis, other_tenant, admin_client_, outsider_client):
    with tenant_context(other_tenant):
        foreign = Kpi.objects.create(tenant=other_tenant, name="Geheim", metric_key="revenue")
    assert admin_client_.get(f"/t/acme/kpis/{foreign.pk}/").status_code == 404
    assert (
        admin_client_.post(
            f"/t/acme/kpis/{foreign.pk}/", {"form": "checkin", "action": "stop", "comment": "x"}
        ).status_code
        == 404
    )
    assert outsider_client.get("/t/acme/kpis/").status_code == 404
