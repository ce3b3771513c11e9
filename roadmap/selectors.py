"""Read side of the roadmap: the quarter timeline and the board's realised-vs-coming summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from kpis.periods import add_months
from portal.models import Tenant
from roadmap.models import RoadmapChange, RoadmapItem, quarter_label, quarter_start

OPEN = (RoadmapItem.Status.IDEA, RoadmapItem.Status.PLANNED, RoadmapItem.Status.IN_PROGRESS)


@dataclass(frozen=True)
class Quarter:
    start: date
    label: str
    items: list[RoadmapItem]
    is_current: bool


def roadmap_items(*, tenant: Tenant) -> QuerySet[RoadmapItem]:
    return (
        RoadmapItem.objects.filter(tenant=tenant)
        .select_related("owner__user", "department")
        .prefetch_related("kpi_links__kpi")
    )


def roadmap_timeline(
    *,
    tenant: Tenant,
    as_of: date,
    status: str = "",
    theme: str = "",
    department_id: int | None = None,
) -> list[Quarter]:
    """Quarters from the first planned start to the last planned end, each with the items
    that land in it (their planned end quarter), optionally filtered. Dropped items are left
    out unless `status` asks for them; an open item past its end quarter gets `is_late`.
    Three queries (items, their KPI links, those KPIs)."""
    items = roadmap_items(tenant=tenant)
    if status:
        items = items.filter(status=status)
    else:
        items = items.exclude(status=RoadmapItem.Status.DROPPED)
    if theme:
        items = items.filter(theme__iexact=theme)
    if department_id:
        items = items.filter(department_id=department_id)
    items = list(items)
    if not items:
        return []
    by_quarter: dict[date, list[RoadmapItem]] = {}
    for item in items:
        by_quarter.setdefault(item.end_quarter, []).append(item)
    first = min(item.start_quarter for item in items)
    last = max(by_quarter)
    current = quarter_start(as_of)
    for item in items:
        item.is_late = roadmap_item_is_late(item, as_of=as_of)
    quarters, q = [], first
    while q <= last:
        quarters.append(Quarter(q, quarter_label(q), by_quarter.get(q, []), q == current))
        q = add_months(q, 3)
    return quarters


def roadmap_themes(*, tenant: Tenant) -> list[str]:
    return sorted(
        set(
            RoadmapItem.objects.filter(tenant=tenant)
            .exclude(theme="")
            .values_list("theme", flat=True)
        ),
        key=str.lower,
    )


def roadmap_summary(*, tenant: Tenant, as_of: date) -> dict:
    """Realised vs coming on `as_of`, for the board page (two queries, whatever the size).

    Returns a dict:

    - ``as_of`` (date) and ``quarter`` (str, e.g. "2026 Q4"): the day and its quarter;
    - ``realised``: items done on or before `as_of`, most recently done first;
    - ``in_progress``: items in progress whose planned end quarter has not passed;
    - ``coming``: ideas and planned items ending in this quarter or later, soonest first;
    - ``late``: open items (idea, planned, in progress) whose planned end quarter has passed;
    - ``counts``: {"realised", "in_progress", "coming", "late", "total"} as ints
      (total = the four together; dropped items are nowhere);
    - ``realised_share``: realised / total in % (None without items);
    - ``this_quarter``: items planned to end in `as_of`'s quarter, done or not.

    Every item is a `RoadmapItem` with `owner__user` and `department` selected and
    `kpi_links__kpi` prefetched, so `item.kpi_links.all` costs no query.
    """
    current = quarter_start(as_of)
    summary: dict = {"realised": [], "in_progress": [], "coming": [], "late": []}
    this_quarter = []
    for item in roadmap_items(tenant=tenant).exclude(status=RoadmapItem.Status.DROPPED):
        if item.end_quarter == current:
            this_quarter.append(item)
        if item.status == RoadmapItem.Status.DONE:
            if item.done_on and item.done_on <= as_of:
                summary["realised"].append(item)
            else:  # done "in the future" (a typo or a later as_of): not realised yet
                summary["coming"].append(item)
            continue
        if item.end_quarter < current:
            summary["late"].append(item)
        elif item.status == RoadmapItem.Status.IN_PROGRESS:
            summary["in_progress"].append(item)
        else:
            summary["coming"].append(item)
    summary["realised"].sort(key=lambda i: i.done_on, reverse=True)
    summary["coming"].sort(key=lambda i: (i.end_quarter, i.start_quarter, i.title))
    counts = {key: len(value) for key, value in summary.items()}
    counts["total"] = sum(counts.values())
    summary["counts"] = counts
    summary["realised_share"] = (
        counts["realised"] * 100 / counts["total"] if counts["total"] else None
    )
    summary["this_quarter"] = this_quarter
    summary["as_of"] = as_of
    summary["quarter"] = quarter_label(as_of)
    return summary


def roadmap_history(*, tenant: Tenant, item: RoadmapItem) -> QuerySet[RoadmapChange]:
    return RoadmapChange.objects.filter(tenant=tenant, item=item).select_related("changed_by")[:50]


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


def _readable(field: str, value) -> str:
    if value in (None, "", [], {}):
        return "—"
    if field == "status":
        return str(RoadmapItem.Status(value).label)
    if field in {"start_quarter", "end_quarter"}:
        return quarter_label(date.fromisoformat(value))
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" if v else str(k) for k, v in value.items())
    return str(value)


def change_rows(change: RoadmapChange) -> list[Change]:
    """A history entry's changes with field labels and readable values; on creation
    `before` is "" and empty fields are left out."""
    labels = {f.name: f.verbose_name for f in RoadmapItem._meta.fields}
    labels["kpis"] = _("Linked KPIs")
    created = all(before is None for before, _after in change.changes.values())
    rows = [
        Change(
            capfirst(str(labels.get(field, field))),
            "" if created else _readable(field, before),
            _readable(field, after),
        )
        for field, (before, after) in change.changes.items()
        if not (created and after in (None, "", {}))
    ]
    return [row for row in rows if row.before != row.after]  # e.g. None -> "" on creation


def roadmap_item_is_late(item: RoadmapItem, *, as_of: date) -> bool:
    """Open (idea, planned, in progress) after its planned end quarter."""
    return item.status in OPEN and item.end_quarter < quarter_start(as_of)
