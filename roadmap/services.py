"""Write side of the roadmap: items with their KPI links, and a history of every change."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from kpis.models import Kpi
from portal.models import Tenant
from roadmap.models import RoadmapChange, RoadmapItem, RoadmapKpiLink, quarter_start

ITEM_FIELDS = [
    "title",
    "description",
    "theme",
    "department",
    "owner",
    "start_quarter",
    "end_quarter",
    "status",
    "progress",
    "done_on",
]


def _state(item: RoadmapItem, links: dict[str, str]) -> dict:
    state = {}
    for field in ITEM_FIELDS:
        value = getattr(item, field)
        if isinstance(value, date):
            value = value.isoformat()
        elif field == "owner":
            value = value.display_name if value else None
        elif hasattr(value, "pk"):
            value = str(value)
        state[field] = value
    state["kpis"] = {name: links[name] for name in sorted(links)}
    return state


def _links(item: RoadmapItem) -> dict[str, str]:
    return {link.kpi.name: link.expected_effect for link in item.kpi_links.select_related("kpi")}


@transaction.atomic
def roadmap_item_save(
    *,
    tenant: Tenant,
    item: RoadmapItem | None,
    data: dict,
    kpi_effects: dict[Kpi, str] | None = None,
    user=None,
    today: date | None = None,
) -> RoadmapItem:
    """Create or update an item; `kpi_effects` ({kpi: expected effect}) replaces its links.

    Quarters are stored as their first day; a done item gets progress 100 and a done date
    (today unless given), any other status loses its done date. Every change is recorded
    as a RoadmapChange ({field: [before, after]}, who, when)."""
    today = today or timezone.localdate()
    before: dict = {}
    if item is None:
        item = RoadmapItem(tenant=tenant)
    else:
        # A model form has already copied its input onto `item`: read the stored state.
        stored = RoadmapItem.objects.select_related("owner__user", "department").get(
            tenant=tenant, pk=item.pk
        )
        before = _state(stored, _links(stored))
    for field, value in data.items():
        if field in ITEM_FIELDS:
            setattr(item, field, value)
    item.start_quarter = quarter_start(item.start_quarter)
    item.end_quarter = quarter_start(item.end_quarter)
    if item.status == RoadmapItem.Status.DONE:
        item.progress = 100
        item.done_on = item.done_on or today
    else:
        item.done_on = None
    item.updated_at = timezone.now()
    item.full_clean(exclude=["tenant"])
    item.save()
    if kpi_effects is not None:
        RoadmapKpiLink.objects.filter(tenant=tenant, item=item).delete()
        RoadmapKpiLink.objects.bulk_create(
            RoadmapKpiLink(tenant=tenant, item=item, kpi=kpi, expected_effect=effect)
            for kpi, effect in kpi_effects.items()
        )
    after = _state(item, _links(item))
    changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    if changes:
        RoadmapChange.objects.create(
            tenant=tenant, item=item, item_title=item.title, changed_by=user, changes=changes
        )
    return item
