"""API tokens: creating, revoking and checking keys, and DRF's authentication and permission.

A key is `kt_` plus 43 URL-safe characters; only its SHA-256 hash is stored. The URL names the
tenant (`/t/<slug>/api/…`), so `TenantMiddleware` looks the key up inside that tenant's scope:
a key of another tenant is simply unknown there. The middleware sets `request.api_token`;
`ApiTokenAuthentication` hands it to DRF.

Who may do what (`TenantApiPermission`):
- a token may read and write everything the API offers in its tenant;
- a logged-in member (session, with CSRF) may read; only an admin may write.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_login_failed
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import SAFE_METHODS, BasePermission

from portal.auth_backends import API_TOKEN_CREDENTIALS
from portal.models import ApiToken, Role, Tenant

KEY_PREFIX = "kt_"
SHOWN_PREFIX_LENGTH = 8
LAST_USED_RESOLUTION = timedelta(minutes=1)
AUTH_SCHEMES = {"token", "bearer"}


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_create(*, tenant: Tenant, name: str, user=None) -> tuple[ApiToken, str]:
    """Create a token; returns it with the plain key, which is not stored and never shown again."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        tenant=tenant,
        name=name,
        prefix=key[:SHOWN_PREFIX_LENGTH],
        key_hash=key_hash(key),
        created_by=user,
    )
    return token, key


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke a token for good (idempotent: the first revocation time is kept)."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(*, tenant: Tenant, key: str) -> ApiToken | None:
    """The tenant's active token with this key, or None. Runs in the tenant's scope."""
    if not key.startswith(KEY_PREFIX):
        return None
    digest = key_hash(key)
    token = (
        ApiToken.objects.select_related("created_by").filter(tenant=tenant, key_hash=digest).first()
    )
    if token is None or token.revoked_at is not None:
        return None
    if not hmac.compare_digest(token.key_hash, digest):
        return None
    return token


def api_token_active_elsewhere(*, key: str) -> bool:
    """Whether the key is an active token of some tenant. Asked only after the key failed in
    the tenant of the URL. On PostgreSQL row-level security hides other tenants' tokens from
    the application role, so the question goes to `koers_api_key_known` (migration
    portal/0009), which answers yes or no for a hash and nothing else."""
    if not key.startswith(KEY_PREFIX):
        return False
    from django.db import connection

    digest = key_hash(key)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT koers_api_key_known(%s)", [digest])
            return bool(cursor.fetchone()[0])
    from portal.tenancy import unscoped

    with unscoped():
        found = ApiToken.objects.filter(key_hash=digest, revoked_at__isnull=True)
        return found.values_list("pk", flat=True).first() is not None


def api_token_touch(*, token: ApiToken) -> None:
    """Record use, at most once a minute per token (no write on every request)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
        token.save(update_fields=["last_used_at"])


def api_token_throttled(request) -> bool:
    """True while this address is locked out after too many unknown or revoked keys."""
    return not AxesProxyHandler.is_allowed(request, API_TOKEN_CREDENTIALS)


def api_token_failed(request) -> None:
    """Count an unknown or revoked key against the request's address (django-axes)."""
    user_login_failed.send(sender=__name__, credentials=API_TOKEN_CREDENTIALS, request=request)


def key_from_header(header: str) -> str | None:
    """The key of an `Authorization: Token <key>` (or `Bearer <key>`) header; None for other
    schemes. A Token/Bearer header without a proper key gives "" (which matches no token)."""
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() not in AUTH_SCHEMES:
        return None
    key = rest.strip()
    return "" if not key or " " in key else key


class ApiTokenUser(AnonymousUser):
    """Who a token acts as when nobody is named as its creator: no row, no session."""

    def __init__(self, token: ApiToken):
        self.token = token
        self.username = f"api-token:{token.prefix}"

    @property
    def is_authenticated(self) -> bool:
        return True

    def __str__(self) -> str:
        return self.username


class ApiTokenAuthentication(BaseAuthentication):
    """Hands DRF the token that `TenantMiddleware` checked; the user is the token's creator
    (for the record only: the token is what is allowed) or an `ApiTokenUser`."""

    def authenticate(self, request):
        token = getattr(request._request, "api_token", None)
        if token is None:
            return None
        return (token.created_by or ApiTokenUser(token), token)

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) to a request without credentials.
        return "Token"


class TenantApiPermission(BasePermission):
    """Tokens read and write; session members read, and only admins write."""

    message = "Only an admin (or an API token) may change data through the API."

    def has_permission(self, request, view) -> bool:
        if isinstance(request.auth, ApiToken):
            return request.auth.tenant_id == getattr(request.tenant, "pk", None)
        membership = getattr(request._request, "membership", None)
        if membership is None or not request.user.is_authenticated:
            return False
        return request.method in SAFE_METHODS or membership.role == Role.ADMIN


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Documents the token in the OpenAPI schema (`Authorization: Bearer <key>`; `Token` also
    works)."""

    target_class = ApiTokenAuthentication
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token of the tenant: `Authorization: Token <key>` or "
            "`Authorization: Bearer <key>`. Create one with `manage.py api_token`.",
        }
