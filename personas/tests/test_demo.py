"""The demo personas and roadmap on generated data: they recognise most customers."""

from datetime import date

import pytest

from customers.generator import generate
from kpis.starter import starter_kpis_create
from personas.demo import HISTORY_MONTHS, personas_demo_create, personas_demo_history
from personas.models import Persona, PersonaAssignment, PersonaSnapshot
from personas.services import personas_assign
from roadmap.demo import roadmap_demo_create
from roadmap.models import RoadmapItem
from roadmap.selectors import roadmap_summary, roadmap_timeline

pytestmark = pytest.mark.django_db

TODAY = date(2026, 5, 20)


def test_the_demo_personas_and_roadmap(in_tenant):
    tenant = in_tenant
    generate(tenant=tenant, customers=120, orders=6000, months=18, seed=3, end=TODAY)
    starter_kpis_create(tenant=tenant, as_of=TODAY)
    assert personas_demo_create(tenant=tenant, today=TODAY) == 6
    assert personas_demo_create(tenant=tenant, today=TODAY) == 0  # idempotent
    assert personas_demo_history(tenant=tenant, today=TODAY) == HISTORY_MONTHS
    counts = personas_assign(tenant=tenant, as_of=TODAY)
    assert counts["customers"] == 120
    assert counts["assigned"] >= 100  # the personas recognise most customers
    assert sum(1 for n in counts["by_persona"].values() if n) >= 5
    months = PersonaSnapshot.objects.values("month").distinct().count()
    assert months == HISTORY_MONTHS + 1
    assert sum(p.is_review_due(TODAY) for p in Persona.objects.all()) == 2
    assert PersonaAssignment.objects.count() == 120

    assert roadmap_demo_create(tenant=tenant, today=TODAY) == 16
    assert roadmap_demo_create(tenant=tenant, today=TODAY) == 0
    quarters = roadmap_timeline(tenant=tenant, as_of=TODAY)
    assert [q.label for q in quarters] == [
        "2025 Q3",
        "2025 Q4",
        "2026 Q1",
        "2026 Q2",
        "2026 Q3",
        "2026 Q4",
    ]
    summary = roadmap_summary(tenant=tenant, as_of=TODAY)
    assert summary["counts"] == {
        "realised": 5,
        "in_progress": 3,
        "coming": 6,
        "late": 1,
        "total": 15,
    }
    assert RoadmapItem.objects.filter(kpi_links__isnull=False).distinct().count() == 14
