"""Customers API: read customers and orders; push any import kind in bulk (docs/api.md)."""

from __future__ import annotations

import json
from datetime import datetime, time

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.exceptions import APIException, NotFound, ParseError
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.importing.engine import import_records
from customers.importing.kinds import KINDS
from customers.models import Customer, Order
from customers.portfolio import customers_visible
from customers.serializers import (
    MAX_RECORDS,
    CustomerListParams,
    CustomerSerializer,
    DetailSerializer,
    ImportFailureSerializer,
    ImportPushSerializer,
    ImportResultSerializer,
    OrderListParams,
    OrderSerializer,
)
from portal.api import TENANT_SLUG_PARAMETER, TenantScopedViewSet
from portal.models import Role

MAX_BODY_BYTES = 64 * 1024 * 1024
# External ids may contain dots and other punctuation; only "/" cannot be in a path segment.
EXTERNAL_ID_IN_PATH = r"[^/]+"


def member_sees(request, queryset: QuerySet, via: str = "") -> QuerySet:
    """A member's session sees through the API what their pages show: a rep their own
    accounts, a head their departments' customers, board and admin everything. An API token
    (an integration of the company) sees every row of its tenant."""
    membership = getattr(request, "membership", None)
    if membership is None or membership.role in (Role.ADMIN, Role.BOARD):
        return queryset
    visible = customers_visible(tenant=request.tenant, membership=membership)
    return queryset.filter(**{f"{via}pk__in": visible.values("pk")})


@extend_schema_view(list=extend_schema(parameters=[CustomerListParams]))
class CustomerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """Customers of the tenant, looked up by their external id."""

    model = Customer
    serializer_class = CustomerSerializer
    lookup_field = "external_id"
    lookup_value_regex = EXTERNAL_ID_IN_PATH
    list_params = CustomerListParams
    ordering_fields = ["external_id", "name", "country", "created_at"]
    ordering = ["name"]

    def scoped_queryset(self) -> QuerySet[Customer]:
        return member_sees(
            self.request, Customer.objects.select_related("account_manager__user", "department")
        )

    def filter_list(self, queryset, *, country=None, account_manager=None, department=None, q=None):
        if country:
            queryset = queryset.filter(country=country.upper())
        if account_manager:
            queryset = queryset.filter(account_manager__user__username=account_manager)
        if department:
            queryset = queryset.filter(department__name__iexact=department)
        if q:
            queryset = queryset.filter(name__icontains=q)
        return queryset


@extend_schema_view(list=extend_schema(parameters=[OrderListParams]))
class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """Orders and returns of the tenant (returns carry negative amounts)."""

    model = Order
    serializer_class = OrderSerializer
    lookup_field = "external_id"
    lookup_value_regex = EXTERNAL_ID_IN_PATH
    list_params = OrderListParams
    ordering_fields = ["placed_at", "amount", "external_id"]
    ordering = ["-placed_at"]

    def scoped_queryset(self) -> QuerySet[Order]:
        return member_sees(
            self.request, Order.objects.select_related("customer", "channel"), via="customer__"
        )

    def filter_list(
        self,
        queryset,
        *,
        customer=None,
        channel=None,
        placed_after=None,
        placed_before=None,
        is_return=None,
    ):
        tz = self.request.tenant.tzinfo
        if customer:
            queryset = queryset.filter(customer__external_id=customer)
        if channel:
            queryset = queryset.filter(channel__code=channel.lower())
        if placed_after is not None:
            queryset = queryset.filter(placed_at__gte=datetime.combine(placed_after, time(), tz))
        if placed_before is not None:
            queryset = queryset.filter(placed_at__lt=datetime.combine(placed_before, time(), tz))
        if is_return is not None:
            queryset = queryset.filter(is_return=is_return)
        return queryset


class BodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


class BulkJSONParser(BaseParser):
    """JSON bodies up to MAX_BODY_BYTES. DRF's JSONParser goes through `request.body`, which
    Django caps at DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) for every form of the site; this parser
    reads the stream itself, for the one endpoint that takes large bodies."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        data = stream.read(MAX_BODY_BYTES + 1)
        if len(data) > MAX_BODY_BYTES:
            raise BodyTooLarge(_too_large_detail(_body_limit()))
        try:
            return json.loads(data.decode("utf-8"), parse_constant=_refuse_constant)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


class ImportView(APIView):
    """Upsert records of one kind: all of them, or (when any is bad) none."""

    parser_classes = [BulkJSONParser]

    @extend_schema(
        operation_id="import_push",
        parameters=[
            TENANT_SLUG_PARAMETER,
            OpenApiParameter(
                "kind",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                enum=list(KINDS),
                description="What the records are (docs/data-formats.md).",
            ),
        ],
        request=ImportPushSerializer,
        responses={
            200: ImportResultSerializer,
            400: ImportFailureSerializer,
            404: DetailSerializer,
            413: DetailSerializer,
        },
    )
    def post(self, request: Request, tenant_slug: str, kind: str) -> Response:
        if kind not in KINDS:
            raise NotFound(f"Unknown kind {kind!r}; choose one of {', '.join(KINDS)}.")
        if _content_length(request) > MAX_BODY_BYTES:
            raise BodyTooLarge(_too_large_detail(_body_limit()))
        records = request.data.get("records") if isinstance(request.data, dict) else None
        if isinstance(records, list) and len(records) > MAX_RECORDS:
            raise BodyTooLarge(
                _too_large_detail(f"{len(records)} records; at most {MAX_RECORDS} per request.")
            )

        push = ImportPushSerializer(data=request.data)
        if not push.is_valid():
            return Response(_failure(kind, push.errors), status=status.HTTP_400_BAD_REQUEST)
        report = import_records(
            tenant=request.tenant,
            kind=kind,
            records=push.validated_data["records"],
            dry_run=push.validated_data["dry_run"],
        )
        summary = {"kind": kind, "rows": report.rows, "warnings": report.warnings}
        if not report.ok:
            errors = [error.as_dict() for error in report.errors]
            return Response(
                {**summary, "error_count": report.error_count, "errors": errors, "written": False},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(
            {
                **summary,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "written": report.written,
                "dry_run": report.dry_run,
            }
        )


def _content_length(request: Request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _body_limit() -> str:
    return f"The body is over {MAX_BODY_BYTES // (1024 * 1024)} MiB."


def _too_large_detail(problem: str) -> str:
    return f"{problem} Split the push into smaller requests."


def _failure(kind: str, serializer_errors: dict) -> dict:
    """Request-shape errors in the same form as the importer's (line = record position)."""
    errors = []
    for field, problem in serializer_errors.items():
        if field == "records" and isinstance(problem, dict):
            for position, columns in problem.items():
                for column, message in columns.items():
                    errors.append({"line": position, "column": column, "message": str(message)})
        else:
            messages = problem if isinstance(problem, list) else [problem]
            column = "" if field == "non_field_errors" else field
            errors.extend({"line": 0, "column": column, "message": str(m)} for m in messages)
    return {
        "kind": kind,
        "rows": 0,
        "warnings": [],
        "error_count": len(errors),
        "errors": errors,
        "written": False,
    }
