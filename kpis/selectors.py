"""Read side of the KPI app."""

from __future__ import annotations

from portal.models import Department, Membership, Tenant


def scope_member_names(*, tenant: Tenant) -> dict[str, dict[str, str]]:
    """Readable names for scope members: department names and rep usernames by id."""
    return {
        "department": {
            str(pk): name
            for pk, name in Department.objects.filter(tenant=tenant).values_list("id", "name")
        },
        "rep": {
            str(pk): username
            for pk, username in Membership.objects.filter(tenant=tenant).values_list(
                "id", "user__username"
            )
        },
    }
