"""What each import kind looks like: its columns, its key and the table it lands in.

docs/data-formats.md documents the same columns for the people who fill the files.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from customers import models as m
from portal.models import Department, Membership


@dataclass(frozen=True)
class Column:
    name: str  # as written in the file's header
    parse: str  # text | decimal | integer | boolean | date | datetime
    required: bool = False
    db: str | None = None  # target column; defaults to `name`
    max_length: int | None = None
    choices: frozenset[str] | None = None
    minimum: int | None = None
    maximum: int | None = None
    ref: str | None = None  # customer | contact | channel | member | department | order
    aliases: tuple[str, ...] = ()
    default: object = None
    places: int = 2

    @property
    def target(self) -> str:
        return self.db or self.name


@dataclass(frozen=True)
class Kind:
    name: str
    model: type
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # db columns after tenant_id that identify a row
    label: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    def target_columns(self) -> list[str]:
        return ["tenant_id", *[c.target for c in self.columns]]


# What a reference column names, per kind of reference: the model and the field people type
# (and our exports write). Case-insensitive references are matched in lower case.
REFERENCES: dict[str, tuple[type, str]] = {
    "customer": (m.Customer, "external_id"),
    "contact": (m.Contact, "external_id"),
    "order": (m.Order, "external_id"),
    "channel": (m.Channel, "code"),
    "member": (Membership, "user__username"),
    "department": (Department, "name"),
}
CASE_INSENSITIVE_REFERENCES = frozenset({"channel", "member", "department"})


def _sens(name: str) -> Column:
    return Column(name, "integer", minimum=1, maximum=5)


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in [
        Kind(
            "customers",
            m.Customer,
            (
                Column("external_id", "text", required=True, max_length=64),
                Column("name", "text", required=True, max_length=200),
                Column("country", "text", max_length=2, default=""),
                Column("business_line", "text", max_length=80, default=""),
                Column("account_manager", "text", ref="member", db="account_manager_id"),
                Column("department", "text", ref="department", db="department_id"),
                Column("employees", "integer", minimum=0),
                Column("locations", "integer", minimum=0),
                Column("floor_area_m2", "integer", minimum=0),
                Column("has_webshop", "boolean"),
                Column("serves", "text", max_length=200, default=""),
                Column("product_families", "integer", minimum=0),
                Column("estimated_wallet", "decimal", aliases=("estimated_annual_wallet",)),
                _sens("price_sensitivity"),
                _sens("brand_sensitivity"),
                _sens("sustainability_sensitivity"),
                _sens("reliability_sensitivity"),
                Column("notes", "text", default=""),
            ),
            key=("external_id",),
            label="Customers",
        ),
        Kind(
            "contacts",
            m.Contact,
            (
                Column("external_id", "text", required=True, max_length=64),
                Column(
                    "customer_external_id", "text", required=True, ref="customer", db="customer_id"
                ),
                Column("name", "text", required=True, max_length=200),
                Column("email", "text", max_length=254, default=""),
                Column("has_web_account", "boolean", default=False),
            ),
            key=("external_id",),
            label="Contacts",
        ),
        Kind(
            "orders",
            m.Order,
            (
                Column("external_id", "text", required=True, max_length=64),
                Column(
                    "customer_external_id", "text", required=True, ref="customer", db="customer_id"
                ),
                Column(
                    "ordered_at", "datetime", required=True, db="placed_at", aliases=("placed_at",)
                ),
                Column("amount", "decimal", required=True),
                Column("channel", "text", required=True, ref="channel", db="channel_id"),
                Column("is_return", "boolean", default=False),
                Column("return_reason", "text", max_length=200, default=""),
                Column("quantity", "integer"),
            ),
            key=("external_id",),
            label="Orders",
            notes=("A return is stored with a negative amount, whatever its sign in the file.",),
        ),
        Kind(
            "order_lines",
            m.OrderLine,
            (
                Column("order_external_id", "text", required=True, ref="order", db="order_id"),
                Column("line_number", "integer", required=True, minimum=1),
                Column("sku", "text", required=True, max_length=64),
                Column("product_family", "text", max_length=80, default=""),
                Column("quantity", "decimal", default=1, places=3),
                Column("amount", "decimal", required=True),
            ),
            key=("order_id", "line_number"),
            label="Order lines",
        ),
        Kind(
            "web_activity",
            m.WebActivity,
            (
                Column("external_id", "text", required=True, max_length=64),
                Column(
                    "customer_external_id", "text", required=True, ref="customer", db="customer_id"
                ),
                Column("contact_external_id", "text", ref="contact", db="contact_id"),
                Column(
                    "kind",
                    "text",
                    required=True,
                    choices=frozenset(m.WebActivity.Kind.values),
                ),
                Column("occurred_at", "datetime", required=True),
            ),
            key=("external_id",),
            label="Web activity",
        ),
        Kind(
            "funnel_events",
            m.FunnelEvent,
            (
                Column("external_id", "text", required=True, max_length=64),
                Column("lead_ref", "text", required=True, max_length=64, aliases=("lead_id",)),
                Column(
                    "stage", "text", required=True, choices=frozenset(m.FunnelEvent.Stage.values)
                ),
                Column("occurred_at", "datetime", required=True),
                Column("customer_external_id", "text", ref="customer", db="customer_id"),
            ),
            key=("external_id",),
            label="Funnel events",
        ),
        Kind(
            "surveys",
            m.SurveyResponse,
            (
                Column("external_id", "text", required=True, max_length=64),
                Column(
                    "customer_external_id", "text", required=True, ref="customer", db="customer_id"
                ),
                Column("kind", "text", required=True, choices=frozenset({"nps", "ces"})),
                Column("score", "integer", required=True, minimum=0, maximum=10),
                Column("answered_on", "date", required=True),
                Column("comment", "text", default=""),
            ),
            key=("external_id",),
            label="Survey responses",
            notes=("NPS scores run 0–10, CES scores 1–7.",),
        ),
        Kind(
            "platform",
            m.PlatformSample,
            (
                Column("date", "date", required=True),
                Column("uptime_pct", "decimal", places=3, minimum=0, maximum=100),
                Column("median_page_load_ms", "integer", minimum=0),
                Column("error_rate", "decimal", places=3, minimum=0, maximum=100),
            ),
            key=("date",),
            label="Platform samples",
        ),
    ]
}
