from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from customers.models import CustomerScore
from personas import selectors, services, transfer
from personas.forms import (
    PersonaForm,
    TableUploadForm,
    formset_conditions,
    rule_formset,
    rule_row_added,
)
from personas.models import Persona
from personas.rules import rule_conditions
from personas.tabular import FORMATS, ImportRejected
from portal.models import Role
from portal.roles import ALL_ROLES, role_required
from portal.views import redirect_after_post


@require_GET
@role_required(*ALL_ROLES)
def persona_list(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    today = timezone.localdate()
    sort = request.GET.get("sort", "priority")
    if sort not in selectors.SORTS:
        sort = "priority"
    rows = selectors.persona_list(tenant=request.tenant, today=today, sort=sort)
    is_admin = request.membership.role == Role.ADMIN
    context = {
        "rows": rows,
        "sort": sort,
        "unmatched": selectors.persona_unmatched(tenant=request.tenant) if rows else None,
        "last_run": selectors.assignment_last_run(tenant=request.tenant),
        "can_edit": is_admin,
        "mine_due": [
            r.persona for r in rows if r.review_due and r.persona.owner_id == request.membership.pk
        ],
        "all_due": [r.persona for r in rows if r.review_due] if is_admin else [],
    }
    return render(request, "personas/persona_list.html", context)


@require_GET
@role_required(*ALL_ROLES)
def persona_detail(request: HttpRequest, tenant_slug: str, persona_id: int) -> HttpResponse:
    persona = get_object_or_404(
        Persona.objects.select_related("owner__user"), tenant=request.tenant, pk=persona_id
    )
    today = timezone.localdate()
    trend = selectors.persona_trend(tenant=request.tenant, persona=persona)
    history = selectors.persona_history(tenant=request.tenant, persona=persona)
    context = {
        "persona": persona,
        "stats": selectors.persona_stats(tenant=request.tenant, persona=persona, today=today),
        "rule_groups": selectors.rule_groups(rule_conditions(persona.rules.all())),
        "trend": trend,
        "trend_chart": selectors.trend_chart(trend),
        "movers": selectors.persona_movers(tenant=request.tenant, persona=persona, today=today),
        "history": [(v, selectors.version_changes(v)) for v in history],
        "review_due": persona.is_review_due(today),
        "can_edit": request.membership.role == Role.ADMIN,
    }
    return render(request, "personas/persona_detail.html", context)


def _editor(request: HttpRequest, tenant_slug: str, persona: Persona | None) -> HttpResponse:
    adding = request.method == "POST" and "add_rule" in request.POST
    if adding:
        # "Add a rule": the same form back with one more empty rule row, nothing saved.
        form = PersonaForm(request.POST, instance=persona, tenant=request.tenant)
        rules = rule_formset(rule_row_added(request.POST))
        form.errors.clear()
    elif request.method == "POST":
        form = PersonaForm(request.POST, instance=persona, tenant=request.tenant)
        rules = rule_formset(request.POST)
        if form.is_valid() and rules.is_valid():
            saved = services.persona_save(
                tenant=request.tenant,
                persona=persona,
                data=form.persona_data(),
                conditions=formset_conditions(rules),
                user=request.user,
            )
            return redirect_after_post(
                request, "personas:detail", tenant_slug=tenant_slug, persona_id=saved.pk
            )
    else:
        form = PersonaForm(instance=persona, tenant=request.tenant)
        rules = rule_formset(rules=persona.rules.all() if persona else [])
    context = {
        "form": form,
        "rules": rules,
        "persona": persona,
        "rfm_segments": [label for _value, label in CustomerScore.Segment.choices],
    }
    template = (
        "personas/persona_form.html#persona-form" if request.htmx else "personas/persona_form.html"
    )
    status = 422 if not adding and (form.errors or any(rules.errors)) else 200
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def persona_create(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    return _editor(request, tenant_slug, None)


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def persona_edit(request: HttpRequest, tenant_slug: str, persona_id: int) -> HttpResponse:
    persona = get_object_or_404(Persona, tenant=request.tenant, pk=persona_id)
    return _editor(request, tenant_slug, persona)


@require_POST
@role_required(Role.ADMIN)
def persona_match(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    """The rule editor's live count: the posted (unsaved) rules, evaluated now."""
    rules = rule_formset(request.POST)
    rules.is_valid()
    conditions = [f.condition() for f in rules.forms if f.is_valid() and f.condition()]
    priority = request.POST.get("priority", "")
    persona_id = request.POST.get("persona_id", "")
    persona = None
    if persona_id.isdigit():
        persona = get_object_or_404(Persona, tenant=request.tenant, pk=int(persona_id))
    summary = selectors.rule_match_summary(
        tenant=request.tenant,
        conditions=conditions,
        priority=int(priority) if priority.isdigit() else None,
        persona=persona,
    )
    context = {
        "match": summary,
        "rule_count": len(conditions),
        "has_errors": any(f.errors for f in rules.forms),
    }
    return render(request, "personas/persona_form.html#match", context)


@require_POST
@role_required(Role.ADMIN)
def persona_reviewed(request: HttpRequest, tenant_slug: str, persona_id: int) -> HttpResponse:
    persona = get_object_or_404(Persona, tenant=request.tenant, pk=persona_id)
    services.persona_mark_reviewed(
        tenant=request.tenant, persona=persona, user=request.user, on=timezone.localdate()
    )
    messages.success(request, _("Marked as reviewed today."))
    return redirect_after_post(
        request, "personas:detail", tenant_slug=tenant_slug, persona_id=persona.pk
    )


@require_POST
@role_required(Role.ADMIN)
def persona_delete(request: HttpRequest, tenant_slug: str, persona_id: int) -> HttpResponse:
    persona = get_object_or_404(Persona, tenant=request.tenant, pk=persona_id)
    services.persona_delete(tenant=request.tenant, persona=persona, user=request.user)
    return redirect_after_post(request, "personas:list", tenant_slug=tenant_slug)


@require_GET
@role_required(*ALL_ROLES)
def personas_export(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    fmt = request.GET.get("format", "csv")
    if fmt not in FORMATS:
        raise Http404
    return transfer.personas_export(tenant=request.tenant, fmt=fmt)


def table_import_page(request: HttpRequest, *, run, context: dict, done: str) -> HttpResponse:
    """The import page of personas and roadmap items: upload, all or nothing, errors listed."""
    form = TableUploadForm()
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        form = TableUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = run(fileobj=upload, filename=upload.name)
            except ImportRejected as exc:
                errors = exc.errors
            else:
                messages.success(
                    request,
                    _("Imported: %(created)s new, %(updated)s updated, %(unchanged)s unchanged.")
                    % {
                        "created": result.created,
                        "updated": result.updated,
                        "unchanged": result.unchanged,
                    },
                )
                return redirect_after_post(request, done, tenant_slug=request.tenant.slug)
        status = 422
    context = {**context, "form": form, "errors": errors}
    return render(request, "personas/table_import.html", context, status=status)


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def personas_import(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    def run(*, fileobj, filename):
        return transfer.personas_import(
            tenant=request.tenant, fileobj=fileobj, filename=filename, user=request.user
        )

    context = {
        "title": _("Import personas"),
        "back_url": "personas:list",
        "columns": transfer.COLUMNS,
        "example": "1 country eq NL | 1 employees gte 50 | 2 rfm_segment in champions;loyal",
    }
    return table_import_page(request, run=run, context=context, done="personas:list")
