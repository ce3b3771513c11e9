from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kpis import services
from portal.models import JobRun
from portal.roles import MANAGERS, role_required
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
