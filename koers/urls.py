from django.contrib import admin
from django.urls import include, path

from portal import views as portal_views

urlpatterns = [
    path("", portal_views.choose_tenant, name="choose_tenant"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("t/<slug:tenant_slug>/", include("portal.urls")),
    path("t/<slug:tenant_slug>/", include("customers.urls")),
]
