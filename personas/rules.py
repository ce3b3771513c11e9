"""Persona rules as one Django `Q`, evaluated set-based in the database.

A rule names a characteristic (a customer field, a behaviour over the trailing 12 months or
a customer score), an operator and a value. Rules in the same group AND together, groups OR
together; a persona without rules matches nobody.

Rules never scan orders: they run over `PersonaAssignment`, one row per customer that holds
the customer's behaviour over the trailing 12 months (orders, gross and net revenue, online
revenue, returns, product families), written by `personas.services.behaviour_refresh` in the
nightly recompute (and "Recompute now"). RFM segment, CLV and churn risk come from the stored
`CustomerScore`. So a persona, or the rule editor's live count, costs one query over stored
rows, however many orders there are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db.models import (
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce, NullIf
from django.utils.translation import gettext_lazy as _

from customers.models import CustomerScore
from portal.models import Tenant

NUMBER = "number"
TEXT = "text"
BOOLEAN = "boolean"

OPERATORS_FOR = {
    NUMBER: ("eq", "ne", "lt", "lte", "gt", "gte", "in"),
    TEXT: ("eq", "ne", "in", "contains"),
    BOOLEAN: ("is_true", "is_false"),
}


@dataclass(frozen=True)
class Characteristic:
    key: str
    label: str
    kind: str
    derived: bool = False
    # Allowed values of a TEXT characteristic: {stored value: label}; labels are accepted too.
    choices: tuple[tuple[str, str], ...] = ()
    help: str = ""


CHARACTERISTICS: dict[str, Characteristic] = {
    c.key: c
    for c in [
        # Hard characteristics
        Characteristic("employees", _("Employees"), NUMBER),
        Characteristic("locations", _("Locations / DCs"), NUMBER),
        Characteristic("floor_area_m2", _("Floor area (m²)"), NUMBER),
        Characteristic("has_webshop", _("Has own web shop"), BOOLEAN),
        Characteristic("product_families", _("Product families bought"), NUMBER),
        Characteristic("estimated_wallet", _("Estimated annual wallet"), NUMBER),
        Characteristic("country", _("Country"), TEXT),
        Characteristic("business_line", _("Business line"), TEXT),
        Characteristic("serves", _("Serves which customers"), TEXT),
        # Soft characteristics (1-5)
        Characteristic("price_sensitivity", _("Price sensitivity (1–5)"), NUMBER),
        Characteristic("brand_sensitivity", _("Brand sensitivity (1–5)"), NUMBER),
        Characteristic("sustainability_sensitivity", _("Sustainability sensitivity (1–5)"), NUMBER),
        Characteristic("reliability_sensitivity", _("Reliability sensitivity (1–5)"), NUMBER),
        # Derived behaviour, trailing 12 months
        Characteristic("orders_12m", _("Orders in the last 12 months"), NUMBER, derived=True),
        Characteristic("aov_12m", _("Average order value, 12 months"), NUMBER, derived=True),
        Characteristic("online_share_12m", _("Online share % of revenue, 12 months"), NUMBER, True),
        Characteristic("returns_rate_12m", _("Returns per 100 orders, 12 months"), NUMBER, True),
        Characteristic("revenue_12m", _("Net revenue, 12 months"), NUMBER, derived=True),
        Characteristic(
            "product_family",
            _("Bought product family, 12 months"),
            TEXT,
            derived=True,
            help=_("The product family of an order line, e.g. Sanitair."),
        ),
        # Customer analytics (stored nightly in CustomerScore)
        Characteristic(
            "rfm_segment",
            _("RFM segment"),
            TEXT,
            derived=True,
            choices=tuple(CustomerScore.Segment.choices),
        ),
        Characteristic("clv_12m", _("CLV, next 12 months"), NUMBER, derived=True),
        Characteristic("churn_risk", _("Churn risk %"), NUMBER, derived=True),
    ]
}

# Characteristics read from CustomerScore: {key: expression over the score row}.
SCORE_FIELDS = {"rfm_segment": "rfm_segment", "clv_12m": "clv_12m", "churn_risk": "churn_risk"}


@dataclass(frozen=True)
class Condition:
    """An unsaved rule: what the rule editor posts and what a saved PersonaRule holds."""

    group: int
    field: str
    operator: str
    value: str


def trailing_window(tenant: Tenant, as_of: date) -> tuple[datetime, datetime]:
    """Local midnight 12 months before the day after `as_of`, up to that midnight."""
    end_day = as_of + timedelta(days=1)
    try:
        start_day = end_day.replace(year=end_day.year - 1)
    except ValueError:  # 29 February
        start_day = date(end_day.year - 1, 3, 1)
    tz = tenant.tzinfo
    return datetime.combine(start_day, time(), tz), datetime.combine(end_day, time(), tz)


def _as_float(expression):
    return Cast(expression, FloatField())


# Customer characteristics are read through the assignment row's customer.
CUSTOMER_FIELDS = frozenset(key for key, c in CHARACTERISTICS.items() if not c.derived)
# Stored on the assignment row as they are.
STORED_FIELDS = frozenset({"orders_12m", "revenue_12m"})
FAMILIES_FIELD = "product_families_12m"  # "|Sanitair|Verwarming|"


def lookup_path(key: str) -> str:
    """Where a characteristic is found, seen from a PersonaAssignment row."""
    return f"customer__{key}" if key in CUSTOMER_FIELDS else key


def behaviour_annotations(tenant: Tenant, keys: Iterable[str]) -> dict:
    """Annotations for the computed characteristics in `keys` (and only those)."""
    keys = set(keys)
    zero = Value(0.0)
    result: dict = {}
    for key in keys & set(SCORE_FIELDS):
        score = CustomerScore.objects.filter(
            tenant=tenant, customer=OuterRef("customer_id")
        ).order_by()
        expression = Subquery(score.values(SCORE_FIELDS[key])[:1])
        if key == "churn_risk":
            expression = _as_float(expression) * Value(100.0)
        elif key == "rfm_segment":
            expression = Coalesce(expression, Value(""))
        result[key] = expression
    orders = NullIf(_as_float(F("orders_12m")), zero)
    if "aov_12m" in keys:
        result["aov_12m"] = Coalesce(_as_float(F("gross_revenue_12m")) / orders, zero)
    if "returns_rate_12m" in keys:
        result["returns_rate_12m"] = Coalesce(
            _as_float(F("returns_12m")) * Value(100.0) / orders, zero
        )
    if "online_share_12m" in keys:
        result["online_share_12m"] = Coalesce(
            _as_float(F("online_revenue_12m"))
            * Value(100.0)
            / NullIf(_as_float(F("revenue_12m")), zero),
            zero,
        )
    return result


def _parse(characteristic: Characteristic, raw: str):
    raw = raw.strip()
    if characteristic.kind == TEXT and characteristic.choices:
        for value, label in characteristic.choices:
            if raw.lower() in {value.lower(), str(label).lower()}:
                return value
        raise ValidationError(
            _("“%(value)s” is not one of: %(choices)s."),
            params={
                "value": raw,
                "choices": ", ".join(str(lb) for _v, lb in characteristic.choices),
            },
            code="bad_choice",
        )
    if characteristic.kind == TEXT:
        return raw
    try:
        number = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        raise ValidationError(
            _("“%(value)s” is not a number."), params={"value": raw}, code="not_a_number"
        ) from None
    if not number.is_finite():
        raise ValidationError(_("“%(value)s” is not a number."), params={"value": raw})
    return float(number) if characteristic.derived else number


def condition_check(condition: Condition) -> None:
    """Raise ValidationError when the rule cannot be evaluated."""
    characteristic = CHARACTERISTICS.get(condition.field)
    if characteristic is None:
        raise ValidationError(_("Unknown characteristic."), code="unknown_field")
    if condition.operator not in OPERATORS_FOR[characteristic.kind]:
        raise ValidationError(
            _("%(characteristic)s cannot be compared with this operator."),
            params={"characteristic": characteristic.label},
            code="bad_operator",
        )
    if characteristic.kind == BOOLEAN:
        return
    values = condition.value.split(";") if condition.operator == "in" else [condition.value]
    if not any(v.strip() for v in values):
        raise ValidationError(_("Give a value."), code="no_value")
    for value in values:
        if value.strip():
            _parse(characteristic, value)


def _family_q(operator: str, values: list[str]) -> Q:
    """Customers with an order line of one of `values`' product families in 12 months."""
    bought = Q()
    for value in values:
        if operator == "contains":
            bought |= Q(**{f"{FAMILIES_FIELD}__icontains": value})
        else:
            bought |= Q(**{f"{FAMILIES_FIELD}__icontains": f"|{value}|"})
    return ~bought if operator == "ne" else bought


def condition_q(condition: Condition) -> Q:
    """The rule as a Q over PersonaAssignment rows annotated with `behaviour_annotations`."""
    condition_check(condition)
    characteristic = CHARACTERISTICS[condition.field]
    field, operator = lookup_path(condition.field), condition.operator
    if condition.field == "product_family":
        raw = condition.value.split(";") if operator == "in" else [condition.value]
        return _family_q(operator, [v.strip() for v in raw if v.strip()])
    if operator == "is_true":
        return Q(**{field: True})
    if operator == "is_false":
        return Q(**{field: False})
    if operator == "in":
        values = [_parse(characteristic, v) for v in condition.value.split(";") if v.strip()]
        if characteristic.kind == TEXT:
            any_of = Q()
            for v in values:
                any_of |= Q(**{f"{field}__iexact": v})
            return any_of
        return Q(**{f"{field}__in": values})
    value = _parse(characteristic, condition.value)
    if characteristic.kind == TEXT:
        if operator == "contains":
            return Q(**{f"{field}__icontains": value})
        lookup = Q(**{f"{field}__iexact": value})
        return ~lookup if operator == "ne" else lookup
    if operator == "ne":
        return ~Q(**{field: value})
    lookup = "exact" if operator == "eq" else operator
    return Q(**{f"{field}__{lookup}": value})


def conditions_q(conditions: Iterable[Condition]) -> Q:
    """Groups OR together, the rules in a group AND together; no rules match nobody."""
    groups: dict[int, Q] = {}
    for condition in conditions:
        q = condition_q(condition)
        groups[condition.group] = groups[condition.group] & q if condition.group in groups else q
    if not groups:
        return Q(pk__in=[])
    combined = Q()
    for number in sorted(groups):
        combined |= groups[number]
    return combined


def assignments_with_behaviour(*, tenant: Tenant, keys: Iterable[str] = ()) -> QuerySet:
    """The tenant's PersonaAssignment rows (one per customer, with the stored behaviour),
    annotated with the computed characteristics in `keys`."""
    from personas.models import PersonaAssignment

    queryset = PersonaAssignment.objects.filter(tenant=tenant)
    annotations = behaviour_annotations(tenant, keys)
    return queryset.annotate(**annotations) if annotations else queryset


def customers_matching(
    *, tenant: Tenant, conditions: Iterable[Condition], extra: Iterable[str] = ()
) -> QuerySet:
    """The PersonaAssignment rows of the customers that satisfy `conditions` (one query when
    evaluated); `.values("customer_id")` gives the customers."""
    conditions = list(conditions)
    keys = {c.field for c in conditions} | set(extra)
    queryset = assignments_with_behaviour(tenant=tenant, keys=keys)
    return queryset.filter(conditions_q(conditions))


def rule_conditions(rules: Iterable) -> list[Condition]:
    return [Condition(r.group, r.field, r.operator, r.value) for r in rules]


def describe(condition: Condition) -> str:
    from personas.models import PersonaRule

    characteristic = CHARACTERISTICS.get(condition.field)
    label = characteristic.label if characteristic else condition.field
    operator = PersonaRule.Operator(condition.operator).label
    if condition.operator in {"is_true", "is_false"}:
        return f"{label} {operator}"
    return f"{label} {operator} {condition.value}"


__all__ = [
    "CHARACTERISTICS",
    "Condition",
    "condition_check",
    "conditions_q",
    "assignments_with_behaviour",
    "behaviour_annotations",
    "customers_matching",
    "trailing_window",
    "rule_conditions",
]
