"""The department page (read side): a head's KPI tree with status and pacing, the attainment
grid per rep, the acquisition funnel, breakdowns per country and channel, check-ins and what
is due for review. Stored measurements and targets only, in a constant number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext_lazy as _

from kpis.metrics import CATALOGUE
from kpis.metrics.funnel import STAGES
from kpis.models import CheckIn, Kpi, Measurement, Target
from kpis.selectors import KpiValue, current_periods, kpi_value_of, kpi_values, smart_gaps
from portal.models import Department, DepartmentMember, Membership, Role, Tenant

FUNNEL_KEYS = [f"funnel_{stage}" for stage in ["sessions", *STAGES]]
STAGE_LABELS = {
    "funnel_sessions": _("Web sessions"),
    "funnel_first_identifier": _("First identifier"),
    "funnel_second_identifier": _("Second identifier"),
    "funnel_mql": _("Marketing-qualified lead"),
    "funnel_sql": _("Sales-qualified lead"),
    "funnel_won": _("Won"),
}
GRID_COLUMNS = 6
COUNTRY_COLUMNS = 2
CHECKINS_SHOWN = 8


def is_breakdown_only(kpi: Kpi) -> bool:
    """Funnel counts and per-channel metrics have no company or department value of their own:
    the page shows them in the funnel and the channel breakdown, not in the tree."""
    metric = CATALOGUE.get(kpi.metric_key)
    return bool(metric and (kpi.metric_key in FUNNEL_KEYS or metric.scopes == ("channel",)))


def placement(kpi: Kpi, department: Department) -> tuple[str, str]:
    """Where the department reads a KPI: its own KPIs for the department (when the metric
    has a department scope), company KPIs it owns for the company."""
    metric = CATALOGUE.get(kpi.metric_key)
    if kpi.department_id == department.pk and metric and "department" in metric.scopes:
        return "department", str(department.pk)
    return "company", ""


@dataclass
class TreeRow:
    value: KpiValue
    depth: int
    gaps: list[str]
    placement: tuple[str, str]

    @property
    def kpi(self) -> Kpi:
        return self.value.kpi


@dataclass
class DepartmentPage:
    department: Department
    as_of: date
    rows: list[TreeRow] = field(default_factory=list)
    reps: list[Membership] = field(default_factory=list)
    grid_kpis: list[Kpi] = field(default_factory=list)
    grid: list[tuple[Membership, list[KpiValue]]] = field(default_factory=list)
    funnel: list[dict] = field(default_factory=list)
    country_kpis: list[Kpi] = field(default_factory=list)
    countries: list[tuple[str, list[dict]]] = field(default_factory=list)
    channel_kpis: list[Kpi] = field(default_factory=list)
    channels: list[tuple[str, list[dict]]] = field(default_factory=list)
    checkins: list[CheckIn] = field(default_factory=list)
    kpis_due: list[Kpi] = field(default_factory=list)
    pending: bool = False  # KPIs exist, but no measurement has been stored yet
    channel_names: dict[str, str] = field(default_factory=dict)

    @property
    def status_counts(self) -> dict[str, int]:
        counts = {"green": 0, "amber": 0, "red": 0, "no_target": 0, "no_data": 0}
        for row in self.rows:
            counts[row.value.status.code] += 1
        return counts


def department_members(*, tenant: Tenant, department: Department) -> list[Membership]:
    return [
        dm.membership
        for dm in DepartmentMember.objects.filter(tenant=tenant, department=department)
        .select_related("membership__user")
        .order_by("membership__user__first_name", "membership__user__username")
    ]


def department_kpi_set(
    *, kpis: list[Kpi], department: Department, member_ids: set[int]
) -> list[Kpi]:
    """The department's own KPIs plus the company KPIs its members own."""
    return [
        k
        for k in kpis
        if not is_breakdown_only(k)
        and (
            k.department_id == department.pk
            or (k.department_id is None and k.owner_id in member_ids)
        )
    ]


def tree_order(kpis: list[Kpi]) -> list[tuple[Kpi, int]]:
    """Depth-first: parents before their children; a KPI whose parent is elsewhere is a root."""
    ids = {k.pk for k in kpis}
    children: dict[int | None, list[Kpi]] = {}
    for k in kpis:
        children.setdefault(k.parent_id if k.parent_id in ids else None, []).append(k)
    out: list[tuple[Kpi, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for k in sorted(children.get(parent, []), key=lambda k: (k.position, k.name)):
            out.append((k, depth))
            walk(k.pk, depth + 1)

    walk(None, 0)
    return out


def department_page(*, tenant: Tenant, department: Department, as_of: date) -> DepartmentPage:
    page = DepartmentPage(department=department, as_of=as_of)
    members = department_members(tenant=tenant, department=department)
    member_ids = {m.pk for m in members}
    page.reps = [m for m in members if m.role == Role.REP]
    all_kpis = list(
        Kpi.objects.filter(tenant=tenant).select_related("owner__user", "department", "parent")
    )
    mine = department_kpi_set(kpis=all_kpis, department=department, member_ids=member_ids)
    ordered = tree_order(mine)
    page.grid_kpis = [
        k for k, _depth in ordered if "rep" in getattr(CATALOGUE.get(k.metric_key), "scopes", ())
    ][:GRID_COLUMNS]
    placements = [(k, *placement(k, department)) for k, _depth in ordered]
    placements += [(k, "rep", str(rep.pk)) for rep in page.reps for k in page.grid_kpis]
    values = kpi_values(tenant=tenant, placements=placements, as_of=as_of)
    with_targets = set(
        Target.objects.filter(tenant=tenant, kpi__in=[k.pk for k in mine])
        .values_list("kpi_id", flat=True)
        .distinct()
    )
    for kpi, depth in ordered:
        where = placement(kpi, department)
        page.rows.append(
            TreeRow(
                value=values[(kpi.pk, *where)],
                depth=depth,
                gaps=smart_gaps(kpi=kpi, has_target=kpi.pk in with_targets),
                placement=where,
            )
        )
    page.pending = bool(page.rows) and all(r.value.measurement is None for r in page.rows)
    page.grid = [
        (rep, [values[(k.pk, "rep", str(rep.pk))] for k in page.grid_kpis]) for rep in page.reps
    ]
    page.kpis_due = [k for k, _depth in ordered if k.is_review_due(as_of)]
    _breakdowns(page, tenant=tenant, all_kpis=all_kpis, tree=[k for k, _ in ordered])
    page.checkins = list(
        CheckIn.objects.filter(tenant=tenant, kpi__in=[k.pk for k in mine]).select_related(
            "author", "kpi"
        )[:CHECKINS_SHOWN]
    )
    return page


def _breakdowns(page: DepartmentPage, *, tenant: Tenant, all_kpis: list[Kpi], tree: list[Kpi]):
    """Funnel, countries and channels from one query on the current periods' measurements."""
    funnel = {k.metric_key: k for k in all_kpis if k.metric_key in FUNNEL_KEYS}
    page.country_kpis = [
        k for k in tree if "country" in getattr(CATALOGUE.get(k.metric_key), "scopes", ())
    ][:COUNTRY_COLUMNS]
    page.channel_kpis = [
        k for k in all_kpis if getattr(CATALOGUE.get(k.metric_key), "scopes", ()) == ("channel",)
    ]
    wanted = list(funnel.values()) + page.country_kpis + page.channel_kpis
    if not wanted:
        return
    starts = current_periods(tenant=tenant, as_of=page.as_of)
    rows = Measurement.objects.filter(
        tenant=tenant,
        kpi__in=[k.pk for k in wanted],
        scope__in=["company", "country", "channel"],
        period_start__in=set(starts.values()),
    )
    by_key: dict[tuple[int, str, str], Measurement] = {}
    for m in rows:
        kpi = next(k for k in wanted if k.pk == m.kpi_id)
        if m.grain == kpi.grain and m.period_start == starts[kpi.grain]:
            by_key[(m.kpi_id, m.scope, m.member)] = m
    previous = None
    for key in FUNNEL_KEYS:
        kpi = funnel.get(key)
        if kpi is None:
            continue
        m = by_key.get((kpi.pk, "company", ""))
        value = m.value if m else None
        prev = m.previous_value if m else None
        stage = {
            "kpi": kpi,
            "label": STAGE_LABELS[key],
            "value": value,
            "previous": prev,
            "last_year": m.last_year_value if m else None,
            "conversion": None,
        }
        if previous is not None and previous["value"] and value is not None:
            stage["conversion"] = value / previous["value"] * 100
        page.funnel.append(stage)
        previous = stage
    countries = sorted(
        {member for (_k, scope, member) in by_key if scope == "country" and member},
    )
    page.countries = [
        (
            country,
            [
                {"kpi": k, "measurement": by_key.get((k.pk, "country", country))}
                for k in page.country_kpis
            ],
        )
        for country in countries
    ]
    # Largest first, by the first KPI's value.
    page.countries.sort(key=lambda row: -_number(row[1][0]["measurement"]) if row[1] else 0)
    channel_codes = sorted(
        {member for (_k, scope, member) in by_key if scope == "channel" and member}
    )
    if channel_codes:
        from customers.models import Channel, channel_label

        page.channel_names = {
            code: channel_label(code, label)
            for code, label in Channel.objects.filter(tenant=tenant).values_list("code", "label")
        }
    totals = {
        k.pk: sum(
            (by_key[(k.pk, "channel", c)].value or 0)
            for c in channel_codes
            if (k.pk, "channel", c) in by_key
        )
        for k in page.channel_kpis
    }
    for code in channel_codes:
        cells = []
        for k in page.channel_kpis:
            m = by_key.get((k.pk, "channel", code))
            value = m.value if m else None
            share = value / totals[k.pk] * 100 if value is not None and totals[k.pk] else None
            cells.append({"kpi": k, "measurement": m, "share": share})
        page.channels.append((page.channel_names.get(code, code), cells))
    page.channels.sort(key=lambda row: -_number(row[1][0]["measurement"]) if row[1] else 0)


def _number(measurement: Measurement | None) -> float:
    return (measurement.value or 0) if measurement is not None else 0


def department_kpi_row(*, tenant: Tenant, department: Department, kpi: Kpi, as_of: date) -> TreeRow:
    """One row of the tree (after an inline edit): two queries."""
    where = placement(kpi, department)
    starts = current_periods(tenant=tenant, as_of=as_of)
    start = starts[kpi.grain]
    lookup = {"kpi": kpi, "scope": where[0], "member": where[1], "grain": kpi.grain}
    measurement = Measurement.objects.filter(tenant=tenant, period_start=start, **lookup).first()
    targets = list(Target.objects.filter(tenant=tenant, kpi=kpi))
    target = next(
        (
            t
            for t in targets
            if (t.scope, t.member, t.grain, t.period_start) == (*where, kpi.grain, start)
        ),
        None,
    )
    value = kpi_value_of(
        kpi=kpi,
        scope=where[0],
        member=where[1],
        period=start,
        measurement=measurement,
        target=target,
        as_of=as_of,
    )
    depth = 1 if kpi.parent_id else 0
    return TreeRow(value, depth, smart_gaps(kpi=kpi, has_target=bool(targets)), where)


def kpi_in_department(*, tenant: Tenant, kpi: Kpi, department: Department) -> bool:
    member_ids = set(
        DepartmentMember.objects.filter(tenant=tenant, department=department).values_list(
            "membership_id", flat=True
        )
    )
    return bool(department_kpi_set(kpis=[kpi], department=department, member_ids=member_ids))
