"""The board pack: the board page plus one page per KPI, as a PDF (WeasyPrint).

Rendered from stored rows only (the board page's selectors and the KPI trends and
breakdowns), in a constant number of queries; charts are static SVG, no scripts."""

from __future__ import annotations

import logging
from datetime import date

from django.template.loader import render_to_string
from django.utils import translation

from kpis.board import board_as_of, board_page
from kpis.department import is_breakdown_only
from kpis.detail import kpi_breakdowns, kpi_checkins, kpi_trends, svg_trend
from kpis.models import Kpi
from kpis.selectors import kpi_values
from portal.models import Tenant

# WeasyPrint reports every layout step at INFO; the pack's callers only want problems.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def board_pack_kpis(*, tenant: Tenant, shown: list[Kpi]) -> list[Kpi]:
    """The board's KPIs in board order, then every other KPI with a value of its own."""
    first = [k.pk for k in shown]
    rest = [
        k
        for k in Kpi.objects.filter(tenant=tenant).select_related("owner__user", "department")
        if k.pk not in first and not is_breakdown_only(k)
    ]
    return shown + rest


def board_pack_context(*, tenant: Tenant, month: date, today: date) -> dict:
    page = board_page(tenant=tenant, month=month, today=today)
    as_of = board_as_of(month=month.replace(day=1), today=today)
    shown = ([page.super_tile.kpi] if page.super_tile else []) + [t.kpi for t in page.tiles]
    kpis = board_pack_kpis(tenant=tenant, shown=shown)
    values = kpi_values(tenant=tenant, placements=[(k, "company", "") for k in kpis], as_of=as_of)
    trends = kpi_trends(tenant=tenant, kpis=kpis, as_of=as_of, months=13)
    breakdowns = kpi_breakdowns(tenant=tenant, kpis=kpis, as_of=as_of)
    checkins = kpi_checkins(tenant=tenant, kpis=kpis)
    pages = [
        {
            "value": values[(k.pk, "company", "")],
            "trend": trends[k.pk],
            "chart": svg_trend(trends[k.pk], width=620, height=190),
            "breakdowns": breakdowns[k.pk],
            "checkins": checkins[k.pk],
        }
        for k in kpis
    ]
    for tile in ([page.super_tile] if page.super_tile else []) + page.tiles:
        tile.svg = svg_trend(
            [dict(p, minimum=None, stretch=None) for p in tile.spark], width=120, height=28
        )
    return {"tenant": tenant, "page": page, "month": month, "kpi_pages": pages}


def board_pack_html(*, tenant: Tenant, month: date, today: date, request=None) -> str:
    """The pack as HTML, in the tenant's language when there is no request."""
    context = board_pack_context(tenant=tenant, month=month, today=today)
    if request is None:
        with translation.override(tenant.locale):
            return render_to_string("kpis/board_pack.html", context)
    return render_to_string("kpis/board_pack.html", context, request=request)


def board_pack_document(*, tenant: Tenant, month: date, today: date, request=None):
    """The laid-out pack (a WeasyPrint document: pages, then PDF or PNG)."""
    from weasyprint import HTML

    html = board_pack_html(tenant=tenant, month=month, today=today, request=request)
    return HTML(string=html).render()


def board_pack_pdf(*, tenant: Tenant, month: date, today: date, request=None) -> bytes:
    """The PDF bytes of the month's board pack."""
    return board_pack_document(tenant=tenant, month=month, today=today, request=request).write_pdf()
