"""The audit trail: who changed what, when, before and after; visible to admins only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kpis.models import CheckIn, Kpi
from portal.management.base import TenantCommand
from portal.models import AuditEntry, Membership, Role, Tenant
from portal.tenancy import acting_as, tenant_context

pytestmark = pytest.mark.django_db


def entries(tenant, **filters):
    with tenant_context(tenant):
        return list(AuditEntry.objects.filter(**filters).order_by("at", "id"))


def test_a_check_in_through_the_page_is_recorded_with_its_author(tenant, members, head_client):
    with tenant_context(tenant):
        kpi = Kpi.objects.create(tenant=tenant, name="Online share", metric_key="ecommerce_share")
    response = head_client.post(
        f"/t/acme/kpis/{kpi.pk}/", {"action": "start", "comment": "Call the top 20 by phone"}
    )
    assert response.status_code == 302
    [entry] = entries(tenant, model="kpis.CheckIn")
    assert entry.action == "create"
    assert entry.actor == members[Role.HEAD].user and entry.actor_label == "head-user"
    assert entry.changes["comment"] == [None, "Call the top 20 by phone"]
    assert entry.changes["action"] == [None, "start"]
    assert timezone.now() - entry.at < timedelta(minutes=1)


def test_a_change_records_only_the_fields_that_changed_with_before_and_after(tenant, members):
    with tenant_context(tenant), acting_as(user_id=members[Role.ADMIN].user_id, label="admin-user"):
        kpi = Kpi.objects.create(tenant=tenant, name="Adoption", metric_key="online_adoption")
        kpi = Kpi.objects.get(pk=kpi.pk)
        kpi.name = "Online adoption"
        kpi.save()
        kpi.save()  # nothing changed: no entry
        membership = Membership.objects.get(pk=members[Role.REP].pk)
        membership.role = Role.HEAD
        membership.save(update_fields=["role"])
        kpi.delete()
    kpi_entries = entries(tenant, model="kpis.Kpi")
    assert [e.action for e in kpi_entries] == ["create", "update", "delete"]
    assert kpi_entries[1].changes == {"name": ["Adoption", "Online adoption"]}
    assert kpi_entries[2].changes["name"] == ["Online adoption", None]
    [role_change] = entries(tenant, model="portal.Membership", action="update")
    assert role_change.changes == {"role": ["rep", "head"]}
    assert role_change.actor_label == "admin-user"


def test_a_rolled_back_change_leaves_no_entry(tenant):
    with tenant_context(tenant), pytest.raises(RuntimeError), transaction.atomic():
        Kpi.objects.create(tenant=tenant, name="Doomed", metric_key="revenue")
        raise RuntimeError("the service failed after the write")
    assert entries(tenant) == []


def test_commands_and_tasks_are_named_as_the_actor(tenant):
    class Command(TenantCommand):
        def handle_tenant(self, tenant, **options):
            Kpi.objects.create(tenant=tenant, name="From a command", metric_key="revenue")

    Command.__module__ = "kpis.management.commands.starter_kpis"
    call_command(Command(), "--tenant", "acme")
    [entry] = entries(tenant, model="kpis.Kpi")
    assert entry.actor is None and entry.actor_label == "command starter_kpis"
    with tenant_context(tenant):
        Kpi.objects.create(tenant=tenant, name="Nobody", metric_key="revenue")
    assert entries(tenant, model="kpis.Kpi")[-1].actor_label == "system"


def make_entries(tenant, n: int, *, model: str = "kpis.Kpi", who: str = "admin-user"):
    now = timezone.now()
    with tenant_context(tenant):
        AuditEntry.objects.bulk_create(
            AuditEntry(
                tenant=tenant,
                at=now - timedelta(minutes=i),
                actor_label=who,
                action="update",
                model=model,
                object_id=str(i),
                object_repr=f"{model} {i}",
                changes={"name": [f"old {i}", f"new {i}"]},
            )
            for i in range(n)
        )


def test_the_audit_page_filters_and_pages_keeping_the_filters(tenant, admin_client_):
    members_added = len(entries(tenant))  # the fixture's four memberships
    assert members_added == 4
    make_entries(tenant, 60, model="kpis.Kpi")
    make_entries(tenant, 3, model="roadmap.RoadmapItem", who="task kpis.recompute_tenant")
    page = admin_client_.get("/t/acme/audit/").content.decode()
    assert "67 changes" in page and "Page 1 of 2" in page
    assert page.count('<span class="muted">#') == 50  # rows on the first page
    filtered = admin_client_.get("/t/acme/audit/?kind=kpis.Kpi&who=admin").content.decode()
    assert "60 changes" in filtered and "roadmap.RoadmapItem 0" not in filtered
    assert "?kind=kpis.Kpi&amp;who=admin&amp;page=2" in filtered  # the next page keeps filters
    tasks = admin_client_.get("/t/acme/audit/?who=task").content.decode()
    assert "3 changes" in tasks
    bad = admin_client_.get("/t/acme/audit/?since=2026-05-02&until=2026-05-01")
    assert "“Until” is before “From”." in bad.content.decode()
    empty = admin_client_.get("/t/acme/audit/?since=2001-01-01&until=2001-01-02")
    assert "No changes match these filters" in empty.content.decode()


def test_the_audit_page_shows_nothing_of_another_tenant(tenant, other_tenant, admin_client_):
    make_entries(other_tenant, 2, model="kpis.Kpi", who="globex-secret-admin")
    page = admin_client_.get("/t/acme/audit/").content.decode()
    assert "globex-secret-admin" not in page
    assert "4 changes" in page  # acme's own: the fixture's four memberships


def test_the_audit_page_costs_the_same_queries_for_10_and_200_entries(tenant, admin_client_):
    make_entries(tenant, 10)
    with CaptureQueriesContext(connection) as small:
        admin_client_.get("/t/acme/audit/")
    make_entries(tenant, 190)
    with CaptureQueriesContext(connection) as large:
        admin_client_.get("/t/acme/audit/")
    assert len(small) == len(large)


def test_only_admins_open_the_audit_trail(role_clients):
    statuses = {role: c.get("/t/acme/audit/").status_code for role, c in role_clients.items()}
    assert statuses == {"admin": 200, "head": 403, "rep": 403, "board": 403}


def test_check_ins_are_audited_and_measurements_are_not():
    from portal.audit import audited_models

    labels = {m._meta.label for m in audited_models()}
    assert {"kpis.Kpi", "kpis.Target", "kpis.CheckIn", "kpis.BoardConclusion"} <= labels
    assert {"personas.Persona", "roadmap.RoadmapItem", "portal.Membership"} <= labels
    assert "customers.ImportBatch" in labels
    assert CheckIn._meta.label in labels and "kpis.Measurement" not in labels


def test_the_audit_page_names_what_a_reference_points_at(tenant, members, admin_client_):
    with tenant_context(tenant), acting_as(user_id=members[Role.ADMIN].user_id, label="admin-user"):
        kpi = Kpi.objects.create(tenant=tenant, name="Adoption", metric_key="online_adoption")
        kpi.owner = members[Role.HEAD]
        kpi.save()
    page = admin_client_.get("/t/acme/audit/?kind=kpis.Kpi&action=update").content.decode()
    assert "<ins>head-user (Department head)</ins>" in page


def test_the_audit_page_shows_choice_labels_not_stored_codes(tenant, members, admin_client_):
    with tenant_context(tenant), acting_as(user_id=members[Role.ADMIN].user_id, label="admin-user"):
        membership = Membership.objects.get(pk=members[Role.REP].pk)
        membership.role = Role.HEAD
        membership.save(update_fields=["role"])
    page = admin_client_.get("/t/acme/audit/?kind=portal.Membership&action=update")
    html = page.content.decode()
    assert "<del>Sales rep</del>" in html
    assert "<ins>Department head</ins>" in html
    assert "<ins>head</ins>" not in html


@pytest.mark.django_db(transaction=True)  # the foreign keys are checked at commit
def test_deleting_a_tenant_takes_its_trail_along(tenant, members):
    with tenant_context(tenant):
        Kpi.objects.create(tenant=tenant, name="Revenue", metric_key="revenue")
        assert AuditEntry.objects.count() == 5  # four members and the KPI
        tenant.delete()
    assert not Tenant.objects.filter(slug="acme").exists()
