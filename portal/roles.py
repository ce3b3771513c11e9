"""What each role may open. Navigation and view checks read the same table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from portal.models import Role

ALL_ROLES = frozenset(Role.values)
MANAGERS = frozenset({Role.ADMIN, Role.HEAD})


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str | Promise
    roles: frozenset[str]


# Order is the order in the menu. Later issues add their pages here.
NAVIGATION: list[NavItem] = [
    NavItem("portal:portfolio", _("My portfolio"), frozenset({Role.REP})),
    NavItem("portal:department", _("Department"), frozenset({Role.HEAD})),
    NavItem("portal:board", _("Board"), frozenset({Role.BOARD, Role.ADMIN})),
    NavItem("customers:list", _("Customers"), ALL_ROLES),
    NavItem("kpis:list", _("KPIs"), ALL_ROLES),
    NavItem("personas:list", _("Personas"), ALL_ROLES),
    NavItem("roadmap:timeline", _("Roadmap"), ALL_ROLES),
    NavItem("portal:departments", _("Departments"), frozenset({Role.ADMIN})),
    NavItem("portal:glossary", _("Glossary"), ALL_ROLES),
    NavItem("portal:members", _("Members"), frozenset({Role.ADMIN})),
    NavItem("customers:imports", _("Imports"), frozenset({Role.ADMIN})),
    NavItem("portal:jobs", _("Jobs"), MANAGERS),
    NavItem("portal:audit", _("Audit trail"), frozenset({Role.ADMIN})),
]

LANDING_PAGE = {
    Role.REP: "portal:portfolio",
    Role.HEAD: "portal:department",
    Role.BOARD: "portal:board",
    Role.ADMIN: "portal:board",
}


def navigation_for(role: str) -> list[NavItem]:
    return [item for item in NAVIGATION if role in item.roles]


def role_required(*roles: str) -> Callable:
    """Allow the view only to members with one of `roles` (403 otherwise).

    Runs under the tenant middleware, so `request.membership` is the member's own.
    """
    allowed = frozenset(roles)

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            membership = getattr(request, "membership", None)
            if membership is None or membership.role not in allowed:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.allowed_roles = allowed
        return wrapped

    return decorator
