from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from personas.tabular import FORMATS
from personas.views import table_import_page
from portal.models import Department, Role
from portal.roles import ALL_ROLES, role_required
from portal.views import redirect_after_post
from roadmap import selectors, services, transfer
from roadmap.forms import RoadmapItemForm
from roadmap.models import RoadmapItem


@require_GET
@role_required(*ALL_ROLES)
def timeline(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    as_of = timezone.localdate()
    status = request.GET.get("status", "")
    status = status if status in RoadmapItem.Status.values else ""
    theme = request.GET.get("theme", "").strip()
    department = request.GET.get("department", "")
    department_id = int(department) if department.isdigit() else None
    role = request.membership.role
    context = {
        "quarters": selectors.roadmap_timeline(
            tenant=request.tenant,
            as_of=as_of,
            status=status,
            theme=theme,
            department_id=department_id,
        ),
        "summary": selectors.roadmap_summary(tenant=request.tenant, as_of=as_of),
        "filters": {"status": status, "theme": theme, "department": department_id},
        "filtered": bool(status or theme or department_id),
        "statuses": RoadmapItem.Status.choices,
        "themes": selectors.roadmap_themes(tenant=request.tenant),
        "departments": Department.objects.filter(tenant=request.tenant),
        "can_edit": role == Role.ADMIN,
        "can_propose": role == Role.HEAD,
    }
    return render(request, "roadmap/timeline.html", context)


@require_GET
@role_required(*ALL_ROLES)
def item_detail(request: HttpRequest, tenant_slug: str, item_id: int) -> HttpResponse:
    item = get_object_or_404(selectors.roadmap_items(tenant=request.tenant), pk=item_id)
    history = selectors.roadmap_history(tenant=request.tenant, item=item)
    context = {
        "item": item,
        "is_late": selectors.roadmap_item_is_late(item, as_of=timezone.localdate()),
        "history": [(change, selectors.change_rows(change)) for change in history],
        "can_edit": request.membership.role == Role.ADMIN,
    }
    return render(request, "roadmap/item_detail.html", context)


def _editor(request: HttpRequest, tenant_slug: str, item: RoadmapItem | None) -> HttpResponse:
    proposer = request.membership if request.membership.role == Role.HEAD else None
    form = RoadmapItemForm(instance=item, tenant=request.tenant, proposer=proposer)
    if request.method == "POST":
        form = RoadmapItemForm(
            request.POST, instance=item, tenant=request.tenant, proposer=proposer
        )
        if form.is_valid():
            saved = services.roadmap_item_save(
                tenant=request.tenant,
                item=item,
                data=form.item_data(),
                kpi_effects=form.kpi_effects(),
                user=request.user,
            )
            if proposer is not None:
                messages.success(request, _("Thank you: your idea is on the roadmap."))
            return redirect_after_post(
                request, "roadmap:detail", tenant_slug=tenant_slug, item_id=saved.pk
            )
    template = "roadmap/item_form.html#item-form" if request.htmx else "roadmap/item_form.html"
    status = 422 if form.errors else 200
    context = {"form": form, "item": item, "proposing": proposer is not None}
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN, Role.HEAD)
def item_create(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    """Admins add items; heads propose ideas (status idea, themselves as owner)."""
    return _editor(request, tenant_slug, None)


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def item_edit(request: HttpRequest, tenant_slug: str, item_id: int) -> HttpResponse:
    item = get_object_or_404(RoadmapItem, tenant=request.tenant, pk=item_id)
    return _editor(request, tenant_slug, item)


@require_GET
@role_required(*ALL_ROLES)
def items_export(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    fmt = request.GET.get("format", "csv")
    if fmt not in FORMATS:
        raise Http404
    return transfer.roadmap_export(tenant=request.tenant, fmt=fmt)


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def items_import(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    def run(*, fileobj, filename):
        return transfer.roadmap_import(
            tenant=request.tenant, fileobj=fileobj, filename=filename, user=request.user
        )

    context = {
        "title": _("Import roadmap items"),
        "back_url": "roadmap:timeline",
        "columns": transfer.COLUMNS,
        "example": "Online adoption: +5 pt | Web revenue",
    }
    return table_import_page(request, run=run, context=context, done="roadmap:timeline")
