from django.http import HttpRequest
from django.urls import reverse

from portal.roles import navigation_for
from portal.selectors import tenants_for_user


def navigation(request: HttpRequest) -> dict:
    membership = getattr(request, "membership", None)
    if membership is None:
        return {}
    tenant = request.tenant
    current = request.resolver_match.view_name if request.resolver_match else ""
    items = [
        {
            "url": reverse(item.url_name, kwargs={"tenant_slug": tenant.slug}),
            "label": item.label,
            "active": item.url_name == current,
        }
        for item in navigation_for(membership.role)
    ]
    return {
        "nav_items": items,
        "tenant": tenant,
        "membership": membership,
        "user_tenants": tenants_for_user(user=request.user),
    }
