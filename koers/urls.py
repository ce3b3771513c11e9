from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from portal import views as portal_views

urlpatterns = [
    path("", portal_views.choose_tenant, name="choose_tenant"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's init script as a file: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api_docs"),
    path("t/<slug:tenant_slug>/api/v1/", include("customers.api_urls")),
    path("t/<slug:tenant_slug>/", include("portal.urls")),
    path("t/<slug:tenant_slug>/", include("customers.urls")),
    path("t/<slug:tenant_slug>/", include("kpis.urls")),
    path("t/<slug:tenant_slug>/", include("personas.urls")),
    path("t/<slug:tenant_slug>/", include("roadmap.urls")),
]
