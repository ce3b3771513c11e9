"""API shapes of customers and orders, their list filters, and the bulk push.

References to other rows are the values people use (external ids, channel codes, usernames,
department names), never internal ids; an order reads back with the same column names an
orders push takes.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from customers.models import Customer, Order

MAX_RECORDS = 50_000

# --- Reading ---------------------------------------------------------------------------------


class CustomerSerializer(serializers.ModelSerializer):
    account_manager = serializers.CharField(
        source="account_manager.user.username",
        allow_null=True,
        read_only=True,
        help_text="Username of the account manager.",
    )
    department = serializers.CharField(
        source="department.name", allow_null=True, read_only=True, help_text="Department name."
    )

    class Meta:
        model = Customer
        fields = [
            "external_id",
            "name",
            "country",
            "business_line",
            "account_manager",
            "department",
            "employees",
            "locations",
            "floor_area_m2",
            "has_webshop",
            "serves",
            "product_families",
            "estimated_wallet",
            "price_sensitivity",
            "brand_sensitivity",
            "sustainability_sensitivity",
            "reliability_sensitivity",
            "notes",
            "created_at",
        ]
        read_only_fields = fields


class OrderSerializer(serializers.ModelSerializer):
    customer_external_id = serializers.CharField(source="customer.external_id", read_only=True)
    channel = serializers.CharField(
        source="channel.code", read_only=True, help_text="Channel code, e.g. web or phone."
    )

    class Meta:
        model = Order
        fields = [
            "external_id",
            "customer_external_id",
            "placed_at",
            "channel",
            "amount",
            "is_return",
            "return_reason",
            "quantity",
        ]
        read_only_fields = fields


class CustomerListParams(serializers.Serializer):
    country = serializers.CharField(
        required=False, max_length=2, help_text="ISO 3166 alpha-2 code, e.g. NL."
    )
    account_manager = serializers.CharField(
        required=False, help_text="Username of the account manager."
    )
    department = serializers.CharField(required=False, help_text="Department name.")
    q = serializers.CharField(required=False, help_text="Part of the customer's name.")


class OrderListParams(serializers.Serializer):
    customer = serializers.CharField(required=False, help_text="External id of the customer.")
    channel = serializers.CharField(required=False, help_text="Channel code, e.g. web.")
    placed_after = serializers.DateField(
        required=False, help_text="Orders placed on or after this day (tenant's time zone)."
    )
    placed_before = serializers.DateField(
        required=False, help_text="Orders placed before this day (tenant's time zone)."
    )
    is_return = serializers.BooleanField(
        required=False, help_text="true: returns only; false: orders only."
    )


# --- Pushing ---------------------------------------------------------------------------------

SCALARS = (str, int, float, bool)


@extend_schema_field(
    {
        "type": "array",
        "maxItems": MAX_RECORDS,
        "minItems": 1,
        "items": {
            "type": "object",
            "additionalProperties": {
                "oneOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}],
                "nullable": True,
            },
        },
        "description": "Rows with the columns of the kind (docs/data-formats.md), "
        "e.g. {'external_id': 'C1', 'name': 'Van Dijk'}.",
    }
)
class RecordsField(serializers.Field):
    """A list of flat objects, checked in one pass; errors are keyed by record position."""

    default_error_messages = {
        "not_a_list": "Expected a list of records.",
        "empty": "Give at least one record.",
    }

    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("not_a_list")
        if not data:
            self.fail("empty")
        problems: dict[int, dict[str, str]] = {}  # position -> {column: message}
        for position, record in enumerate(data, 1):
            if not isinstance(record, dict):
                problems[position] = {"": "a record must be an object of column: value"}
                continue
            for column, value in record.items():
                if value is not None and not isinstance(value, SCALARS):
                    problems.setdefault(position, {})[column] = (
                        "a value must be a string, number, true/false or null"
                    )
        if problems:
            raise serializers.ValidationError(problems)
        return data

    def to_representation(self, value):
        return value


class ImportPushSerializer(serializers.Serializer):
    records = RecordsField()
    dry_run = serializers.BooleanField(
        default=False, help_text="Validate only: report errors, write nothing."
    )


class ImportErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="Position of the record, from 1 (0: the request).")
    column = serializers.CharField(allow_blank=True)
    message = serializers.CharField()


class ImportResultSerializer(serializers.Serializer):
    kind = serializers.CharField()
    rows = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    written = serializers.BooleanField()
    dry_run = serializers.BooleanField()
    warnings = serializers.ListField(child=serializers.CharField())


class ImportFailureSerializer(serializers.Serializer):
    kind = serializers.CharField()
    rows = serializers.IntegerField()
    error_count = serializers.IntegerField(help_text="All errors; `errors` lists the first 5000.")
    errors = ImportErrorSerializer(many=True)
    written = serializers.BooleanField()
    warnings = serializers.ListField(child=serializers.CharField())


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()
