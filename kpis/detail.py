"""A KPI's trend and breakdowns (the KPI page, the board pack): stored measurements and
targets only, a constant number of queries for any number of KPIs."""

from __future__ import annotations

from datetime import date
from html import escape

from django.db.models import Exists, OuterRef
from django.utils.safestring import SafeString, mark_safe

from kpis.models import CheckIn, Kpi, Measurement, Target
from kpis.periods import add_months
from kpis.selectors import current_periods, kpi_value_of
from portal.models import Department, Membership, Tenant

TREND_MONTHS = 24
BREAKDOWN_SCOPES = ("department", "rep", "country", "channel")


def kpi_trends(
    *, tenant: Tenant, kpis: list[Kpi], as_of: date, months: int = TREND_MONTHS
) -> dict[int, list[dict]]:
    """Per KPI, its company values with the target band per period, oldest first (2 queries).

    [{"period": "2026-01-01", "value": 41.5, "minimum": 40.0, "stretch": 45.0}]
    """
    if not kpis:
        return {}
    grains = {k.pk: k.grain for k in kpis}
    first = add_months(as_of.replace(day=1), -(months - 1))
    lookup = {
        "tenant": tenant,
        "kpi__in": list(grains),
        "scope": "company",
        "member": "",
        "period_start__gte": first,
        "period_start__lte": as_of,
    }
    targets = {(t.kpi_id, t.grain, t.period_start): t for t in Target.objects.filter(**lookup)}
    out: dict[int, list[dict]] = {k.pk: [] for k in kpis}
    for m in Measurement.objects.filter(**lookup).order_by("period_start"):
        if m.grain != grains[m.kpi_id]:
            continue
        target = targets.get((m.kpi_id, m.grain, m.period_start))
        out[m.kpi_id].append(
            {
                "period": m.period_start.isoformat(),
                "value": m.value,
                "minimum": float(target.minimum) if target else None,
                "stretch": float(target.stretch) if target else None,
            }
        )
    return out


def kpi_breakdowns(
    *, tenant: Tenant, kpis: list[Kpi], as_of: date
) -> dict[int, dict[str, list[dict]]]:
    """Per KPI and scope (department, rep, country, channel): the current period's value per
    member with its target status, largest first (4 queries: values, targets, two name maps)."""
    if not kpis:
        return {}
    starts = current_periods(tenant=tenant, as_of=as_of)
    by_id = {k.pk: k for k in kpis}
    lookup = {
        "tenant": tenant,
        "kpi__in": list(by_id),
        "scope__in": BREAKDOWN_SCOPES,
        "period_start__in": set(starts.values()),
    }
    targets = {
        (t.kpi_id, t.scope, t.member, t.grain, t.period_start): t
        for t in Target.objects.filter(**lookup)
    }
    names = breakdown_names(tenant=tenant)
    out: dict[int, dict[str, list[dict]]] = {k.pk: {} for k in kpis}
    for m in Measurement.objects.filter(**lookup):
        kpi = by_id[m.kpi_id]
        if m.grain != kpi.grain or m.period_start != starts[kpi.grain]:
            continue
        value = kpi_value_of(
            kpi=kpi,
            scope=m.scope,
            member=m.member,
            period=m.period_start,
            measurement=m,
            target=targets.get((m.kpi_id, m.scope, m.member, m.grain, m.period_start)),
            as_of=as_of,
        )
        name = names.get(m.scope, {}).get(m.member, m.member)
        out[kpi.pk].setdefault(m.scope, []).append({"name": name, "value": value})
    for scopes in out.values():
        for rows in scopes.values():
            rows.sort(key=lambda r: -(r["value"].value or 0))
    return out


def breakdown_names(*, tenant: Tenant) -> dict[str, dict[str, str]]:
    """Readable names of scope members: departments, reps (full names), channels (3 queries)."""
    from customers.models import Channel

    names = {
        "department": {
            str(pk): name
            for pk, name in Department.objects.filter(tenant=tenant).values_list("id", "name")
        },
        "rep": {
            str(m.pk): m.display_name
            for m in Membership.objects.filter(tenant=tenant).select_related("user")
        },
        "channel": {
            code: str(label)
            for code, label in Channel.objects.filter(tenant=tenant).values_list("code", "label")
        },
    }
    return names


def kpi_checkins(*, tenant: Tenant, kpis: list[Kpi], per_kpi: int = 5) -> dict[int, list[CheckIn]]:
    """The latest check-ins per KPI (one query)."""
    out: dict[int, list[CheckIn]] = {k.pk: [] for k in kpis}
    for c in CheckIn.objects.filter(tenant=tenant, kpi__in=list(out)).select_related("author"):
        if len(out[c.kpi_id]) < per_kpi:
            out[c.kpi_id].append(c)
    return out


def svg_trend(points: list[dict], *, width: int = 640, height: int = 180) -> SafeString:
    """A static trend chart for print: values as a line, the target band shaded between the
    minimum and stretch lines. Without values, an empty string."""
    values = [p["value"] for p in points if p["value"] is not None]
    if not values:
        return mark_safe("")  # noqa: S308 - constant
    limits = values + [p[k] for p in points for k in ("minimum", "stretch") if p[k] is not None]
    low, high = min(limits), max(limits)
    if high == low:
        high, low = high + 1, low - 1
    pad = 6
    step = (width - 2 * pad) / max(len(points) - 1, 1)

    def x(i: int) -> float:
        return pad + i * step

    def y(v: float) -> float:
        return pad + (high - v) / (high - low) * (height - 2 * pad)

    def line(key: str) -> str:
        return " ".join(
            f"{x(i):.1f},{y(p[key]):.1f}" for i, p in enumerate(points) if p[key] is not None
        )

    band = [(i, p) for i, p in enumerate(points) if p["minimum"] is not None]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="trend">'
    ]
    if band:
        upper = " ".join(f"{x(i):.1f},{y(p['stretch']):.1f}" for i, p in band)
        lower = " ".join(f"{x(i):.1f},{y(p['minimum']):.1f}" for i, p in reversed(band))
        parts.append(f'<polygon points="{upper} {lower}" fill="#dafbe1" stroke="none"/>')
        parts.append(
            f'<polyline points="{line("minimum")}" fill="none" stroke="#9a6700" '
            'stroke-dasharray="4 3" stroke-width="1"/>'
        )
        parts.append(
            f'<polyline points="{line("stretch")}" fill="none" stroke="#1a7f37" '
            'stroke-dasharray="4 3" stroke-width="1"/>'
        )
    parts.append(
        f'<polyline points="{line("value")}" fill="none" stroke="#0b5fff" stroke-width="2"/>'
    )
    last = max(i for i, p in enumerate(points) if p["value"] is not None)
    parts.append(
        f'<circle cx="{x(last):.1f}" cy="{y(points[last]["value"]):.1f}" r="3" fill="#0b5fff"/>'
    )
    if height >= 80:  # period labels on full charts, not on sparklines
        parts.append(
            f'<text x="{pad}" y="{height - 1}" font-size="9" fill="#5b6b7b">'
            f"{escape(points[0]['period'][:7])}</text>"
        )
        parts.append(
            f'<text x="{width - pad}" y="{height - 1}" font-size="9" fill="#5b6b7b" '
            f'text-anchor="end">{escape(points[-1]["period"][:7])}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - numbers and escaped labels only


def chart_roadmap_items(*, tenant: Tenant, kpi: Kpi, trend: list[dict]) -> list:
    """Roadmap items finished within the trend's window, those linked to the KPI first
    (one query)."""
    from roadmap.models import RoadmapItem, RoadmapKpiLink

    if not trend:
        return []
    first = date.fromisoformat(trend[0]["period"])
    linked = RoadmapKpiLink.objects.filter(tenant=tenant, kpi=kpi, item=OuterRef("pk"))
    items = RoadmapItem.objects.filter(
        tenant=tenant, status=RoadmapItem.Status.DONE, done_on__gte=first
    ).annotate(linked=Exists(linked))
    return sorted(items, key=lambda i: (not i.linked, i.done_on))


def kpi_chart(*, kpi: Kpi, trend: list[dict], checkins: list, roadmap_items: list) -> dict:
    """The data the trend chart script reads (json_script): values, band, markers."""
    markers = [
        {
            "date": c.created_at.date().isoformat(),
            "kind": "checkin",
            "label": f"{c.get_action_display()}: {c.comment[:60]}",
        }
        for c in checkins
    ]
    for item in roadmap_items:
        markers.append(
            {"date": item.done_on.isoformat(), "kind": "roadmap", "label": str(item.title)}
        )
    return {
        "unit": kpi.unit,
        "labels": [p["period"][:7] for p in trend],
        "periods": [p["period"] for p in trend],
        "values": [p["value"] for p in trend],
        "minimum": [p["minimum"] for p in trend],
        "stretch": [p["stretch"] for p in trend],
        "markers": markers,
    }
