"""kpi_values reads exactly the asked placements in the current period of each KPI's grain."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kpis.models import Kpi, Measurement
from kpis.selectors import kpi_values
from kpis.services import target_set

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 5, 20)


def stored(tenant, kpi, scope, member, grain, start, value, previous=None, last_year=None):
    Measurement.objects.create(
        tenant=tenant, kpi=kpi, scope=scope, member=member, grain=grain, period_start=start,
        value=value, previous_value=previous, last_year_value=last_year,
    )  # fmt: skip


def test_values_targets_and_status_of_the_asked_placements_only(in_tenant):
    tenant = in_tenant
    monthly = Kpi.objects.create(tenant=tenant, name="Online share", metric_key="ecommerce_share")
    quarterly = Kpi.objects.create(
        tenant=tenant, name="NPS", metric_key="nps", grain="quarter", direction="up"
    )
    may, april, q2 = date(2026, 5, 1), date(2026, 4, 1), date(2026, 4, 1)
    stored(tenant, monthly, "rep", "7", "month", may, 31.0, previous=28.0, last_year=20.0)
    stored(tenant, monthly, "rep", "8", "month", may, 99.0)  # another rep: not asked
    stored(tenant, monthly, "rep", "7", "month", april, 28.0)  # an earlier month
    stored(tenant, monthly, "company", "", "month", may, 40.0)
    stored(tenant, quarterly, "company", "", "quarter", q2, 52.0)
    stored(tenant, quarterly, "company", "", "month", may, 12.0)  # not the KPI's grain
    target_set(tenant=tenant, kpi=monthly, scope="rep", member="7", grain="month",
               period_start=may, minimum=Decimal(30), stretch=Decimal(35))  # fmt: skip
    target_set(tenant=tenant, kpi=monthly, scope="rep", member="8", grain="month",
               period_start=may, minimum=Decimal(90), stretch=Decimal(95))  # fmt: skip
    placements = [
        (monthly, "rep", "7"),
        (monthly, "company", ""),
        (quarterly, "company", ""),
        (quarterly, "rep", "7"),  # nothing stored
    ]

    with CaptureQueriesContext(connection) as queries:
        values = kpi_values(tenant=tenant, placements=placements, as_of=AS_OF)

    assert len(queries) == 2
    rep = values[(monthly.pk, "rep", "7")]
    assert (rep.value, rep.previous_value, rep.last_year_value) == (31.0, 28.0, 20.0)
    assert rep.period == may and (rep.target.minimum, rep.target.stretch) == (30, 35)
    assert rep.status.code == "amber"  # 31: at least the minimum 30, below the stretch 35
    assert values[(monthly.pk, "company", "")].value == 40.0
    assert values[(monthly.pk, "company", "")].target is None
    nps = values[(quarterly.pk, "company", "")]
    assert nps.period == q2 and nps.value == 52.0
    empty = values[(quarterly.pk, "rep", "7")]
    assert empty.measurement is None and empty.value is None
    assert set(values) == {(k.pk, s, m) for k, s, m in placements}
