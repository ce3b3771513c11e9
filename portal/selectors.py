"""Read side of the portal app."""

from __future__ import annotations

from django.db.models import QuerySet

from portal.models import Department, GlossaryTerm, JobRun, Membership, Tenant


def tenants_for_user(*, user) -> QuerySet[Tenant]:
    """The tenants a user belongs to (Tenant is global; the join filters by user)."""
    if not user.is_authenticated:
        return Tenant.objects.none()
    return Tenant.objects.filter(membership__user=user).order_by("name")


def member_list(*, tenant: Tenant) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(tenant=tenant)
        .select_related("user")
        .prefetch_related("departments")
        .order_by("role", "user__username")
    )


def department_list(*, tenant: Tenant) -> QuerySet[Department]:
    return (
        Department.objects.filter(tenant=tenant)
        .select_related("head__user", "data_ambassador__user")
        .prefetch_related("members__user")
        .order_by("name")
    )


def glossary_list(*, tenant: Tenant) -> QuerySet[GlossaryTerm]:
    return GlossaryTerm.objects.filter(tenant=tenant).select_related("updated_by").order_by("term")


def jobrun_list(*, tenant: Tenant) -> QuerySet[JobRun]:
    return (
        JobRun.objects.filter(tenant=tenant).select_related("triggered_by").order_by("-created_at")
    )


def audit_entry_list(
    *,
    tenant: Tenant,
    kind: str = "",
    action: str = "",
    who: str = "",
    since=None,
    until=None,
) -> QuerySet:
    """The tenant's audit trail, newest first, narrowed by the filters given (dates are days
    in the tenant's time zone, both ends included)."""
    from datetime import datetime, time, timedelta

    from portal.models import AuditEntry

    entries = AuditEntry.objects.filter(tenant=tenant)
    if kind:
        entries = entries.filter(model=kind)
    if action:
        entries = entries.filter(action=action)
    if who:
        entries = entries.filter(actor_label__icontains=who)
    if since:
        entries = entries.filter(at__gte=datetime.combine(since, time(), tenant.tzinfo))
    if until:
        end = datetime.combine(until + timedelta(days=1), time(), tenant.tzinfo)
        entries = entries.filter(at__lt=end)
    return entries.order_by("-at", "-id")
