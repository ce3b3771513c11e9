"""Tenant middleware: `/t/<slug>/…` opens the tenant's scope for members only."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from portal.models import Membership, Tenant
from portal.tenancy import tenant_context, unscoped

TENANT_PATH = re.compile(r"^/t/(?P<slug>[a-z0-9][a-z0-9-]*)/")


class TenantMiddleware:
    """Sets `request.tenant` and `request.membership` and runs the view in the tenant's scope.

    Fail-closed: a path under `/t/<slug>/` is served only to a member of that tenant; anybody
    else gets a 404 (a tenant's existence is not disclosed), anonymous users go to the login.
    Superusers in Django's admin work across tenants (admin tooling, `unscoped()`).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.tenant = None
        request.membership = None
        match = TENANT_PATH.match(request.path_info)
        if match is None:
            if request.path_info.startswith("/admin/") and request.user.is_superuser:
                with unscoped():
                    return self.get_response(request)
            return self.get_response(request)

        tenant = Tenant.objects.filter(slug=match["slug"]).first()
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if tenant is None:
            raise Http404("No such tenant")
        with tenant_context(tenant):
            membership = (
                Membership.objects.select_related("user").filter(user_id=request.user.pk).first()
            )
            if membership is None:
                raise Http404("No such tenant")
            request.tenant = tenant
            request.membership = membership
            timezone.activate(tenant.tzinfo)  # pages show times in the tenant's time zone
            try:
                return self.get_response(request)
            finally:
                timezone.deactivate()


class SecurityHeadersMiddleware:
    """Headers Django's SecurityMiddleware does not set: CSP and a restrictive permissions policy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response
