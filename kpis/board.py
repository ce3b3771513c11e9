"""The board page (read side): the super-KPI, 6-9 KPI tiles tied to business goals with a
sparkline, the month's conclusions with their history, the roadmap realised vs coming and
the top-10 online risers and fallers. Stored rows only, a constant number of queries."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta

from customers.models import Signal
from kpis.department import is_breakdown_only
from kpis.models import BoardConclusion, Kpi, Measurement
from kpis.periods import add_months, period_end
from kpis.selectors import KpiValue, kpi_values
from portal.models import Tenant
from roadmap.selectors import roadmap_summary

TILES_MAX = 8
SPARK_MONTHS = 12
SUPER_MONTHS = 24
MOVERS = 10
LAYER_RANK = {"goal": 0, "objective": 1, "interaction": 2}


@dataclass
class Tile:
    value: KpiValue
    goal: Kpi | None
    spark: list[dict] = field(default_factory=list)  # [{"period": "2026-01-01", "value": 1.0}]

    @property
    def kpi(self) -> Kpi:
        return self.value.kpi

    @property
    def spark_json(self) -> str:
        """The sparkline's values for the chart script (a data- attribute)."""
        return json.dumps(
            {
                "labels": [p["period"][:7] for p in self.spark],
                "values": [p["value"] for p in self.spark],
                "unit": self.kpi.unit,
            }
        )

    @property
    def spark_text(self) -> str:
        """The sparkline as text (its alternative for screen readers)."""
        points = [p for p in self.spark if p["value"] is not None]
        if not points:
            return ""
        return f"{points[0]['period'][:7]} – {points[-1]['period'][:7]}"


@dataclass
class BoardPage:
    month: date
    as_of: date
    super_tile: Tile | None = None
    tiles: list[Tile] = field(default_factory=list)
    conclusions: list[BoardConclusion] = field(default_factory=list)
    roadmap: dict = field(default_factory=dict)
    risers: list[Signal] = field(default_factory=list)
    fallers: list[Signal] = field(default_factory=list)
    movers_as_of: date | None = None

    @property
    def conclusion(self) -> BoardConclusion | None:
        return self.conclusions[0] if self.conclusions else None

    @property
    def pending(self) -> bool:
        tiles = ([self.super_tile] if self.super_tile else []) + self.tiles
        return bool(tiles) and all(t.value.measurement is None for t in tiles)


def board_as_of(*, month: date, today: date) -> date:
    """The day the board reads a month at: today for the running month, else its last day."""
    last = period_end(month, "month") - timedelta(days=1)
    return min(today, last)


def goal_of(kpi: Kpi, by_id: dict[int, Kpi]) -> Kpi | None:
    """The business goal a KPI serves: its nearest ancestor on the goal layer."""
    seen = set()
    parent = by_id.get(kpi.parent_id)
    while parent is not None and parent.pk not in seen:
        if parent.layer == Kpi.Layer.GOAL:
            return parent
        seen.add(parent.pk)
        parent = by_id.get(parent.parent_id)
    return None


def board_tile_kpis(kpis: list[Kpi]) -> list[Kpi]:
    """Company KPIs, goals first, then objectives, then interactions (position within)."""
    candidates = [
        k for k in kpis if not k.is_super and k.department_id is None and not is_breakdown_only(k)
    ]
    candidates.sort(key=lambda k: (LAYER_RANK.get(k.layer, 3), k.position, k.name))
    return candidates[:TILES_MAX]


def board_page(*, tenant: Tenant, month: date, today: date) -> BoardPage:
    month = month.replace(day=1)
    as_of = board_as_of(month=month, today=today)
    page = BoardPage(month=month, as_of=as_of)
    kpis = list(Kpi.objects.filter(tenant=tenant).select_related("owner__user"))
    by_id = {k.pk: k for k in kpis}
    super_kpi = next((k for k in kpis if k.is_super), None)
    tile_kpis = board_tile_kpis(kpis)
    shown = ([super_kpi] if super_kpi else []) + tile_kpis
    values = kpi_values(tenant=tenant, placements=[(k, "company", "") for k in shown], as_of=as_of)
    history = _history(tenant=tenant, kpis=shown, as_of=as_of)
    if super_kpi is not None:
        page.super_tile = Tile(
            values[(super_kpi.pk, "company", "")],
            goal=None,
            spark=history.get(super_kpi.pk, [])[-SUPER_MONTHS:],
        )
    page.tiles = [
        Tile(
            values[(k.pk, "company", "")],
            goal=goal_of(k, by_id),
            spark=history.get(k.pk, [])[-SPARK_MONTHS:],
        )
        for k in tile_kpis
    ]
    page.conclusions = list(
        BoardConclusion.objects.filter(tenant=tenant, month=month).select_related("author")
    )
    page.roadmap = roadmap_summary(tenant=tenant, as_of=as_of)
    _movers(page, tenant=tenant)
    return page


def _history(*, tenant: Tenant, kpis: list[Kpi], as_of: date) -> dict[int, list[dict]]:
    """Company values of each KPI's grain over the last two years, oldest first (one query)."""
    if not kpis:
        return {}
    grains = {k.pk: k.grain for k in kpis}
    first = add_months(as_of.replace(day=1), -(SUPER_MONTHS - 1))
    out: dict[int, list[dict]] = {}
    rows = (
        Measurement.objects.filter(
            tenant=tenant,
            kpi__in=list(grains),
            scope="company",
            member="",
            grain__in=set(grains.values()),
            period_start__gte=first,
            period_start__lte=as_of,
        )
        .order_by("period_start")
        .values_list("kpi_id", "grain", "period_start", "value")
    )
    for kpi_id, grain, start, value in rows:
        if grain == grains[kpi_id]:
            out.setdefault(kpi_id, []).append({"period": start.isoformat(), "value": value})
    return out


def _movers(page: BoardPage, *, tenant: Tenant) -> None:
    """The latest top-10 online customers that rose (or entered) and fell (or dropped out)
    against the same span last year, from the nightly signals (one query)."""
    up = [Signal.Kind.TOP_RISER, Signal.Kind.TOP_NEW]
    down = [Signal.Kind.TOP_FALLER, Signal.Kind.TOP_DROPOUT]
    rows = list(
        Signal.objects.filter(tenant=tenant, kind__in=up + down)
        .select_related("customer")
        .order_by("-as_of", "id")[: 4 * MOVERS]
    )
    if not rows:
        return
    page.movers_as_of = rows[0].as_of
    latest = [s for s in rows if s.as_of == page.movers_as_of]
    page.risers = sorted(
        (s for s in latest if s.kind in up), key=lambda s: s.details.get("rank", MOVERS + 1)
    )[:MOVERS]
    page.fallers = sorted(
        (s for s in latest if s.kind in down),
        key=lambda s: s.details.get("last_year_rank", MOVERS + 1),
    )[:MOVERS]
