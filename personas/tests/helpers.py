"""Hand-made customers and orders for persona tests."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from customers.models import Channel, Customer, Order
from personas.models import Persona, PersonaRule

AS_OF = date(2026, 6, 30)


def channels(tenant) -> dict[str, Channel]:
    return {
        "web": Channel.objects.create(tenant=tenant, code="web", label="Web", is_online=True),
        "phone": Channel.objects.create(tenant=tenant, code="phone", label="Phone"),
    }


def customer(tenant, name: str, **fields) -> Customer:
    return Customer.objects.create(tenant=tenant, external_id=name, name=name, **fields)


def order(tenant, customer, channel, amount, day=date(2026, 3, 1), is_return=False) -> Order:
    return Order.objects.create(
        tenant=tenant,
        external_id=f"{customer.external_id}-{Order.objects.count()}",
        customer=customer,
        channel=channel,
        placed_at=datetime.combine(day, time(12), tenant.tzinfo),
        amount=Decimal(amount),
        is_return=is_return,
    )


def persona(tenant, name: str, priority: int, *rules: tuple) -> Persona:
    p = Persona.objects.create(tenant=tenant, name=name, priority=priority)
    for rule in rules:
        group, field, operator, value = rule
        PersonaRule.objects.create(
            tenant=tenant, persona=p, group=group, field=field, operator=operator, value=value
        )
    return p
