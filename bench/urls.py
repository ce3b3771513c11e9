"""The benchmark's URLconf: the product's URLs plus one trivial view (never shipped).

The trivial view goes through the same middleware as the pages (session, tenancy,
membership, CSP) and runs one query, so that "page / trivial" measures what the page itself
costs on top of serving any tenant URL.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from koers.urls import urlpatterns as product_urlpatterns
from portal.models import Tenant


def trivial(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    name = Tenant.objects.filter(pk=request.tenant.pk).values_list("name", flat=True).first()
    return HttpResponse(f"<!doctype html><title>{name}</title><p>{name}</p>")


urlpatterns = [
    path("t/<slug:tenant_slug>/bench/trivial/", trivial, name="bench_trivial"),
    *product_urlpatterns,
]
