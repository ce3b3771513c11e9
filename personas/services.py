"""Write side of personas: edits with version history, reviews, nightly assignment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from customers.models import Customer, Order, OrderLine
from personas.models import Persona, PersonaAssignment, PersonaRule, PersonaSnapshot, PersonaVersion
from personas.rules import (
    Condition,
    customers_matching,
    describe,
    rule_conditions,
    trailing_window,
)
from portal.models import Tenant

PERSONA_FIELDS = [
    "name",
    "summary",
    "description",
    "needs",
    "pains",
    "buying_motives",
    "preferred_channels",
    "journey_notes",
    "icon",
    "owner",
    "priority",
    "review_interval_days",
    "last_reviewed_on",
]


def _state(persona: Persona, conditions: list[Condition]) -> dict:
    """A JSON-friendly picture of a persona, for the version history."""
    state = {}
    for field in PERSONA_FIELDS:
        value = getattr(persona, field)
        if field == "owner":
            value = value.display_name if value else None
        elif isinstance(value, date):
            value = value.isoformat()
        state[field] = value
    state["rules"] = [f"{c.group}: {describe(c)}" for c in conditions]
    return state


def _version_write(*, tenant, persona, before: dict, after: dict, user) -> PersonaVersion | None:
    changes = {key: [before.get(key), after[key]] for key in after if before.get(key) != after[key]}
    if not changes:
        return None
    return PersonaVersion.objects.create(
        tenant=tenant, persona=persona, persona_name=persona.name, changed_by=user, changes=changes
    )


def persona_save(
    *,
    tenant: Tenant,
    persona: Persona | None,
    data: dict,
    conditions: list[Condition] | None,
    user=None,
) -> Persona:
    """Create or update a persona (and replace its rules when `conditions` is given)."""
    return persona_write(
        tenant=tenant, persona=persona, data=data, conditions=conditions, user=user
    )[0]


@transaction.atomic
def persona_write(
    *,
    tenant: Tenant,
    persona: Persona | None,
    data: dict,
    conditions: list[Condition] | None,
    user=None,
) -> tuple[Persona, PersonaVersion | None]:
    """`persona_save`, also returning the version it wrote (None when nothing changed)."""
    if persona is None:
        persona = Persona(tenant=tenant)
        before: dict = {}
        old_conditions: list[Condition] = []
    else:
        # A model form has already copied its input onto `persona`: read the stored state.
        stored = Persona.objects.select_related("owner__user").get(tenant=tenant, pk=persona.pk)
        old_conditions = rule_conditions(stored.rules.all())
        before = _state(stored, old_conditions)
    for field, value in data.items():
        if field in PERSONA_FIELDS:
            setattr(persona, field, value)
    persona.updated_at = timezone.now()
    persona.full_clean(exclude=["tenant"])
    persona.save()
    if conditions is not None:
        PersonaRule.objects.filter(tenant=tenant, persona=persona).delete()
        PersonaRule.objects.bulk_create(
            PersonaRule(
                tenant=tenant,
                persona=persona,
                group=c.group,
                field=c.field,
                operator=c.operator,
                value=c.value,
            )
            for c in conditions
        )
    else:
        conditions = old_conditions
    version = _version_write(
        tenant=tenant, persona=persona, before=before, after=_state(persona, conditions), user=user
    )
    return persona, version


@transaction.atomic
def persona_mark_reviewed(*, tenant: Tenant, persona: Persona, user, on: date) -> Persona:
    return persona_save(
        tenant=tenant, persona=persona, data={"last_reviewed_on": on}, conditions=None, user=user
    )


@transaction.atomic
def persona_delete(*, tenant: Tenant, persona: Persona, user) -> None:
    PersonaVersion.objects.create(
        tenant=tenant,
        persona=persona,
        persona_name=persona.name,
        changed_by=user,
        changes={"deleted": [False, True]},
    )
    persona.delete()


BATCH = 1000
BEHAVIOUR_FIELDS = [
    "behaviour_as_of",
    "revenue_12m",
    "online_revenue_12m",
    "gross_revenue_12m",
    "orders_12m",
    "returns_12m",
    "product_families_12m",
    "last_order_at",
    "last_order_channel",
]


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


@transaction.atomic
def behaviour_refresh(*, tenant: Tenant, as_of: date) -> list[PersonaAssignment]:
    """Store every customer's behaviour over the trailing 12 months up to `as_of` on their
    PersonaAssignment row (created without a persona for a new customer), which the rules
    read. Three reads (customers, orders grouped by customer, product families per
    customer) and batched upserts; returns the rows."""
    since, until = trailing_window(tenant, as_of)
    sale, is_return = Q(is_return=False), Q(is_return=True)
    orders = {
        row["customer_id"]: row
        for row in Order.objects.filter(tenant=tenant, placed_at__gte=since, placed_at__lt=until)
        .values("customer_id")
        .order_by()
        .annotate(
            orders=Count("pk", filter=sale),
            returns=Count("pk", filter=is_return),
            gross=Sum("amount", filter=sale),
            net=Sum("amount"),
            online=Sum("amount", filter=Q(channel__is_online=True)),
        )
    }
    families: dict[int, set[str]] = {}
    for customer_id, family in (
        OrderLine.objects.filter(
            tenant=tenant,
            order__placed_at__gte=since,
            order__placed_at__lt=until,
            order__is_return=False,
        )
        .exclude(product_family="")
        .values_list("order__customer_id", "product_family")
        .order_by()
        .distinct()
    ):
        families.setdefault(customer_id, set()).add(family)
    # The last sale of each customer: an index lookup per customer on (tenant, customer,
    # placed_at), stored so that the portfolio page does not read orders.
    latest = Order.objects.filter(
        tenant=tenant, customer=OuterRef("pk"), is_return=False, placed_at__lt=until
    ).order_by("-placed_at", "-pk")
    customers = (
        Customer.objects.filter(tenant=tenant)
        .annotate(
            last_at=Subquery(latest.values("placed_at")[:1]),
            last_channel=Subquery(latest.values("channel_id")[:1]),
        )
        .values_list("pk", "last_at", "last_channel")
    )
    rows = []
    for customer_id, last_at, last_channel in customers:
        row = orders.get(customer_id, {})
        bought = sorted(families.get(customer_id, ()), key=str.lower)
        rows.append(
            PersonaAssignment(
                tenant=tenant,
                customer_id=customer_id,
                behaviour_as_of=as_of,
                revenue_12m=_money(row.get("net")),
                online_revenue_12m=_money(row.get("online")),
                gross_revenue_12m=_money(row.get("gross")),
                orders_12m=row.get("orders", 0),
                returns_12m=row.get("returns", 0),
                product_families_12m=f"|{'|'.join(bought)}|" if bought else "",
                last_order_at=last_at,
                last_order_channel_id=last_channel,
            )
        )
    PersonaAssignment.objects.bulk_create(
        rows,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["tenant", "customer"],
        update_fields=BEHAVIOUR_FIELDS,
    )
    return rows


@transaction.atomic
def personas_assign(*, tenant: Tenant, as_of: date | None = None) -> dict:
    """Give every customer the first persona (by priority) whose rules match, or none.

    Set-based: `behaviour_refresh` (three reads and batched upserts), one query for the
    personas with their rules, one query per persona over the stored rows, then batched
    upserts of the assignments and of this month's snapshot (the snapshot of a month is
    overwritten until the month is over, so it holds the month's last assignment). Runs in
    the tenant recompute after the customer scores, so RFM segment, CLV and churn risk are
    fresh.

    Returns {"customers", "assigned", "unassigned", "persona_count", "by_persona": {name: n}}.
    """
    as_of = as_of or timezone.localdate(timezone=tenant.tzinfo)
    now = timezone.now()
    assignments = behaviour_refresh(tenant=tenant, as_of=as_of)
    chosen: dict[int, int] = {}
    by_persona: dict[str, int] = {}
    for persona in Persona.objects.filter(tenant=tenant).prefetch_related("rules"):
        conditions = rule_conditions(persona.rules.all())
        matched = 0
        if conditions:
            for customer_id in customers_matching(tenant=tenant, conditions=conditions).values_list(
                "customer_id", flat=True
            ):
                if customer_id not in chosen:
                    chosen[customer_id] = persona.pk
                    matched += 1
        by_persona[persona.name] = matched
    for assignment in assignments:
        assignment.persona_id = chosen.get(assignment.customer_id)
        assignment.assigned_at = now
    PersonaAssignment.objects.bulk_create(
        assignments,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["tenant", "customer"],
        update_fields=["persona", "assigned_at"],
    )
    month = as_of.replace(day=1)
    PersonaSnapshot.objects.bulk_create(
        [
            PersonaSnapshot(
                tenant=tenant,
                month=month,
                customer_id=a.customer_id,
                persona_id=a.persona_id,
                revenue_12m=a.revenue_12m,
                online_revenue_12m=a.online_revenue_12m,
            )
            for a in assignments
        ],
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["tenant", "month", "customer"],
        update_fields=["persona", "revenue_12m", "online_revenue_12m"],
    )
    return {
        "customers": len(assignments),
        "assigned": len(chosen),
        "unassigned": len(assignments) - len(chosen),
        "persona_count": len(by_persona),
        "by_persona": by_persona,
    }


__all__ = [
    "behaviour_refresh",
    "persona_delete",
    "persona_mark_reviewed",
    "persona_save",
    "persona_write",
    "personas_assign",
]
