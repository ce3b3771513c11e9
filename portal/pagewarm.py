"""Render each member's own page into the page cache after the nightly recompute, so that the
morning's first visit is served from the cache too (portal.pagecache). It needs a cache the
web processes share (`CACHE_URL`, Redis) when tasks run in a separate worker; with the default
per-process memory cache it only runs where tasks run in the web process (the demo).

Each member's page (rep: My portfolio; head: their first department; board and admin: the
board) is requested in this process, through the whole middleware stack, once per language,
with a session made for the occasion and deleted afterwards. No login is recorded: the session
is written directly, so neither the login throttle nor the audit trail sees a login.
"""

from __future__ import annotations

import logging
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.urls import reverse

from portal.models import Membership, Role, Tenant
from portal.pagecache import enabled, page_cache

logger = logging.getLogger(__name__)

ROLE_PAGES = {
    Role.REP: ("portal:portfolio",),
    Role.HEAD: ("portal:department",),
    Role.BOARD: ("portal:board",),
    Role.ADMIN: ("portal:board",),
}


def _host() -> str:
    for host in settings.ALLOWED_HOSTS:
        if host != "*":
            return host.lstrip(".")
    return "localhost"


def shared_with_web() -> bool:
    """Whether pages cached here reach the web processes: always with a shared cache (Redis);
    with this process's memory only when the task runs in the web process itself (eager
    tasks: the demo). A worker warming its own memory would only spend time."""
    if not page_cache().__class__.__name__.startswith("LocMem"):
        return True
    from celery import current_task

    if not current_task:  # not inside a task: a command, or the web process itself
        return True
    return bool(getattr(current_task.request, "is_eager", False))


def pages_warm(*, tenant: Tenant) -> dict:
    """Render every active member's page in every language; {"pages": n, "failed": n}."""
    if not enabled() or not getattr(settings, "PAGE_WARM", True) or not shared_with_web():
        return {"pages": 0, "failed": 0}
    from django.test import Client  # an in-process request, as a visitor would make it

    sessions = import_module(settings.SESSION_ENGINE).SessionStore
    languages = [code for code, _name in settings.LANGUAGES]
    members = (
        Membership.objects.filter(tenant=tenant, user__is_active=True)
        .select_related("user")
        .order_by("pk")
    )
    rendered = failed = 0
    for membership in members:
        names = ROLE_PAGES.get(membership.role, ())
        if not names:
            continue
        user = membership.user
        session = sessions()
        session[SESSION_KEY] = user._meta.pk.value_to_string(user)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        client = Client(HTTP_HOST=_host(), raise_request_exception=False)
        client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
        try:
            for language in languages:
                client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
                for name in names:
                    response = client.get(reverse(name, args=[tenant.slug]), secure=True)
                    if response.status_code == 200:
                        rendered += 1
                    else:
                        failed += 1
                        logger.warning(
                            "Warming %s for %s answered %s", name, user, response.status_code
                        )
        finally:
            session.delete()
    return {"pages": rendered, "failed": failed}
