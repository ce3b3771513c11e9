from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from portal import selectors, services
from portal.forms import AuditFilterForm, GlossaryTermForm
from portal.models import GlossaryTerm, JobRun, Role
from portal.roles import ALL_ROLES, LANDING_PAGE, MANAGERS, role_required

JOBS_PER_PAGE = 25


def redirect_after_post(request: HttpRequest, to: str, **kwargs) -> HttpResponse:
    """Post/redirect/get that also works for htmx forms (a full navigation, not a swap)."""
    url = reverse(to, kwargs=kwargs)
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


@require_GET
@login_required
def choose_tenant(request: HttpRequest) -> HttpResponse:
    """After login: one tenant -> straight in; several -> pick one; none -> explain."""
    tenants = list(selectors.tenants_for_user(user=request.user))
    if len(tenants) == 1:
        return redirect("portal:home", tenant_slug=tenants[0].slug)
    status = 200 if tenants else 403
    return render(request, "portal/choose_tenant.html", {"tenants": tenants}, status=status)


@require_GET
def home(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    return redirect(LANDING_PAGE[request.membership.role], tenant_slug=tenant_slug)


@require_GET
@role_required(Role.ADMIN)
def departments(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    rows = selectors.department_list(tenant=request.tenant)
    return render(request, "portal/departments.html", {"departments": rows})


@require_GET
@role_required(Role.ADMIN)
def members(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    rows = selectors.member_list(tenant=request.tenant)
    return render(request, "portal/members.html", {"members": rows})


@require_http_methods(["GET", "POST"])
@role_required(*ALL_ROLES)
def glossary(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    can_edit = request.membership.role == Role.ADMIN
    form = GlossaryTermForm(tenant=request.tenant)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        form = GlossaryTermForm(request.POST, tenant=request.tenant)
        if form.is_valid():
            services.glossary_term_save(
                tenant=request.tenant,
                term=None,
                name=form.cleaned_data["term"],
                definition=form.cleaned_data["definition"],
                user=request.user,
            )
            return redirect_after_post(request, "portal:glossary", tenant_slug=tenant_slug)
    context = {
        "terms": selectors.glossary_list(tenant=request.tenant),
        "form": form,
        "can_edit": can_edit,
    }
    template = "portal/glossary.html#term-form" if request.htmx else "portal/glossary.html"
    status = 422 if form.errors else 200
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def glossary_edit(request: HttpRequest, tenant_slug: str, term_id: int) -> HttpResponse:
    term = get_object_or_404(GlossaryTerm, tenant=request.tenant, pk=term_id)
    form = GlossaryTermForm(instance=term, tenant=request.tenant)
    if request.method == "POST":
        form = GlossaryTermForm(request.POST, instance=term, tenant=request.tenant)
        if form.is_valid():
            services.glossary_term_save(
                tenant=request.tenant,
                term=term,
                name=form.cleaned_data["term"],
                definition=form.cleaned_data["definition"],
                user=request.user,
            )
            return redirect("portal:glossary", tenant_slug=tenant_slug)
    status = 422 if form.errors else 200
    return render(request, "portal/glossary_edit.html", {"form": form, "term": term}, status=status)


@require_POST
@role_required(Role.ADMIN)
def glossary_delete(request: HttpRequest, tenant_slug: str, term_id: int) -> HttpResponse:
    term = get_object_or_404(GlossaryTerm, tenant=request.tenant, pk=term_id)
    term.delete()
    return redirect("portal:glossary", tenant_slug=tenant_slug)


@require_GET
@role_required(*MANAGERS)
def jobs(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    page = Paginator(selectors.jobrun_list(tenant=request.tenant), JOBS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "portal/jobs.html", {"page_obj": page})


@require_GET
@role_required(*MANAGERS)
def job_detail(request: HttpRequest, tenant_slug: str, job_id: int) -> HttpResponse:
    job = get_object_or_404(JobRun, tenant=request.tenant, pk=job_id)
    template = "portal/job_detail.html#job-progress" if request.htmx else "portal/job_detail.html"
    return render(request, template, {"job": job})


AUDIT_PER_PAGE = 50


def _audit_rows(entries, *, tenant) -> list[dict]:
    """Each entry with its changes as (field label, before, after), for the template.
    References show the name of what they point at: one query per kind of reference."""
    from django.apps import apps
    from django.contrib.auth import get_user_model

    entries = list(entries)
    models, wanted = {}, {}
    for entry in entries:
        try:
            models[entry.model] = apps.get_model(entry.model)
        except (LookupError, ValueError):  # a kind since removed
            continue
        for f in models[entry.model]._meta.concrete_fields:
            if f.is_relation and f.attname in entry.changes:
                ids = {v for v in entry.changes[f.attname] if isinstance(v, int)}
                wanted.setdefault(f.related_model, set()).update(ids)
    names = {}
    for related, ids in wanted.items():
        if related is get_user_model():
            rows = related.objects.filter(pk__in=ids)
        elif related._meta.label == "portal.Tenant":
            continue
        else:
            rows = related.objects.filter(tenant=tenant, pk__in=ids)
        names[related] = {obj.pk: str(obj) for obj in rows}
    rows = []
    for entry in entries:
        model = models.get(entry.model)
        fields = {f.attname: f for f in model._meta.concrete_fields} if model else {}
        changes = []
        for name, (before, after) in sorted(entry.changes.items()):
            f = fields.get(name)
            if f is not None and f.is_relation:
                shown = names.get(f.related_model, {})
                before, after = shown.get(before, before), shown.get(after, after)
            elif f is not None and f.choices:
                labels = {str(value): label for value, label in f.flatchoices}
                before = labels.get(str(before), before) if before is not None else None
                after = labels.get(str(after), after) if after is not None else None
            changes.append((str(f.verbose_name) if f else name, before, after))
        kind = str(model._meta.verbose_name).capitalize() if model else entry.model
        rows.append({"entry": entry, "kind": kind, "changes": changes})
    return rows


@require_GET
@role_required(Role.ADMIN)
def audit(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    """Who changed what and when, newest first, with filters (admins only)."""
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    entries = selectors.audit_entry_list(tenant=request.tenant, **filters)
    page = Paginator(entries, AUDIT_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page_obj": page,
        "rows": _audit_rows(page.object_list, tenant=request.tenant),
    }
    return render(request, "portal/audit.html", context)
