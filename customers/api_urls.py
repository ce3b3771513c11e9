"""Customers API routes, under `/t/<tenant_slug>/api/v1/` (koers/urls.py)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from customers import api

app_name = "customers_api"

router = SimpleRouter()
router.register("customers", api.CustomerViewSet, basename="customer")
router.register("orders", api.OrderViewSet, basename="order")

urlpatterns = [
    *router.urls,
    path("import/<slug:kind>/", api.ImportView.as_view(), name="import"),
]
