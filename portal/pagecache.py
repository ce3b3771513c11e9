"""Rendered page content, cached per tenant data version (docs/architecture.md, "Pages and the
page cache").

The portfolio, department and board pages only change when the tenant's data changes: a
nightly recompute, an import, an inline edit. Their content block is rendered once per
(tenant data version, member, language, day, URL) and served from Django's cache after that;
the view hands the template lazy objects, so a hit runs none of the page's own queries.

Invalidation is by version, never by guessing which page a write touches:

- `Tenant.data_version` is read with the tenant by the middleware on every request (no extra
  query) and is part of every key.
- A query wrapper on every connection notes each write statement (INSERT / UPDATE / DELETE /
  COPY / TRUNCATE / MERGE) and the tenant that was active (none: every tenant). Writes to
  bookkeeping tables (sessions, login throttling, the audit trail, API-token last-use) don't
  count.
- When the request ends, and when a `tenant_context` block ends (tasks, commands), the tenants
  written to get `data_version = data_version + 1`, after the work's own transactions have
  committed (inside an application transaction the bump waits for its commit). A task's bulk writes (COPY through psycopg) happen inside its
  `tenant_context` beside ORM writes to its JobRun, so they are covered too.

What a cached fragment must not freeze is filled in per request: the CSRF token (rendered as a
placeholder and replaced). Only GET requests use the cache; a form re-rendered with errors
never does. The key also holds a fingerprint of the templates and translations, so a deploy
never serves content rendered by older templates from a shared cache.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.translation import get_language

from portal.context import current_tenant_id

logger = logging.getLogger(__name__)

CSRF_PLACEHOLDER = "koersCsrfPlaceholder0000000000000000000000000000000000000000000000"
ALL_TENANTS = 0  # a write with no tenant active (admin, commands): every tenant's pages

# Tables whose writes never change what a page shows.
IGNORED_TABLES = frozenset(
    {
        "django_session",
        "axes_accessattempt",
        "axes_accesslog",
        "axes_accessfailurelog",
        "portal_auditentry",
        "portal_apitoken",
        "django_admin_log",
    }
)
_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|COPY|TRUNCATE|MERGE|WITH)\b", re.IGNORECASE)
_CTE_WRITE = re.compile(r"\b(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
_TABLE = re.compile(
    r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|COPY|TRUNCATE(?:\s+TABLE)?)\s+"?(\w+)"?',
    re.IGNORECASE,
)

# A login stamps the user's last login: not data any page shows.
_LAST_LOGIN = re.compile(
    r'^\s*UPDATE\s+"?auth_user"?\s+SET\s+"?last_login"?\s*=\s*%s\s+WHERE', re.I
)

_written: ContextVar[set[int] | None] = ContextVar("koers_tenants_written", default=None)


# --- noticing writes -------------------------------------------------------------------------


def is_data_write(sql: str) -> bool:
    match = _WRITE.match(sql)
    if match is None:
        return False
    if match.group(1).upper() == "WITH" and not _CTE_WRITE.search(sql):
        return False
    if _LAST_LOGIN.match(sql):
        return False
    table = _TABLE.match(sql)
    return table is None or table.group(1).lower() not in IGNORED_TABLES


def note_write() -> None:
    """Remember that the active tenant (or, with none, every tenant) was written to."""
    tenant_id = current_tenant_id()
    written = _written.get()
    if written is None:
        written = set()
        _written.set(written)
    written.add(ALL_TENANTS if tenant_id is None else tenant_id)


def write_tracker(execute, sql, params, many, context):
    """A query wrapper (installed on every connection by portal.apps)."""
    result = execute(sql, params, many, context)
    if isinstance(sql, str) and is_data_write(sql):
        note_write()
    return result


def install_write_tracker(sender=None, connection=None, **kwargs) -> None:
    """`connection_created` receiver: first in the wrapper list, so a test's own
    `connection.execute_wrapper(...)` (which pops the last one) never removes it."""
    if connection is not None and write_tracker not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, write_tracker)


def flush_writes(using: str = "default") -> None:
    """Bump the data version of every tenant written to since the last flush.

    Inside a transaction of the application's own (not a test's wrapper) the flush waits for
    the outer one: a bump must follow the commit, and must not hold the tenant's row locked
    while the transaction runs on. A failed bump (connection lost) keeps the tenants for the
    next flush and never hides the error that is already on its way."""
    written = _written.get()
    if not written:
        return
    connection = connections[using]
    if any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks):
        if not any(hook is flush_writes for _, hook, _ in connection.run_on_commit):
            connection.on_commit(flush_writes)
        return
    # Straight to the driver, like the row-level security settings (portal.db): bookkeeping,
    # not one of the application's queries (tests count those).
    mark = "?" if connection.vendor == "sqlite" else "%s"
    sql = "UPDATE portal_tenant SET data_version = data_version + 1"
    params: list[int] = []
    if ALL_TENANTS not in written:
        params = sorted(written)
        sql += f" WHERE id IN ({', '.join([mark] * len(params))})"
    try:
        connection.ensure_connection()
        cursor = connection.connection.cursor()
        try:
            cursor.execute(sql, params)
        finally:
            cursor.close()
    except Exception:  # noqa: BLE001 - the driver's own errors: keep the tenants for next time
        logger.warning("Could not bump the data version of tenants %s", sorted(written))
        return
    written.clear()


# --- the cache ---------------------------------------------------------------------------------


@cache
def templates_fingerprint() -> str:
    """Changes when a template or a compiled translation changes (a deploy)."""
    root = Path(settings.BASE_DIR)
    digest = hashlib.sha1(usedforsecurity=False)
    for pattern in ("*/templates/**/*.html", "templates/**/*.html", "locale/**/*.mo"):
        for path in sorted(root.glob(pattern)):
            if ".venv" in path.parts:
                continue
            stat = path.stat()
            digest.update(f"{path}:{stat.st_mtime_ns}:{stat.st_size}".encode())
    return digest.hexdigest()[:12]


def enabled() -> bool:
    return getattr(settings, "PAGE_CACHE_SECONDS", 0) > 0


def page_key(request, name: str) -> str | None:
    """The cache key of `name`'s content for this request, or None when it must not be cached."""
    tenant = getattr(request, "tenant", None)
    membership = getattr(request, "membership", None)
    if not enabled() or request.method != "GET" or tenant is None or membership is None:
        return None
    parts = [
        name,
        tenant.pk,
        tenant.data_version,
        membership.pk,
        get_language(),
        timezone.localdate().isoformat(),
        request.get_full_path(),
        request.headers.get("HX-Request", ""),
        templates_fingerprint(),
    ]
    return "koers-page:" + hashlib.sha1(repr(parts).encode(), usedforsecurity=False).hexdigest()


def page_cache():
    return caches[getattr(settings, "PAGE_CACHE_ALIAS", "default")]


def cached_fragment(request, name: str, render: Callable[[str | None], str]) -> str:
    """`name`'s fragment for this request: from the cache, or rendered by `render` and stored.

    `render(placeholder)` renders with `placeholder` as the CSRF token when the result is to be
    cached (the request's own token replaces it on the way out), `render(None)` as usual."""
    key = page_key(request, name)
    if key is None:
        return render(None)
    store = page_cache()
    html = store.get(key)
    if html is None:
        html = render(CSRF_PLACEHOLDER)
        store.set(key, html, settings.PAGE_CACHE_SECONDS)
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, get_token(request))
    return html


def lazy(function: Callable[[], object]) -> Callable[[], object]:
    """A context value computed on first use only (templates call callables): on a cache hit
    the page's queries never run."""
    return cache(function)
