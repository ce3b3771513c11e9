from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from customers import selectors, services
from customers.exporting import FORMATS, write_export
from customers.forms import KIND_LABELS, ImportUploadForm
from customers.importing.kinds import KINDS
from customers.models import ImportBatch
from portal.models import Role
from portal.roles import role_required
from portal.views import redirect_after_post

BATCHES_PER_PAGE = 20
ERRORS_PER_PAGE = 100


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def imports(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    form = ImportUploadForm()
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            batch = services.import_batch_create(
                tenant=request.tenant,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                user=request.user,
            )
            return redirect_after_post(
                request, "customers:import_detail", tenant_slug=tenant_slug, batch_id=batch.pk
            )
    page = Paginator(selectors.import_batch_list(tenant=request.tenant), BATCHES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {"form": form, "page_obj": page, "kinds": KIND_LABELS, "formats": FORMATS}
    return render(request, "customers/imports.html", context, status=422 if form.errors else 200)


@require_GET
@role_required(Role.ADMIN)
def import_detail(request: HttpRequest, tenant_slug: str, batch_id: int) -> HttpResponse:
    batch = get_object_or_404(
        ImportBatch.objects.select_related("job"), tenant=request.tenant, pk=batch_id
    )
    errors = Paginator(batch.report.get("errors", []), ERRORS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "batch": batch,
        "errors": errors,
        "kind_label": KIND_LABELS.get(batch.kind, batch.kind),
    }
    template = (
        "customers/import_detail.html#batch" if request.htmx else "customers/import_detail.html"
    )
    return render(request, template, context)


@require_POST
@role_required(Role.ADMIN)
def import_confirm(request: HttpRequest, tenant_slug: str, batch_id: int) -> HttpResponse:
    batch = get_object_or_404(ImportBatch, tenant=request.tenant, pk=batch_id)
    try:
        services.import_batch_confirm(batch=batch, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect_after_post(
        request, "customers:import_detail", tenant_slug=tenant_slug, batch_id=batch.pk
    )


@require_GET
@role_required(Role.ADMIN)
def export(request: HttpRequest, tenant_slug: str, kind: str, fmt: str) -> HttpResponse:
    if kind not in KINDS or fmt not in FORMATS:
        raise Http404("Unknown export")
    buffer = selectors.export_buffer()
    write_export(tenant=request.tenant, kind=kind, fmt=fmt, out=buffer)
    buffer.seek(0)
    filename = f"{request.tenant.slug}-{kind}.{fmt}"
    return FileResponse(buffer, as_attachment=True, filename=filename)
