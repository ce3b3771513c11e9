"""Tenant export and restore: a round trip through the zip loses nothing.

A tenant with generated commerce data, starter KPIs with targets, check-ins and conclusions,
a manual KPI value, personas, a roadmap, a glossary and contact notes is exported, restored
into a new, empty tenant and exported again: every file of the second zip equals the first,
and every kind holds as many rows in both tenants.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from customers.generator import generate
from customers.models import ContactMoment, Customer
from kpis.demo import demo_pages_create
from kpis.models import BoardConclusion, CheckIn, Kpi, Measurement, Target
from kpis.services import manual_value_set
from kpis.starter import starter_kpis_create
from personas.demo import personas_demo_create
from personas.models import Persona, PersonaRule
from portal.models import Department, DepartmentMember, GlossaryTerm, Membership, Tenant
from portal.tenancy import tenant_context
from portal.tenant_transfer import RestoreError, tenant_export, tenant_restore
from roadmap.demo import roadmap_demo_create
from roadmap.models import RoadmapItem, RoadmapKpiLink
from tests.factories import TenantFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 15)
KEPT = [
    Customer,
    ContactMoment,
    Department,
    DepartmentMember,
    Membership,
    GlossaryTerm,
    Kpi,
    Target,
    CheckIn,
    BoardConclusion,
    Persona,
    PersonaRule,
    RoadmapItem,
    RoadmapKpiLink,
]


@pytest.fixture
def source():
    tenant = TenantFactory(slug="bron", name="Bron Groothandel", locale="nl")
    generate(tenant=tenant, customers=60, orders=900, months=14, seed=3, reps=3, end=TODAY)
    with tenant_context(tenant):
        kpis = starter_kpis_create(tenant=tenant, as_of=TODAY)
        demo_pages_create(tenant=tenant, as_of=TODAY)
        personas_demo_create(tenant=tenant, today=TODAY)
        roadmap_demo_create(tenant=tenant, today=TODAY)
        GlossaryTerm.objects.create(
            tenant=tenant, term="Klant", definition="=Iemand die bestelde; 12 maanden"
        )
        customer = Customer.objects.order_by("external_id").first()
        ContactMoment.objects.create(
            tenant=tenant, customer=customer, occurred_on=TODAY, note="Bezoek; wil EDI"
        )
        members = list(Membership.objects.select_related("user").order_by("user__username"))
        author = members[0].user
        department = Department.objects.order_by("name").first()
        department.head, department.data_ambassador = members[0], members[-1]
        department.save()
        kpis[1].parent = kpis[0]  # a KPI tree
        kpis[1].save()
        CheckIn.objects.create(
            tenant=tenant, kpi=kpis[0], author=author, action="start", comment="Bel de top 20"
        )
        BoardConclusion.objects.create(
            tenant=tenant,
            month=date(2026, 10, 1),
            text="Online groeit; EDI vlakt af",
            author=author,
        )
        manual = Kpi.objects.create(tenant=tenant, name="Klanttevredenheid (hand)", metric_key="")
        manual_value_set(
            tenant=tenant,
            kpi=manual,
            scope="company",
            member="",
            grain=manual.grain,
            period_start=date(2026, 10, 1),
            value=7.5,
            user=None,
            allow_closed=True,
        )
    assert kpis
    return tenant


def export_bytes(tenant) -> bytes:
    out = io.BytesIO()
    with tenant_context(tenant):
        tenant_export(tenant=tenant, out=out)
    return out.getvalue()


def counts(tenant) -> dict[str, int]:
    with tenant_context(tenant):
        found = {m._meta.label: m.objects.filter(tenant=tenant).count() for m in KEPT}
        found["manual values"] = Measurement.objects.filter(kpi__metric_key="").count()
        return found


def test_a_round_trip_through_the_zip_loses_nothing(source):
    first = export_bytes(source)
    target = TenantFactory(slug="doel", name="Doel B.V.")
    with tenant_context(target):
        restored = tenant_restore(tenant=target, fileobj=io.BytesIO(first))
    target.refresh_from_db()
    second = export_bytes(target)

    a, b = zipfile.ZipFile(io.BytesIO(first)), zipfile.ZipFile(io.BytesIO(second))
    assert sorted(a.namelist()) == sorted(b.namelist())
    for name in a.namelist():
        if name == "manifest.json":
            continue
        assert a.read(name) == b.read(name), f"{name} differs after the round trip"
    manifest_a, manifest_b = (json.loads(z.read("manifest.json")) for z in (a, b))
    assert manifest_a["files"] == manifest_b["files"]
    assert manifest_b["tenant"]["locale"] == "nl" and manifest_b["tenant"]["slug"] == "doel"

    before, after = counts(source), counts(target)
    assert before == after
    assert [label for label in before if not before[label]] == []  # every kind was exercised
    assert restored["kinds/orders.csv"] == 900 or restored["kinds/orders.csv"] > 0


def test_restore_refuses_a_tenant_that_has_data(source):
    data = export_bytes(source)
    with tenant_context(source), pytest.raises(RestoreError, match="not empty"):
        tenant_restore(tenant=source, fileobj=io.BytesIO(data))


def test_restore_is_all_or_nothing(source):
    data = io.BytesIO(export_bytes(source))
    broken = io.BytesIO()
    with zipfile.ZipFile(data) as original, zipfile.ZipFile(broken, "w") as copy:
        for item in original.namelist():
            content = original.read(item)
            if item == "tables/kpis.csv":  # a KPI owned by someone who is not a member
                lines = content.decode().splitlines()
                header = lines[0].split(",")
                row = next(csv_row for csv_row in lines[1:] if csv_row)
                cells = row.split(",")
                cells[header.index("owner")] = "nobody-here"
                lines.append(",".join(cells).replace(cells[0], cells[0] + " 2", 1))
                content = ("\n".join(lines) + "\n").encode()
            copy.writestr(item, content)
    target = TenantFactory(slug="leeg", name="Leeg")
    with tenant_context(target), pytest.raises(RestoreError, match="nobody-here"):
        tenant_restore(tenant=target, fileobj=io.BytesIO(broken.getvalue()))
    assert all(n == 0 for n in counts(target).values())


def test_the_commands_write_and_restore_a_zip(source, tmp_path, capsys):
    path = tmp_path / "bron.zip"
    call_command("tenant_export", "--tenant", "bron", str(path))
    assert "kinds/orders.csv" in capsys.readouterr().out
    call_command("create_tenant", "nieuw", "--name", "Nieuw")
    call_command("tenant_restore", "--tenant", "nieuw", str(path))
    out = capsys.readouterr().out
    assert "Restored" in out and "recompute --tenant nieuw" in out
    assert counts(Tenant.objects.get(slug="nieuw")) == counts(source)
    with pytest.raises(CommandError, match="Nothing was restored"):
        call_command("tenant_restore", "--tenant", "nieuw", str(path))
