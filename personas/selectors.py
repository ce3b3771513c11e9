"""Read side of personas: lists, live rule matches, stats from stored assignments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Avg, Count, Max, Q, QuerySet, Sum
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from kpis.periods import add_months
from personas.models import (
    JourneyMoment,
    Persona,
    PersonaAssignment,
    PersonaSnapshot,
    PersonaVersion,
)
from personas.rules import Condition, customers_matching, describe
from portal.models import Tenant


@dataclass(frozen=True)
class PersonaRow:
    persona: Persona | None  # None: the customers no persona matches
    customers: int
    revenue: Decimal
    online_share: float | None
    clv_12m: float | None  # sum of the customers' CLV over the next 12 months
    churn_risk: float | None  # mean churn risk of the scored customers, in %
    review_due: bool


def _share(online, total) -> float | None:
    if not total:
        return None
    return float(online or 0) * 100 / float(total)


def _assignment_stats(tenant: Tenant, persona: Persona | None = None) -> dict:
    """{persona id or None: aggregates} from the stored assignments and scores (one query)."""
    assignments = PersonaAssignment.objects.filter(tenant=tenant)
    if persona is not None:
        assignments = assignments.filter(persona=persona)
    return {
        row["persona"]: row
        for row in assignments.values("persona")
        .annotate(
            customers=Count("pk"),
            revenue=Sum("revenue_12m"),
            online=Sum("online_revenue_12m"),
            clv=Sum("customer__scores__clv_12m"),
            churn=Avg("customer__scores__churn_risk"),
        )
        .order_by()
    }


def _row(persona: Persona | None, stats: dict, today: date) -> PersonaRow:
    churn = stats.get("churn")
    return PersonaRow(
        persona=persona,
        customers=stats.get("customers", 0),
        revenue=stats.get("revenue") or Decimal(0),
        online_share=_share(stats.get("online"), stats.get("revenue")),
        clv_12m=stats.get("clv"),
        churn_risk=churn * 100 if churn is not None else None,
        review_due=persona.is_review_due(today) if persona else False,
    )


SORTS = {
    "priority": lambda r: (r.persona.priority, r.persona.name.lower()),
    "name": lambda r: r.persona.name.lower(),
    "customers": lambda r: -r.customers,
    "revenue": lambda r: -r.revenue,
    "online": lambda r: -(r.online_share or -1),
    "clv": lambda r: -(r.clv_12m or 0),
    "churn": lambda r: -(r.churn_risk or -1),
    "review": lambda r: r.persona.next_review_on,
}


def persona_list(*, tenant: Tenant, today: date, sort: str = "priority") -> list[PersonaRow]:
    """Personas (priority order unless `sort` says otherwise) with their current size,
    revenue, online share, CLV and churn risk, read from the stored assignment (2 queries)."""
    stats = _assignment_stats(tenant)
    rows = [
        _row(persona, stats.get(persona.pk, {}), today)
        for persona in Persona.objects.filter(tenant=tenant).select_related("owner__user")
    ]
    return sorted(rows, key=SORTS.get(sort, SORTS["priority"]))


def persona_unmatched(*, tenant: Tenant) -> PersonaRow:
    """The customers no persona matches, as a row like a persona's (one query)."""
    stats = PersonaAssignment.objects.filter(tenant=tenant, persona__isnull=True).aggregate(
        customers=Count("pk"),
        revenue=Sum("revenue_12m"),
        online=Sum("online_revenue_12m"),
        clv=Sum("customer__scores__clv_12m"),
        churn=Avg("customer__scores__churn_risk"),
    )
    return _row(None, stats, date.min)


def persona_stats(*, tenant: Tenant, persona: Persona, today: date) -> PersonaRow:
    return _row(persona, _assignment_stats(tenant, persona).get(persona.pk, {}), today)


def assignment_last_run(*, tenant: Tenant):
    """When the persona assignment last ran (None: never)."""
    return PersonaAssignment.objects.filter(tenant=tenant).aggregate(last=Max("assigned_at"))[
        "last"
    ]


def personas_review_due(*, tenant: Tenant, today: date, owner=None) -> list[Persona]:
    """Personas past their review date (optionally only `owner`'s)."""
    personas = Persona.objects.filter(tenant=tenant).select_related("owner__user")
    if owner is not None:
        personas = personas.filter(owner=owner)
    return [p for p in personas if p.is_review_due(today)]


def rule_match_summary(
    *,
    tenant: Tenant,
    conditions: list[Condition],
    priority: int | None = None,
    persona: Persona | None = None,
) -> dict:
    """How many customers, with how much trailing-12-month revenue, match (two queries over
    the stored behaviour, as of the last assignment), and with a `priority`, how many of
    them the last assignment gave to a persona that goes first (a lower priority number,
    `persona` itself aside): those would not get this one."""
    matching = customers_matching(tenant=tenant, conditions=conditions)
    aggregates = {"customers": Count("pk"), "revenue": Sum("revenue_12m")}
    if priority is not None:
        ahead = Q(persona__priority__lt=priority)
        if persona is not None:
            ahead &= ~Q(persona_id=persona.pk)
        aggregates["taken"] = Count("pk", filter=ahead)
    totals = matching.aggregate(**aggregates)
    return {
        "customers": totals["customers"] or 0,
        "revenue": totals["revenue"] or 0,
        "taken": totals.get("taken") or 0,
        "as_of": PersonaAssignment.objects.filter(tenant=tenant).aggregate(
            as_of=Max("behaviour_as_of")
        )["as_of"],
    }


def persona_trend(*, tenant: Tenant, persona: Persona, months: int = 12) -> list[dict]:
    """Customers, 12-month revenue and online share of the persona per month (at the month's
    last assignment), oldest first, from the monthly snapshots (one query)."""
    rows = list(
        PersonaSnapshot.objects.filter(tenant=tenant, persona=persona)
        .values("month")
        .annotate(
            customers=Count("pk"), revenue=Sum("revenue_12m"), online=Sum("online_revenue_12m")
        )
        .order_by("-month")[:months]
    )[::-1]
    for row in rows:
        row["online_share"] = _share(row["online"], row["revenue"])
    return rows


def trend_chart(trend: list[dict]) -> dict:
    """The trend as Chart.js data (read by personas/persona-trend.js)."""
    return {
        "labels": [row["month"].strftime("%Y-%m") for row in trend],
        "customers": [row["customers"] for row in trend],
        "revenue": [float(row["revenue"] or 0) for row in trend],
        "online_share": [
            round(row["online_share"], 1) if row["online_share"] is not None else None
            for row in trend
        ],
        "label_customers": str(_("Customers")),
        "label_online": str(_("Online share %")),
    }


def persona_movers(*, tenant: Tenant, persona: Persona, today: date) -> dict[str, list]:
    """Customers who joined or left the persona since last month's snapshot (the month's
    last assignment); a joiner carries `came_from`, the persona name it had then. 4 queries."""
    last_month = add_months(today.replace(day=1), -1)
    before = {
        row["customer"]: row["persona"]
        for row in PersonaSnapshot.objects.filter(tenant=tenant, month=last_month)
        .filter(Q(persona=persona) | Q(customer__in=_current_members(tenant, persona)))
        .values("customer", "persona")
    }
    now = {
        a.customer_id: a
        for a in PersonaAssignment.objects.filter(tenant=tenant)
        .filter(Q(persona=persona) | Q(customer__in=list(before)))
        .select_related("customer", "persona")
    }
    names = dict(Persona.objects.filter(tenant=tenant).values_list("pk", "name"))
    joined, left = [], []
    for customer_id, assignment in now.items():
        was = before.get(customer_id, "missing")
        if was == "missing":
            continue  # not a customer last month
        if assignment.persona_id == persona.pk and was != persona.pk:
            assignment.came_from = names.get(was, _("no persona"))
            joined.append(assignment)
        elif assignment.persona_id != persona.pk and was == persona.pk:
            left.append(assignment)
    joined.sort(key=lambda a: a.customer.name)
    left.sort(key=lambda a: a.customer.name)
    return {"joined": joined, "left": left, "since": last_month}


def _current_members(tenant: Tenant, persona: Persona):
    return PersonaAssignment.objects.filter(tenant=tenant, persona=persona).values("customer")


def persona_history(*, tenant: Tenant, persona: Persona) -> QuerySet[PersonaVersion]:
    return PersonaVersion.objects.filter(tenant=tenant, persona=persona).select_related(
        "changed_by"
    )[:50]


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


def _readable(value) -> str:
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):
        moments = dict(JourneyMoment.choices)
        return "; ".join(f"{moments.get(k, k)}: {v}" for k, v in value.items())
    return str(value)


# On creation the history shows these; the rest is on the page itself.
CREATION_FIELDS = ("name", "owner", "priority", "review_interval_days", "rules")


def version_is_creation(version: PersonaVersion) -> bool:
    return all(before is None for before, _after in version.changes.values())


def version_changes(version: PersonaVersion) -> list[Change]:
    """The changes of a version with field labels and readable values (for a creation only
    the fields in CREATION_FIELDS, with an empty `before`)."""
    labels = {
        f.name: f.verbose_name for f in Persona._meta.get_fields() if hasattr(f, "verbose_name")
    }
    labels.update({"rules": _("rules"), "deleted": _("deleted")})
    if version_is_creation(version):
        return [
            Change(capfirst(str(labels[field])), "", _readable(version.changes[field][1]))
            for field in CREATION_FIELDS
            if field in version.changes
        ]
    rows = [
        Change(capfirst(str(labels.get(field, field))), _readable(before), _readable(after))
        for field, (before, after) in version.changes.items()
    ]
    return [row for row in rows if row.before != row.after]  # e.g. None -> "" on creation


def rule_groups(conditions: list[Condition]) -> list[list[str]]:
    """The rules as readable text per group, in group order (groups OR, rules AND)."""
    groups: dict[int, list[str]] = {}
    for condition in conditions:
        groups.setdefault(condition.group, []).append(describe(condition))
    return [groups[number] for number in sorted(groups)]
