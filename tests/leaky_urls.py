"""The real URLs plus one deliberately leaky page, to prove the sweep catches a leak
(tests/test_sweep.py::test_the_sweep_catches_a_page_that_forgets_the_tenant)."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path

from koers.urls import urlpatterns as real_urlpatterns
from portal.models import GlossaryTerm


def leaky_term(request, tenant_slug: str, term_id: int) -> HttpResponse:
    # The bug under test: no tenant filter, and the unscoped base manager.
    term = get_object_or_404(GlossaryTerm._base_manager, pk=term_id)
    return HttpResponse(f"<h1>{term.term}</h1><p>{term.definition}</p>")


urlpatterns = [
    path("t/<slug:tenant_slug>/leak/<int:term_id>/", leaky_term, name="leaky_term"),
    *real_urlpatterns,
]
