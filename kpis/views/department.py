"""The department page: a head's KPIs, inline edits, check-ins and reviews."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from kpis import services
from kpis.department import department_kpi_row as department_kpi_row_of
from kpis.department import department_kpi_set, department_page, kpi_in_department
from kpis.forms import (
    DepartmentCheckInForm,
    KpiEditForm,
)
from kpis.models import Kpi
from personas.models import Persona
from personas.selectors import personas_review_due
from personas.services import persona_mark_reviewed
from portal.models import Department, Membership, Role
from portal.pagecache import lazy
from portal.roles import role_required


def _department_of(request: HttpRequest, department_id: int | str | None) -> Department | None:
    """The head's department: the asked one (404 when not theirs) or their first."""
    departments = request.membership.departments.order_by("name")
    if department_id in (None, ""):
        return departments.first()
    try:
        return departments.get(pk=int(department_id))
    except (ValueError, Department.DoesNotExist) as exc:
        raise Http404 from exc


def _department_kpi(request: HttpRequest, department: Department, kpi_id: int) -> Kpi:
    kpi = get_object_or_404(
        Kpi.objects.select_related("owner__user", "department", "parent"),
        tenant=request.tenant,
        pk=kpi_id,
    )
    if not kpi_in_department(tenant=request.tenant, kpi=kpi, department=department):
        raise PermissionDenied
    return kpi


@require_GET
@role_required(Role.HEAD)
def department(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    chosen = _department_of(request, request.GET.get("department"))
    if chosen is None:
        return render(request, "kpis/department.html", {"department": None})
    today = timezone.localdate()

    # Each computed on first use only: a cached page runs none of them (portal.pagecache).
    @lazy
    def page():
        return department_page(tenant=request.tenant, department=chosen, as_of=today)

    @lazy
    def personas_due():
        return personas_review_due(tenant=request.tenant, today=today)

    context = {
        "department": chosen,
        "departments": lazy(lambda: list(request.membership.departments.order_by("name"))),
        "page": page,
        "personas_due": personas_due,
        "reviews_due": lazy(lambda: len(page().kpis_due) + len(personas_due())),
        "checkin_form": lazy(lambda: DepartmentCheckInForm(kpis=[r.kpi for r in page().rows])),
    }
    return render(request, "kpis/department.html", context)


@require_http_methods(["GET", "POST"])
@role_required(Role.HEAD)
def department_kpi_edit(
    request: HttpRequest, tenant_slug: str, department_id: int, kpi_id: int
) -> HttpResponse:
    """The tree row as an inline form (GET) and its save (POST); 422 names the bad field."""
    chosen = _department_of(request, department_id)
    kpi = _department_kpi(request, chosen, kpi_id)
    today = timezone.localdate()
    row = department_kpi_row_of(tenant=request.tenant, department=chosen, kpi=kpi, as_of=today)
    owners = Membership.objects.filter(tenant=request.tenant).select_related("user")
    target = row.value.target
    form = KpiEditForm(
        initial={
            "owner": kpi.owner_id,
            "minimum": target.minimum.normalize() if target else None,
            "stretch": target.stretch.normalize() if target else None,
        },
        owners=owners,
    )
    status = 200
    if request.method == "POST":
        form = KpiEditForm(request.POST, owners=owners)
        if form.is_valid():
            try:
                services.kpi_department_edit(
                    tenant=request.tenant,
                    kpi=kpi,
                    owner=form.cleaned_data["owner"],
                    scope=row.placement[0],
                    member=row.placement[1],
                    period_start=row.value.period,
                    minimum=form.cleaned_data["minimum"],
                    stretch=form.cleaned_data["stretch"],
                    user=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
        if form.is_valid():
            kpi.refresh_from_db()
            row = department_kpi_row_of(
                tenant=request.tenant, department=chosen, kpi=kpi, as_of=today
            )
            context = {"row": row, "department": chosen, "saved": True}
            return render(request, "kpis/department.html#kpi-row", context)
        status = 422
    context = {"row": row, "department": chosen, "form": form}
    return render(request, "kpis/department.html#kpi-row-form", context, status=status)


@require_GET
@role_required(Role.HEAD)
def department_kpi_row(request: HttpRequest, tenant_slug: str, department_id: int, kpi_id: int):
    """The tree row as shown (to cancel an inline edit)."""
    chosen = _department_of(request, department_id)
    kpi = _department_kpi(request, chosen, kpi_id)
    row = department_kpi_row_of(
        tenant=request.tenant, department=chosen, kpi=kpi, as_of=timezone.localdate()
    )
    return render(request, "kpis/department.html#kpi-row", {"row": row, "department": chosen})


@require_POST
@role_required(Role.HEAD)
def department_checkin(request: HttpRequest, tenant_slug: str, department_id: int):
    chosen = _department_of(request, department_id)
    page_kpis = department_kpi_set(
        kpis=list(Kpi.objects.filter(tenant=request.tenant)),
        department=chosen,
        member_ids=set(chosen.members.values_list("pk", flat=True)),
    )
    form = DepartmentCheckInForm(request.POST, kpis=page_kpis)
    if form.is_valid():
        kpi = next(k for k in page_kpis if str(k.pk) == form.cleaned_data["kpi"])
        services.checkin_add(
            tenant=request.tenant,
            kpi=kpi,
            action=form.cleaned_data["action"],
            comment=form.cleaned_data["comment"],
            user=request.user,
        )
        messages.success(request, _("Check-in saved on %(kpi)s.") % {"kpi": kpi.name})
        return _back_to_department(request, chosen, "checkins")
    context = {"checkin_form": form, "department": chosen}
    return render(request, "kpis/department.html#checkin-form", context, status=422)


def _back_to_department(request: HttpRequest, chosen: Department, anchor: str) -> HttpResponse:
    url = f"{reverse('portal:department', kwargs={'tenant_slug': request.tenant.slug})}"
    url += f"?department={chosen.pk}#{anchor}"
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


@require_POST
@role_required(Role.HEAD)
def kpi_reviewed(request: HttpRequest, tenant_slug: str, department_id: int, kpi_id: int):
    chosen = _department_of(request, department_id)
    kpi = _department_kpi(request, chosen, kpi_id)
    services.kpi_mark_reviewed(
        tenant=request.tenant, kpi=kpi, user=request.user, on=timezone.localdate()
    )
    messages.success(request, _("%(kpi)s marked as reviewed.") % {"kpi": kpi.name})
    return _back_to_department(request, chosen, "reviews")


@require_POST
@role_required(Role.HEAD)
def persona_reviewed(request: HttpRequest, tenant_slug: str, department_id: int, persona_id: int):
    chosen = _department_of(request, department_id)
    persona = get_object_or_404(Persona, tenant=request.tenant, pk=persona_id)
    persona_mark_reviewed(
        tenant=request.tenant, persona=persona, user=request.user, on=timezone.localdate()
    )
    messages.success(request, _("%(persona)s marked as reviewed.") % {"persona": persona.name})
    return _back_to_department(request, chosen, "reviews")
