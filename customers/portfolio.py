"""Read side of the salesperson's pages: My portfolio, the customer table, the customer page.

Everything here reads stored values: KPI measurements and targets (the recompute), customer
scores and signals (the nightly analytics), persona assignments with their 12-month revenue
(the nightly persona run). Each function costs a constant number of queries whatever the
number of customers or KPIs. Only the customer page reads orders, of that one customer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import reduce
from operator import or_

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    FloatField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Coalesce, RowNumber, TruncMonth
from django.utils.translation import gettext_lazy as _

from customers.models import (
    Contact,
    ContactMoment,
    Customer,
    CustomerScore,
    Order,
    Signal,
    SurveyResponse,
    WebActivity,
    channel_label,
)
from kpis.metrics import CATALOGUE
from kpis.models import Kpi, Measurement, Scope, Target
from kpis.periods import GRAINS, add_months, local_midnight, period_label, period_start
from kpis.selectors import StoredValue
from kpis.status import Status, elapsed_share, evaluate
from personas.models import Persona, PersonaSnapshot
from portal.models import DepartmentMember, Membership, Role, Tenant

ONLINE_ADOPTION = "online_adoption"
ECOMMERCE_SHARE = "ecommerce_share"
TREND_MONTHS = 24
LIST_SIZE = 10

# CustomerScore.lifecycle values of customers with a purchase in the trailing 12 months.
ACTIVE_LIFECYCLES = ("new", "existing", "churning")
# Churn risk (1 - P(alive), or 1 once the customer's own rhythm says churned) in bands.
RISK_HIGH = 0.5
RISK_MEDIUM = 0.25
# "Churn risk rising": at least medium now, and up by this much (20 points) against the risk
# the customer's history gave RISING_DAYS earlier (customers/analytics/scoring.py).
RISK_RISE = 0.2


class ChannelMix:
    """How an account ordered in the last 12 months (net revenue from the persona run)."""

    ONLINE = "online"
    MIXED = "mixed"
    OFFLINE = "offline"
    INACTIVE = "inactive"
    CHOICES = [
        (ONLINE, _("Online only")),
        (MIXED, _("Online and offline")),
        (OFFLINE, _("Offline only")),
        (INACTIVE, _("Not active")),
    ]


class Risk:
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    RISING = "rising"
    CHOICES = [
        (HIGH, _("High (50 % or more)")),
        (MEDIUM, _("Medium (25–50 %)")),
        (LOW, _("Low (under 25 %)")),
        (RISING, _("Rising")),
    ]


# --- whose customers ------------------------------------------------------------------------


def customers_visible(*, tenant: Tenant, membership: Membership) -> QuerySet[Customer]:
    """The accounts a member may open: a rep their own, a head their departments' customers,
    board and admin every customer of the tenant."""
    customers = Customer.objects.filter(tenant=tenant)
    if membership.role == Role.REP:
        return customers.filter(account_manager=membership)
    if membership.role == Role.HEAD:
        departments = DepartmentMember.objects.filter(tenant=tenant, membership=membership).values(
            "department_id"
        )
        return customers.filter(department__in=departments)
    return customers


def _assignment_join(tenant: Tenant) -> FilteredRelation:
    """The customer's persona assignment, joined on (tenant, customer): its unique index
    serves it (a LEFT JOIN once per row, where correlated subqueries ran once per use)."""
    return FilteredRelation("persona_assignments", condition=Q(persona_assignments__tenant=tenant))


def _score_join(tenant: Tenant) -> FilteredRelation:
    """The customer's score, joined on (tenant, customer): the unique index serves it."""
    return FilteredRelation("scores", condition=Q(scores__tenant=tenant))


def customer_rows(*, tenant: Tenant, membership: Membership) -> QuerySet[Customer]:
    """Visible customers with their stored analytics as annotations: revenue_12m,
    online_revenue_12m, online_share, channel_mix, persona_ref and the score's fields."""
    active = Q(lifecycle__in=ACTIVE_LIFECYCLES)
    return (
        customers_visible(tenant=tenant, membership=membership)
        .select_related("account_manager__user")
        .annotate(tenant_score=_score_join(tenant), assignment=_assignment_join(tenant))
        .annotate(
            revenue_12m=Cast(F("assignment__revenue_12m"), FloatField()),
            online_revenue_12m=Cast(F("assignment__online_revenue_12m"), FloatField()),
            persona_ref=F("assignment__persona_id"),
            clv_12m=F("tenant_score__clv_12m"),
            p_alive=F("tenant_score__p_alive"),
            churn_risk=F("tenant_score__churn_risk"),
            churn_risk_before=F("tenant_score__churn_risk_before"),
            lifecycle=F("tenant_score__lifecycle"),
            rfm_segment=F("tenant_score__rfm_segment"),
            share_of_wallet=F("tenant_score__share_of_wallet"),
            is_koesterklant=Coalesce(F("tenant_score__is_koesterklant"), Value(False)),
        )
        .annotate(
            churn_risk_pct=F("churn_risk") * 100.0,
            churn_risk_before_pct=F("churn_risk_before") * 100.0,
            p_alive_pct=F("p_alive") * 100.0,
            online_share=Case(
                When(revenue_12m__gt=0, then=F("online_revenue_12m") * 100.0 / F("revenue_12m")),
                default=None,
                output_field=FloatField(),
            ),
            channel_mix=Case(
                When(active & Q(online_revenue_12m__lte=0), then=Value(ChannelMix.OFFLINE)),
                When(
                    active & Q(online_revenue_12m__gte=F("revenue_12m")),
                    then=Value(ChannelMix.ONLINE),
                ),
                When(active & Q(online_revenue_12m__gt=0), then=Value(ChannelMix.MIXED)),
                default=Value(ChannelMix.INACTIVE),
            ),
        )
    )


def risk_band(churn_risk: float | None) -> str:
    if churn_risk is None:
        return ""
    if churn_risk >= RISK_HIGH:
        return Risk.HIGH
    return Risk.MEDIUM if churn_risk >= RISK_MEDIUM else Risk.LOW


RISK_FILTERS = {
    Risk.HIGH: Q(churn_risk__gte=RISK_HIGH),
    Risk.MEDIUM: Q(churn_risk__gte=RISK_MEDIUM, churn_risk__lt=RISK_HIGH),
    Risk.LOW: Q(churn_risk__lt=RISK_MEDIUM),
    Risk.RISING: Q(churn_risk__gte=RISK_MEDIUM)
    & Q(churn_risk__gte=F("churn_risk_before") + RISK_RISE),
}

# Sort keys of the customer table: column -> annotation or field.
SORTS = {
    "name": "name",
    "revenue": "revenue_12m",
    "online": "online_share",
    "clv": "clv_12m",
    "p_alive": "p_alive",
    "risk": "churn_risk",
    "segment": "rfm_segment",
}


def customer_table(
    *,
    tenant: Tenant,
    membership: Membership,
    search: str = "",
    persona: str = "",
    segment: str = "",
    channel: str = "",
    risk: str = "",
    signal: str = "",
    sort: str = "name",
) -> QuerySet[Customer]:
    """The customer table: visible customers filtered and sorted (one query per page)."""
    rows = customer_rows(tenant=tenant, membership=membership)
    if search:
        rows = rows.filter(Q(name__icontains=search) | Q(external_id__iexact=search))
    if persona == "none":
        rows = rows.filter(persona_ref__isnull=True)
    elif persona:
        rows = rows.filter(persona_ref=int(persona))
    if segment:
        rows = rows.filter(rfm_segment=segment)
    if channel:
        rows = rows.filter(channel_mix=channel)
    if risk:
        rows = rows.filter(RISK_FILTERS[risk])
    if signal:
        rows = rows.filter(
            Exists(Signal.objects.filter(tenant=tenant, customer=OuterRef("pk"), kind=signal))
        )
    descending = sort.startswith("-")
    column = SORTS.get(sort.lstrip("-"), "name")
    expression = F(column).desc(nulls_last=True) if descending else F(column).asc(nulls_last=True)
    return rows.order_by(expression, "name", "pk")


def persona_names(*, tenant: Tenant) -> dict[int, Persona]:
    return {p.pk: p for p in Persona.objects.filter(tenant=tenant).order_by("priority", "name")}


# --- My portfolio -----------------------------------------------------------------------------


@dataclass
class KpiRow:
    kpi: Kpi
    period: date
    measurement: StoredValue | None
    target: Target | None
    status: Status
    company_target: bool = False  # the rep has no own target: the company's applies
    period_label: str = ""

    @property
    def value(self) -> float | None:
        return self.measurement.value if self.measurement else None


@dataclass
class Portfolio:
    as_of: date
    member: str
    adoption: KpiRow | None
    adoption_trend: list[dict]
    ecommerce: KpiRow | None
    kpis: list[KpiRow]
    accounts: dict
    nudge: list[Customer]
    attention: list[Customer]
    returns_only: list[Signal]
    online_drop: list[Signal]
    churn_rising: list[Customer]
    risers: list[Signal]
    fallers: list[Signal]
    movers: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)
    scored: bool = False


def _metric_for_rep(kpi: Kpi) -> bool:
    metric = CATALOGUE.get(kpi.metric_key)
    return metric is not None and Scope.REP in metric.scopes


def rep_kpi_rows(*, tenant: Tenant, member: str, as_of: date) -> list[KpiRow]:
    """Every metric KPI that can be measured per rep, with the rep's value, target and status
    in the current period of the KPI's grain (three queries).

    Without a target of their own, a ratio KPI (shares, averages, scores) is held against the
    company target; a total (revenue, orders, customers) has no target for the rep.
    """
    kpis = [
        k
        for k in Kpi.objects.filter(tenant=tenant).order_by("position", "name")
        if _metric_for_rep(k)
    ]
    starts = {g: period_start(as_of, g, tenant.fiscal_year_start_month) for g in GRAINS}
    current = reduce(
        or_, (Q(grain=g, period_start=starts[g]) for g in sorted({k.grain for k in kpis})), Q()
    )
    measurements = {
        (kpi_id, grain, start): StoredValue(start, value, previous, last_year)
        for kpi_id, grain, start, value, previous, last_year in Measurement.objects.filter(
            current,
            tenant=tenant,
            kpi__in=[k.pk for k in kpis],  # the unique index's second column
            scope=Scope.REP,
            member=member,
        ).values_list(
            "kpi_id", "grain", "period_start", "value", "previous_value", "last_year_value"
        )
    }
    targets = {
        (t.kpi_id, t.scope, t.grain, t.period_start): t
        for t in Target.objects.filter(
            Q(scope=Scope.REP, member=member) | Q(scope=Scope.COMPANY, member=""),
            tenant=tenant,
            kpi__in=[k.pk for k in kpis],
            period_start__in=set(starts.values()),
        )
    }
    rows = []
    for kpi in kpis:
        start = starts[kpi.grain]
        metric = CATALOGUE[kpi.metric_key]
        measurement = measurements.get((kpi.pk, kpi.grain, start))
        target = targets.get((kpi.pk, Scope.REP, kpi.grain, start))
        company_target = False
        if target is None and not metric.additive and metric.unit != "count":
            target = targets.get((kpi.pk, Scope.COMPANY, kpi.grain, start))
            company_target = target is not None
        status = evaluate(
            value=measurement.value if measurement else None,
            minimum=target.minimum if target else None,
            stretch=target.stretch if target else None,
            direction=kpi.direction,
            additive=metric.additive,
            elapsed=elapsed_share(start, kpi.grain, as_of),
        )
        label = period_label(start, kpi.grain, tenant.fiscal_year_start_month)
        rows.append(KpiRow(kpi, start, measurement, target, status, company_target, label))
    return rows


def adoption_trend(*, tenant: Tenant, kpi: Kpi, member: str, as_of: date) -> list[dict]:
    """The rep's and the company's values of a KPI with the rep's targets over the last 24
    periods, oldest first (two queries)."""
    last = period_start(as_of, kpi.grain, tenant.fiscal_year_start_month)
    first = period_start(
        add_months(as_of.replace(day=1), -(TREND_MONTHS - 1)),
        kpi.grain,
        tenant.fiscal_year_start_month,
    )
    window = {"period_start__gte": first, "period_start__lte": last, "grain": kpi.grain}
    values: dict[date, dict] = {}
    # scope and member as lists rather than (rep, member) OR (company, ""): every column of
    # the unique index is then bound, so it serves the query however the statistics look.
    # The other two combinations do not exist (a rep is never "", the company always is).
    measurements = Measurement.objects.filter(
        tenant=tenant,
        kpi=kpi,
        scope__in=[Scope.COMPANY, Scope.REP],
        member__in=["", member],
        **window,
    ).values_list("scope", "member", "period_start", "value")
    for scope, of, start, value in measurements:
        if (scope, of) not in {(Scope.REP, member), (Scope.COMPANY, "")}:
            continue
        row = values.setdefault(start, {"period": start})
        row["rep" if scope == Scope.REP else "company"] = value
    for t in Target.objects.filter(
        tenant=tenant, kpi=kpi, scope=Scope.REP, member=member, **window
    ):
        row = values.setdefault(t.period_start, {"period": t.period_start})
        row["minimum"], row["stretch"] = float(t.minimum), float(t.stretch)
    return [values[p] for p in sorted(values)]


def accounts_summary(*, tenant: Tenant, membership: Membership) -> dict:
    """Counts and 12-month revenue of the member's accounts (one aggregate query over the
    accounts joined with their scores and the persona run's revenue)."""
    visible = customers_visible(tenant=tenant, membership=membership)
    active = Q(tenant_score__lifecycle__in=ACTIVE_LIFECYCLES)
    summary = visible.annotate(
        tenant_score=_score_join(tenant), assignment=_assignment_join(tenant)
    ).aggregate(
        accounts=Count("pk"),
        scored=Count("tenant_score"),
        active=Count("pk", filter=active),
        koesterklanten=Count("pk", filter=Q(tenant_score__is_koesterklant=True)),
        churn_rising=Count(
            "pk",
            filter=active
            & Q(tenant_score__churn_risk__gte=RISK_MEDIUM)
            & Q(tenant_score__churn_risk__gte=F("tenant_score__churn_risk_before") + RISK_RISE),
        ),
        revenue_sum=Sum("assignment__revenue_12m"),
        online_sum=Sum("assignment__online_revenue_12m"),
        online=Count("assignment", filter=active & Q(assignment__online_revenue_12m__gt=0)),
        offline=Count("assignment", filter=active & Q(assignment__online_revenue_12m__lte=0)),
    )
    revenue = float(summary.pop("revenue_sum") or 0)
    online = float(summary.pop("online_sum") or 0)
    summary["revenue_12m"], summary["online_revenue_12m"] = revenue, online
    summary["ecommerce_share_12m"] = online * 100 / revenue if revenue > 0 else None
    summary["adoption_12m"] = (
        summary["online"] * 100 / summary["active"] if summary["active"] else None
    )
    return summary


# The account lists of My portfolio: (filter, order) over the member's customer rows.
ACCOUNT_LISTS = {
    # Active accounts without online revenue in the last 12 months, biggest first.
    "nudge": (
        Q(channel_mix=ChannelMix.OFFLINE),
        [F("revenue_12m").desc(nulls_last=True), F("clv_12m").desc(nulls_last=True)],
    ),
    # Koesterklanten, most online revenue first.
    "attention": (Q(is_koesterklant=True), [F("online_revenue_12m").desc(nulls_last=True)]),
    # Active accounts whose churn risk rose (RISK_FILTERS["rising"]), most valuable first.
    "churn_rising": (
        Q(lifecycle__in=ACTIVE_LIFECYCLES) & RISK_FILTERS[Risk.RISING],
        [F("clv_12m").desc(nulls_last=True), F("revenue_12m").desc(nulls_last=True)],
    ),
}


def account_lists(
    *, tenant: Tenant, membership: Membership, limit: int = LIST_SIZE
) -> dict[str, list[Customer]]:
    """The first `limit` customers of each of ACCOUNT_LISTS (ties by name), from one pass
    over the member's accounts: a row number per list, partitioned by whether the row is on
    it, so the joined rows are built once rather than once per list. Each customer gets
    `last_order` (the channel and time of its last sale, or None)."""
    rows = customer_rows(tenant=tenant, membership=membership)
    positions, wanted = {}, Q()
    for name, (condition, order) in ACCOUNT_LISTS.items():
        on_list = Case(When(condition, then=Value(True)), default=Value(False))
        rows = rows.annotate(**{f"on_{name}": on_list})
        positions[f"pos_{name}"] = Window(
            RowNumber(),
            partition_by=[F(f"on_{name}")],
            order_by=[*order, F("name").asc(), F("pk").asc()],
        )
        wanted |= Q(**{f"on_{name}": True, f"pos_{name}__lte": limit})
    found = list(
        rows.annotate(**positions)
        .filter(wanted)
        .annotate(  # the last sale, stored by the nightly behaviour refresh
            last_order_at=F("assignment__last_order_at"),
            last_order_code=F("assignment__last_order_channel__code"),
            last_order_label=F("assignment__last_order_channel__label"),
        )
        .order_by()  # sorted below
    )
    for customer in found:
        customer.last_order = (
            {
                "channel": channel_label(customer.last_order_code, customer.last_order_label),
                "placed_at": customer.last_order_at,
            }
            if customer.last_order_at is not None
            else None
        )
    return {
        name: sorted(
            (c for c in found if getattr(c, f"on_{name}") and getattr(c, f"pos_{name}") <= limit),
            key=lambda c, name=name: getattr(c, f"pos_{name}"),
        )
        for name in ACCOUNT_LISTS
    }


def nudge_online(*, tenant: Tenant, membership: Membership, limit: int = LIST_SIZE) -> list:
    """Active accounts without online revenue in the last 12 months, biggest first (by
    12-month revenue, then CLV), with the channel and date of their last order."""
    return account_lists(tenant=tenant, membership=membership, limit=limit)["nudge"]


def online_movers(*, tenant: Tenant, membership: Membership, as_of: date) -> dict:
    """The member's ten biggest risers and fallers in 12-month online revenue: the persona
    run's value now against its monthly snapshot a year ago (or the oldest snapshot within
    that year while the history is shorter). Three queries; {"since": None, ...} without
    an earlier snapshot.

    Returns {"since": month, "risers": [customer], "fallers": [customer]}, each customer with
    `online_before`, `online_revenue_12m`, `online_change` and its size `change_size`.
    """
    this_month = as_of.replace(day=1)
    visible = customers_visible(tenant=tenant, membership=membership)
    since = PersonaSnapshot.objects.filter(
        tenant=tenant,
        customer__in=visible,
        month__gte=add_months(this_month, -12),
        month__lt=this_month,
    ).aggregate(first=Min("month"))["first"]
    if since is None:
        return {"since": None, "risers": [], "fallers": []}
    before = Subquery(
        PersonaSnapshot.objects.filter(tenant=tenant, customer=OuterRef("pk"), month=since).values(
            "online_revenue_12m"
        )[:1]
    )
    rows = (
        customer_rows(tenant=tenant, membership=membership)
        .annotate(online_before=Coalesce(Cast(before, FloatField()), Value(0.0)))
        .annotate(online_change=Coalesce(F("online_revenue_12m"), Value(0.0)) - F("online_before"))
    )
    risers = list(rows.filter(online_change__gt=0).order_by("-online_change", "name")[:LIST_SIZE])
    fallers = list(rows.filter(online_change__lt=0).order_by("online_change", "name")[:LIST_SIZE])
    for customer in risers + fallers:
        customer.change_size = abs(customer.online_change)
    return {"since": since, "risers": risers, "fallers": fallers}


# Signals the portfolio lists: the first LIST_SIZE of each kind (by customer name) with the
# kind's count, except these, read in full (few per rep, matched against other lists).
SIGNALS_LISTED = (Signal.Kind.RETURNS_ONLY, Signal.Kind.ONLINE_DROP)
SIGNALS_IN_FULL = (
    Signal.Kind.KOESTER_UNVISITED,
    Signal.Kind.TOP_RISER,
    Signal.Kind.TOP_NEW,
    Signal.Kind.TOP_FALLER,
    Signal.Kind.TOP_DROPOUT,
)


def portfolio_signals(*, tenant: Tenant, membership: Membership) -> list[Signal]:
    """The member's signals that My portfolio shows, each with `of_kind` (how many of its
    kind the member has), ordered by kind and customer name (one query). Long lists are cut
    in the database: a rep can have hundreds of "online ordering falling" signals."""
    by_kind = {"partition_by": [F("kind")]}
    if membership.role == Role.REP:  # a join on the rep's accounts, not IN (all visible)
        visible = Q(customer__account_manager=membership, customer__tenant=tenant)
    else:
        visible = Q(customer__in=customers_visible(tenant=tenant, membership=membership))
    return list(
        Signal.objects.filter(visible, tenant=tenant, kind__in=SIGNALS_LISTED + SIGNALS_IN_FULL)
        .select_related("customer")
        .annotate(
            of_kind=Window(Count("pk"), **by_kind),
            position=Window(
                RowNumber(), order_by=[F("customer__name").asc(), F("pk").asc()], **by_kind
            ),
        )
        .filter(Q(position__lte=LIST_SIZE) | Q(kind__in=SIGNALS_IN_FULL))
        .order_by("kind", "customer__name", "pk")
    )


def portfolio(*, tenant: Tenant, membership: Membership, as_of: date) -> Portfolio:
    """Everything on a rep's My portfolio page, in a constant number of queries."""
    member = str(membership.pk)
    kpi_rows = rep_kpi_rows(tenant=tenant, member=member, as_of=as_of)
    by_metric: dict[str, KpiRow] = {}
    for row in kpi_rows:
        by_metric.setdefault(row.kpi.metric_key, row)
    adoption = by_metric.get(ONLINE_ADOPTION)
    ecommerce = by_metric.get(ECOMMERCE_SHARE)
    trend = (
        adoption_trend(tenant=tenant, kpi=adoption.kpi, member=member, as_of=as_of)
        if adoption
        else []
    )
    signals = portfolio_signals(tenant=tenant, membership=membership)
    by_kind: dict[str, list[Signal]] = {}
    kind_counts: dict[str, int] = {}
    for signal in signals:
        by_kind.setdefault(signal.kind, []).append(signal)
        kind_counts[signal.kind] = signal.of_kind
    unvisited = {s.customer_id: s for s in by_kind.get(Signal.Kind.KOESTER_UNVISITED, [])}
    lists = account_lists(tenant=tenant, membership=membership)
    attention = lists["attention"]
    for customer in attention:
        signal = unvisited.get(customer.pk)
        customer.unvisited = signal is not None
        customer.last_contact = (
            date.fromisoformat(signal.details["last_contact"])
            if signal and signal.details.get("last_contact")
            else None
        )
    churn_rising = lists["churn_rising"]
    accounts = accounts_summary(tenant=tenant, membership=membership)

    def by_rank(kinds):
        found = [s for kind in kinds for s in by_kind.get(kind, [])]
        return sorted(found, key=lambda s: (s.details.get("rank") or 99, s.customer.name))

    return Portfolio(
        as_of=as_of,
        member=member,
        adoption=adoption,
        adoption_trend=trend,
        ecommerce=ecommerce,
        kpis=[r for r in kpi_rows if r is not adoption and r is not ecommerce],
        accounts=accounts,
        nudge=lists["nudge"],
        attention=attention,
        returns_only=by_kind.get(Signal.Kind.RETURNS_ONLY, [])[:LIST_SIZE],
        online_drop=by_kind.get(Signal.Kind.ONLINE_DROP, [])[:LIST_SIZE],
        churn_rising=churn_rising,
        risers=by_rank([Signal.Kind.TOP_RISER, Signal.Kind.TOP_NEW]),
        fallers=by_rank([Signal.Kind.TOP_FALLER, Signal.Kind.TOP_DROPOUT]),
        movers=online_movers(tenant=tenant, membership=membership, as_of=as_of),
        counts={
            "returns_only": kind_counts.get(Signal.Kind.RETURNS_ONLY, 0),
            "online_drop": kind_counts.get(Signal.Kind.ONLINE_DROP, 0),
            "unvisited": len(unvisited),
        },
        scored=accounts["scored"] > 0,
    )


# --- the customer page ------------------------------------------------------------------------


def customer_profile(*, tenant: Tenant, membership: Membership, customer_id: int) -> Customer:
    """One visible customer with its stored analytics (raises Customer.DoesNotExist)."""
    customer = (
        customer_rows(tenant=tenant, membership=membership)
        .select_related("department")
        .get(pk=customer_id)
    )
    customer.score = CustomerScore.objects.filter(tenant=tenant, customer=customer).first()
    customer.persona = (
        Persona.objects.filter(tenant=tenant, pk=customer.persona_ref).first()
        if customer.persona_ref
        else None
    )
    return customer


def channel_mix_by_month(*, tenant: Tenant, customer: Customer, as_of: date) -> dict:
    """Net revenue of one customer per month and channel over the last 24 months (its own
    orders: one grouped query). {"months": [...], "channels": [{label, online, values}]}."""
    first = add_months(as_of.replace(day=1), -(TREND_MONTHS - 1))
    tz = tenant.tzinfo
    rows = (
        Order.objects.filter(
            tenant=tenant, customer=customer, placed_at__gte=local_midnight(first, tz)
        )
        .annotate(month=TruncMonth("placed_at", tzinfo=tz))
        .order_by()
        .values_list("month", "channel__code", "channel__label", "channel__is_online")
        .annotate(total=Cast(Sum("amount"), FloatField()), orders=Count("pk"))
    )
    months = [add_months(first, i) for i in range(TREND_MONTHS)]
    index = {m: i for i, m in enumerate(months)}
    channels: dict[str, dict] = {}
    for month, code, label, online, total, _orders in rows:
        position = index.get(month.date() if hasattr(month, "date") else month)
        if position is None:
            continue
        channel = channels.setdefault(
            code,
            {"label": channel_label(code, label), "online": online, "values": [0.0] * len(months)},
        )
        channel["values"][position] += round(total or 0.0, 2)
    ordered = sorted(channels.values(), key=lambda c: (not c["online"], c["label"]))
    return {"months": months, "channels": ordered}


def customer_orders(*, tenant: Tenant, customer: Customer) -> QuerySet[Order]:
    return (
        Order.objects.filter(tenant=tenant, customer=customer)
        .select_related("channel")
        .order_by("-placed_at", "-pk")
    )


def customer_returns(*, tenant: Tenant, customer: Customer) -> dict:
    """The customer's returns: per reason (count, amount) and the latest ten."""
    returns = Order.objects.filter(tenant=tenant, customer=customer, is_return=True)
    reasons = list(
        returns.order_by()
        .values_list("return_reason")
        .annotate(n=Count("pk"), total=Cast(Sum("amount"), FloatField()))
        .order_by("-n", "return_reason")
    )
    latest = list(returns.select_related("channel").order_by("-placed_at")[:LIST_SIZE])
    return {"reasons": reasons, "latest": latest, "count": sum(n for _r, n, _t in reasons)}


def customer_web_activity(*, tenant: Tenant, customer: Customer, as_of: date) -> list[dict]:
    """Per kind: events in the last 12 months, all time, and the last time (one query)."""
    since = local_midnight(add_months(as_of, -12) + timedelta(days=1), tenant.tzinfo)
    rows = (
        WebActivity.objects.filter(tenant=tenant, customer=customer)
        .order_by()
        .values_list("kind")
        .annotate(
            total=Count("pk"),
            last_12m=Count("pk", filter=Q(occurred_at__gte=since)),
            last=Max("occurred_at"),
        )
    )
    labels = dict(WebActivity.Kind.choices)
    found = {kind: (total, last_12m, last) for kind, total, last_12m, last in rows}
    return [
        {
            "kind": kind,
            "label": labels[kind],
            "total": found.get(kind, (0, 0, None))[0],
            "last_12m": found.get(kind, (0, 0, None))[1],
            "last": found.get(kind, (0, 0, None))[2],
        }
        for kind in WebActivity.Kind.values
    ]


def customer_surveys(*, tenant: Tenant, customer: Customer) -> list[SurveyResponse]:
    return list(
        SurveyResponse.objects.filter(tenant=tenant, customer=customer).order_by(
            "-answered_on", "-pk"
        )[:20]
    )


def customer_contacts(*, tenant: Tenant, customer: Customer) -> dict:
    return {
        "contacts": list(Contact.objects.filter(tenant=tenant, customer=customer).order_by("name")),
        "moments": list(
            ContactMoment.objects.filter(tenant=tenant, customer=customer)
            .select_related("member__user")
            .order_by("-occurred_on")[:LIST_SIZE]
        ),
    }


def customer_signals(*, tenant: Tenant, customer: Customer) -> list[Signal]:
    return list(Signal.objects.filter(tenant=tenant, customer=customer).order_by("kind"))
