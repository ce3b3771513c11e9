"""The KPI list and KPI page, the recompute button and the member profile."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kpis import selectors, services
from kpis.detail import chart_roadmap_items, kpi_breakdowns, kpi_chart, kpi_trends
from kpis.forms import (
    CheckInForm,
    DigestSettingsForm,
    ManualValueForm,
)
from kpis.metrics import CATALOGUE
from kpis.models import Kpi
from kpis.periods import period_start
from portal.models import JobRun, Role
from portal.roles import ALL_ROLES, MANAGERS, role_required
from portal.views import redirect_after_post


@require_POST
@role_required(*MANAGERS)
def recompute_now(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    """Start a recompute (or show the one already going on) with live progress."""
    running = (
        JobRun.objects.filter(
            tenant=request.tenant,
            kind="recompute",
            status__in=[JobRun.Status.QUEUED, JobRun.Status.RUNNING],
        )
        .order_by("-created_at")
        .first()
    )
    if running is not None:
        messages.info(request, _("A recompute is already running; here is its progress."))
        job = running
    else:
        job = services.recompute_job_create(tenant=request.tenant, user=request.user)
    return redirect_after_post(request, "portal:job_detail", tenant_slug=tenant_slug, job_id=job.pk)


@require_GET
@role_required(*ALL_ROLES)
def kpi_list(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    as_of = timezone.localdate()
    rows = selectors.kpi_list(tenant=request.tenant, as_of=as_of)
    return render(request, "kpis/kpi_list.html", {"rows": rows, "as_of": as_of})


@require_http_methods(["GET", "POST"])
@role_required(*ALL_ROLES)
def kpi_detail(request: HttpRequest, tenant_slug: str, kpi_id: int) -> HttpResponse:
    kpi = get_object_or_404(
        Kpi.objects.select_related("owner__user", "department", "parent"),
        tenant=request.tenant,
        pk=kpi_id,
    )
    checkin_form = CheckInForm()
    value_form = ManualValueForm()
    can_enter = kpi.is_manual and (
        request.membership.role == Role.ADMIN or kpi.owner_id == request.membership.pk
    )
    status = 200
    if request.method == "POST":
        if request.POST.get("form") == "value":
            if not can_enter:
                raise PermissionDenied
            value_form = ManualValueForm(request.POST)
            if value_form.is_valid():
                try:
                    services.manual_value_set(
                        tenant=request.tenant,
                        kpi=kpi,
                        scope="company",
                        member="",
                        grain=kpi.grain,
                        period_start=period_start(
                            value_form.cleaned_data["period_start"],
                            kpi.grain,
                            request.tenant.fiscal_year_start_month,
                        ),
                        value=value_form.cleaned_data["value"],
                        user=request.user,
                        allow_closed=request.membership.role == Role.ADMIN,
                    )
                    return redirect_after_post(
                        request, "kpis:detail", tenant_slug=tenant_slug, kpi_id=kpi.pk
                    )
                except ValidationError as exc:
                    value_form.add_error(None, exc)
            status = 422
        else:
            checkin_form = CheckInForm(request.POST)
            if checkin_form.is_valid():
                services.checkin_add(
                    tenant=request.tenant,
                    kpi=kpi,
                    action=checkin_form.cleaned_data["action"],
                    comment=checkin_form.cleaned_data["comment"],
                    user=request.user,
                )
                return redirect_after_post(
                    request, "kpis:detail", tenant_slug=tenant_slug, kpi_id=kpi.pk
                )
            status = 422
    today = timezone.localdate()
    checkins = list(kpi.checkins.select_related("author")[:20])
    trend = kpi_trends(tenant=request.tenant, kpis=[kpi], as_of=today)[kpi.pk]
    roadmap_done = chart_roadmap_items(tenant=request.tenant, kpi=kpi, trend=trend)
    context = {
        "kpi": kpi,
        "history": selectors.kpi_history(tenant=request.tenant, kpi=kpi),
        "breakdowns": kpi_breakdowns(tenant=request.tenant, kpis=[kpi], as_of=today)[kpi.pk],
        "chart": kpi_chart(kpi=kpi, trend=trend, checkins=checkins, roadmap_items=roadmap_done),
        "roadmap_done": roadmap_done,
        "checkins": checkins,
        "checkin_form": checkin_form,
        "value_form": value_form,
        "can_enter": can_enter,
        "metric": CATALOGUE.get(kpi.metric_key),
    }
    return render(request, "kpis/kpi_detail.html", context, status=status)


@require_http_methods(["GET", "POST"])
@role_required(*ALL_ROLES)
def profile(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    """The member's own settings in this company: the weekly digest e-mail."""
    form = DigestSettingsForm(initial={"weekly_digest": request.membership.weekly_digest})
    if request.method == "POST":
        form = DigestSettingsForm(request.POST)
        if form.is_valid():
            services.digest_preference_set(
                membership=request.membership, weekly_digest=form.cleaned_data["weekly_digest"]
            )
            if form.cleaned_data["weekly_digest"]:
                messages.success(request, _("You will get the weekly digest."))
            else:
                messages.success(request, _("You will no longer get the weekly digest."))
            return redirect_after_post(request, "kpis:profile", tenant_slug=tenant_slug)
    context = {"form": form, "gets_digest": request.membership.role in (Role.REP, Role.HEAD)}
    return render(request, "kpis/profile.html", context)
