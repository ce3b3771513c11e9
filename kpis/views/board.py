"""The board page, its conclusions box and the board pack PDF."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from kpis import services
from kpis.board import board_page
from kpis.boardpack import board_pack_pdf
from kpis.forms import BoardConclusionForm
from kpis.models import BoardConclusion
from kpis.periods import add_months
from portal.models import Role
from portal.pagecache import lazy
from portal.roles import role_required

BOARD_MONTHS = 12


def _board_month(request: HttpRequest, value: str | None) -> date:
    """The month asked for (YYYY-MM), never after the running one; the running one if none."""
    current = timezone.localdate().replace(day=1)
    if not value:
        return current
    try:
        month = date.fromisoformat(f"{value}-01")
    except ValueError as exc:
        raise Http404 from exc
    return min(month, current)


def _board_context(request: HttpRequest, month: date) -> dict:
    today = timezone.localdate()
    current = today.replace(day=1)
    return {
        # computed on first use only: a cached page never builds it (portal.pagecache)
        "page": lazy(lambda: board_page(tenant=request.tenant, month=month, today=today)),
        "month": month,
        "months": [add_months(current, -n) for n in range(BOARD_MONTHS)],
        "can_edit": request.membership.role in (Role.BOARD, Role.ADMIN),
    }


@require_GET
@role_required(Role.BOARD, Role.ADMIN)
def board(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    month = _board_month(request, request.GET.get("month"))
    return render(request, "kpis/board.html", _board_context(request, month))


@require_http_methods(["GET", "POST"])
@role_required(Role.BOARD, Role.ADMIN)
def board_conclusion(request: HttpRequest, tenant_slug: str, month: str) -> HttpResponse:
    """The month's conclusions box: its form (GET), a new version (POST, 422 when empty)."""
    chosen = _board_month(request, month)
    conclusions = list(
        BoardConclusion.objects.filter(tenant=request.tenant, month=chosen).select_related("author")
    )
    latest = conclusions[0] if conclusions else None
    form = BoardConclusionForm(initial={"text": latest.text if latest else ""})
    status = 200
    if request.method == "POST":
        form = BoardConclusionForm(request.POST)
        if form.is_valid():
            try:
                services.board_conclusion_save(
                    tenant=request.tenant,
                    month=chosen,
                    text=form.cleaned_data["text"],
                    user=request.user,
                )
            except ValidationError as exc:
                form.add_error("text", exc.message_dict.get("text", exc.messages))
        if form.is_valid():
            context = _board_context(request, chosen)
            return render(request, "kpis/board.html#conclusions", context)
        status = 422
    context = {"form": form, "month": chosen, "conclusion": latest}
    return render(request, "kpis/board.html#conclusion-form", context, status=status)


@require_GET
@role_required(Role.BOARD, Role.ADMIN)
def board_pack(request: HttpRequest, tenant_slug: str, month: str) -> HttpResponse:
    """The board pack of a month as a PDF: the board page plus one page per KPI."""
    chosen = _board_month(request, month)
    pdf = board_pack_pdf(
        tenant=request.tenant, month=chosen, today=timezone.localdate(), request=request
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"board-pack-{request.tenant.slug}-{chosen:%Y-%m}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
