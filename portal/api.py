"""The one base for tenant-owned API endpoints (STYLE.md, "API"; PostHog's routing pattern).

`TenantScopedViewSet.get_queryset()` always filters by `request.tenant`; subclasses describe
their rows in `scoped_queryset()` and may not override `get_queryset()` (a class that tries
fails at import). There is no escape hatch: should one ever be needed, it is to be named
`dangerously_get_queryset`, so that grep finds it. An object of another tenant is never in the
queryset, so asking for it is a 404.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.filters import BaseFilterBackend, OrderingFilter
from rest_framework.pagination import PageNumberPagination
from rest_framework.viewsets import GenericViewSet

TENANT_SLUG_PARAMETER = OpenApiParameter(
    "tenant_slug",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The tenant (company), as in its portal URL /t/<tenant_slug>/.",
)


class ApiPagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class StableOrderingFilter(OrderingFilter):
    """`?ordering=` from the view's whitelist, with the primary key as the last tie-breaker so
    that pages neither repeat nor skip rows."""

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if not {"pk", "-pk", "id", "-id"} & set(ordering):
            ordering.append("pk")
        return ordering

    def get_schema_operation_parameters(self, view):
        fields = [f if isinstance(f, str) else f[0] for f in getattr(view, "ordering_fields", [])]
        default = ",".join(getattr(view, "ordering", []))
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": f"Sort by one or more of {', '.join(fields)} (comma-separated; "
                f"a leading - reverses). Default: {default}. Other fields are ignored.",
                "schema": {"type": "string"},
            }
        ]


class ListParamsFilter(BaseFilterBackend):
    """Filters a list by query parameters, validated by the view's `list_params` serializer
    (a bad value is a 400, not an empty page); the view applies them in `filter_list()`."""

    def filter_queryset(self, request, queryset, view):
        params_class = getattr(view, "list_params", None)
        if params_class is None or getattr(view, "action", None) != "list":
            return queryset
        params = params_class(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        return view.filter_list(queryset, **params.validated_data)


@extend_schema(parameters=[TENANT_SLUG_PARAMETER])
class TenantScopedViewSet(GenericViewSet):
    """Base viewset for tenant-owned rows: subclasses set `model` and, as needed,
    `scoped_queryset()` (select_related, annotations), `list_params` + `filter_list()` and
    `ordering_fields`. Writes go through `perform_create`, which sets the tenant."""

    model: ClassVar[type[models.Model]]
    list_params: ClassVar[type[serializers.Serializer] | None] = None
    filter_backends = [ListParamsFilter, StableOrderingFilter]
    pagination_class = ApiPagination

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise TypeError(
                f"{cls.__name__} overrides get_queryset(), which filters by tenant: "
                "implement scoped_queryset() instead."
            )
        model = getattr(cls, "model", None)
        if model is not None:
            # Never served: lets DRF and drf-spectacular see the model without a tenant.
            cls.queryset = model._default_manager.none()

    def get_queryset(self) -> models.QuerySet:
        tenant = getattr(self.request, "tenant", None)
        if tenant is None:
            raise NotFound  # fail closed: no tenant, no rows
        return self.scoped_queryset().filter(tenant=tenant)

    def scoped_queryset(self) -> models.QuerySet:
        """The rows this endpoint serves; the tenant filter is added by `get_queryset()`."""
        return self.model._default_manager.all()

    def filter_list(self, queryset: models.QuerySet, **params) -> models.QuerySet:
        return queryset

    def perform_create(self, serializer) -> None:
        serializer.save(tenant=self.request.tenant)
