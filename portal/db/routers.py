"""Django's admin (superusers only) reads and writes through the owner connection.

Row-level security hides every row from the application role unless one tenant is active, and
the admin works across tenants. Rather than a switch the application role could flip (a bug
away from a leak), superuser requests under /admin/ use a separate connection alias, "owner",
whose role has BYPASSRLS (DATABASE_ADMIN_URL, else DATABASE_OWNER_URL). TenantMiddleware opens
`owner_connection()` for exactly those requests; nothing else routes there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings

OWNER_ALIAS = "owner"
_use_owner: ContextVar[bool] = ContextVar("koers_use_owner", default=False)


def owner_alias_configured() -> bool:
    return OWNER_ALIAS in settings.DATABASES


@contextmanager
def owner_connection() -> Iterator[None]:
    token = _use_owner.set(owner_alias_configured())
    try:
        yield
    finally:
        _use_owner.reset(token)


class OwnerForAdminRouter:
    def db_for_read(self, model, **hints):
        return OWNER_ALIAS if _use_owner.get() else None

    def db_for_write(self, model, **hints):
        return OWNER_ALIAS if _use_owner.get() else None

    def allow_relation(self, obj1, obj2, **hints):
        return True if _use_owner.get() else None

    def allow_migrate(self, db, app_label, **hints):
        # The same database as "default": migrated once, through "default" as the owner.
        return False if db == OWNER_ALIAS else None
