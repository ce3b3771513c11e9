"""Tenant middleware: `/t/<slug>/…` opens the tenant's scope for members (and, under
`/t/<slug>/api/`, for the tenant's API tokens) only."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import nullcontext

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone, translation

from portal.api_auth import (
    api_token_active_elsewhere,
    api_token_authenticate,
    api_token_failed,
    api_token_throttled,
    api_token_touch,
    key_from_header,
)
from portal.db.routers import owner_connection
from portal.models import Membership, Tenant
from portal.pagecache import flush_writes
from portal.tasks import QueueUnavailable
from portal.tenancy import acting_as, tenant_context, unscoped

TENANT_PATH = re.compile(r"^/t/(?P<slug>[a-z0-9][a-z0-9-]*)/(?P<api>api/)?")


def _api_error(status: int, detail: str) -> JsonResponse:
    response = JsonResponse({"detail": detail}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = "Token"
    return response


class TenantMiddleware:
    """Sets `request.tenant` and `request.membership` and runs the view in the tenant's scope.

    Fail-closed: a path under `/t/<slug>/` is served only to a member of that tenant; anybody
    else gets a 404 (a tenant's existence is not disclosed), anonymous users go to the login.
    Under `/t/<slug>/api/` answers are JSON: a request with `Authorization: Token <key>` (or
    `Bearer <key>`) is served when the key is an active token of that tenant (`request.api_token`),
    else 401, whatever the tenant (so a key of another tenant, or an unknown slug, tells nothing);
    without a key a member's session works as for pages, and an anonymous request is a 401.
    Superusers in Django's admin work across tenants (admin tooling, `unscoped()`).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        try:
            if user.is_authenticated:
                with acting_as(user_id=user.pk, label=user.get_username()):
                    return self._serve(request)
            return self._serve(request)
        finally:
            flush_writes()  # what the request wrote outside a tenant (portal.pagecache)

    def _serve(self, request: HttpRequest) -> HttpResponse:
        request.tenant = None
        request.membership = None
        match = TENANT_PATH.match(request.path_info)
        if match is None:
            if request.path_info.startswith("/admin/") and request.user.is_superuser:
                # Across tenants: no scope, and on PostgreSQL the admin's own connection
                # (row-level security hides every row from the application role here).
                with unscoped(), owner_connection():
                    return self.get_response(request)
            return self.get_response(request)

        tenant = Tenant.objects.filter(slug=match["slug"]).first()
        if match["api"]:
            return self._serve_api(request, tenant)
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
            if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
                # Until a user picks a language, pages speak the company's language.
                translation.activate(tenant.locale)
                request.LANGUAGE_CODE = tenant.locale
            return self._respond_in_tenant_zone(request, tenant)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """A task that could not be queued (broker down): say so, instead of a server error.
        Its JobRun is already marked failed (portal.tasks.TenantTask)."""
        if not isinstance(exception, QueueUnavailable):
            return None
        if request.path_info.startswith("/t/") and "/api/" in request.path_info:
            return _api_error(503, str(exception))
        if getattr(request, "htmx", False):
            messages.error(request, str(exception))
            response = HttpResponse(status=200)
            response["HX-Refresh"] = "true"  # the page again, with the message on top
            return response
        return render(request, "portal/queue_unavailable.html", {"message": exception}, status=503)

    def _respond_in_tenant_zone(self, request: HttpRequest, tenant: Tenant) -> HttpResponse:
        timezone.activate(tenant.tzinfo)  # pages (and the API) show times in the tenant's zone
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    def _serve_api(self, request: HttpRequest, tenant: Tenant | None) -> HttpResponse:
        request.api_token = None
        key = key_from_header(request.headers.get("Authorization", ""))
        if key is not None:
            if api_token_throttled(request):
                return _api_error(429, "Too many invalid tokens from this address; try later.")
            with tenant_context(tenant) if tenant is not None else nullcontext():
                token = api_token_authenticate(tenant=tenant, key=key) if tenant else None
                if token is None:
                    if api_token_active_elsewhere(key=key):
                        # Another tenant's key: not found here, like another tenant's member.
                        return _api_error(404, "Not found.")
                    api_token_failed(request)
                    return _api_error(401, "Invalid or revoked token.")
                api_token_touch(token=token)
                request.tenant = tenant
                request.api_token = token
                with acting_as(user_id=token.created_by_id, label=f"api-token:{token.prefix}"):
                    return self._respond_in_tenant_zone(request, tenant)
        if not request.user.is_authenticated:
            return _api_error(401, "Authentication credentials were not provided.")
        if tenant is None:
            return _api_error(404, "Not found.")
        with tenant_context(tenant):
            membership = (
                Membership.objects.select_related("user").filter(user_id=request.user.pk).first()
            )
            if membership is None:
                return _api_error(404, "Not found.")
            request.tenant = tenant
            request.membership = membership
            return self._respond_in_tenant_zone(request, tenant)


class SecurityHeadersMiddleware:
    """Headers Django's SecurityMiddleware does not set: CSP and a restrictive permissions policy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response
