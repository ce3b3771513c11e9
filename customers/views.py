from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from customers import portfolio as portfolio_selectors
from customers import selectors, services
from customers.exporting import FORMATS, write_export
from customers.filters import CustomerFilterForm
from customers.forms import KIND_LABELS, ImportUploadForm
from customers.importing.kinds import KINDS
from customers.models import Customer, CustomerScore, ImportBatch
from portal.models import Role
from portal.pagecache import lazy
from portal.roles import ALL_ROLES, role_required
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


# --- My portfolio, the customer table and the customer page -----------------------------------

CUSTOMERS_PER_PAGE = 25
ORDERS_PER_PAGE = 20
# Numbers sort biggest first on the first click, text A to Z.
DESCENDING_FIRST = {"revenue", "online", "clv", "p_alive", "risk"}
FILTERS = ("search", "persona", "segment", "channel", "risk", "signal")
SOFT_CHARACTERISTICS = (
    "price_sensitivity",
    "brand_sensitivity",
    "sustainability_sensitivity",
    "reliability_sensitivity",
)


def _query(request: HttpRequest, **changes) -> str:
    """The current query string with `changes` applied (None drops a key), for links that
    keep the filters: bookmarkable, and the same for htmx and plain navigation."""
    query = request.GET.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value not in (None, ""):
            query[key] = value
    return query.urlencode()


def _sort_links(request: HttpRequest, current: str) -> dict[str, dict]:
    links = {}
    for column in portfolio_selectors.SORTS:
        if current == column:
            state, next_sort = "ascending", f"-{column}"
        elif current == f"-{column}":
            state, next_sort = "descending", column
        else:
            state = "none"
            next_sort = f"-{column}" if column in DESCENDING_FIRST else column
        links[column] = {"state": state, "query": _query(request, sort=next_sort, page=None)}
    return links


@require_GET
@role_required(Role.REP)
@vary_on_headers("HX-Request")
def portfolio(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    as_of = timezone.localdate()

    @lazy  # runs only when the page's content is not cached (portal.pagecache)
    def data():
        return portfolio_selectors.portfolio(
            tenant=request.tenant, membership=request.membership, as_of=as_of
        )

    @lazy
    def chart():
        trend = data().adoption_trend
        return {
            "periods": [row["period"].isoformat() for row in trend],
            "rep": [row.get("rep") for row in trend],
            "company": [row.get("company") for row in trend],
            "minimum": [row.get("minimum") for row in trend],
            "stretch": [row.get("stretch") for row in trend],
            "labels": {
                "rep": str(_("Me")),
                "company": str(_("Company")),
                "minimum": str(_("Target: minimum")),
                "stretch": str(_("Target: stretch")),
            },
        }

    return render(request, "customers/portfolio.html", {"p": data, "chart": chart})


@require_GET
@role_required(*ALL_ROLES)
@vary_on_headers("HX-Request")
def customer_list(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    personas = portfolio_selectors.persona_names(tenant=request.tenant)
    form = CustomerFilterForm(request.GET, personas=personas)
    filters = form.filters()
    rows = portfolio_selectors.customer_table(
        tenant=request.tenant, membership=request.membership, **filters
    )
    page = Paginator(rows, CUSTOMERS_PER_PAGE).get_page(request.GET.get("page"))
    segments = dict(CustomerScore.Segment.choices)
    for customer in page:
        customer.persona = personas.get(customer.persona_ref)
        customer.risk = portfolio_selectors.risk_band(customer.churn_risk)
        customer.segment_label = segments.get(customer.rfm_segment, "")
    context = {
        "form": form,
        "page_obj": page,
        "sort": filters["sort"],
        "sort_links": _sort_links(request, filters["sort"]),
        "filtered": any(filters[k] for k in FILTERS),
        "previous_query": _query(request, page=page.number - 1) if page.has_previous() else "",
        "next_query": _query(request, page=page.number + 1) if page.has_next() else "",
    }
    partial = request.htmx and not request.htmx.history_restore_request
    template = "customers/customer_list.html#table" if partial else "customers/customer_list.html"
    return render(request, template, context)


@require_GET
@role_required(*ALL_ROLES)
@vary_on_headers("HX-Request")
def customer_detail(request: HttpRequest, tenant_slug: str, customer_id: int) -> HttpResponse:
    tenant, as_of = request.tenant, timezone.localdate()
    try:
        customer = portfolio_selectors.customer_profile(
            tenant=tenant, membership=request.membership, customer_id=customer_id
        )
    except Customer.DoesNotExist:
        raise Http404("No such customer") from None
    orders = Paginator(
        portfolio_selectors.customer_orders(tenant=tenant, customer=customer), ORDERS_PER_PAGE
    ).get_page(request.GET.get("page"))
    context = {"customer": customer, "orders": orders}
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "customers/customer_detail.html#orders", context)
    context |= {
        "mix": portfolio_selectors.channel_mix_by_month(
            tenant=tenant, customer=customer, as_of=as_of
        ),
        "returns": portfolio_selectors.customer_returns(tenant=tenant, customer=customer),
        "web": portfolio_selectors.customer_web_activity(
            tenant=tenant, customer=customer, as_of=as_of
        ),
        "surveys": portfolio_selectors.customer_surveys(tenant=tenant, customer=customer),
        "contacts": portfolio_selectors.customer_contacts(tenant=tenant, customer=customer),
        "signals": portfolio_selectors.customer_signals(tenant=tenant, customer=customer),
        "risk": portfolio_selectors.risk_band(customer.churn_risk),
        "soft": [
            (Customer._meta.get_field(name).verbose_name.capitalize(), getattr(customer, name))
            for name in SOFT_CHARACTERISTICS
        ],
        "scale": range(1, 6),
        "as_of": as_of,
    }
    return render(request, "customers/customer_detail.html", context)
