"""Read side of the customer analytics: stored scores, runs and signals, one query each.

Pages and the API read what the nightly run stored (`ClvFit`, `CustomerScore`, `Signal`);
none of these functions touches the orders.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Avg, Count, Q, Sum

from customers.models import ClvFit, CustomerScore, Signal
from portal.models import Membership, Tenant

TOP_KINDS = (
    Signal.Kind.TOP_RISER,
    Signal.Kind.TOP_FALLER,
    Signal.Kind.TOP_NEW,
    Signal.Kind.TOP_DROPOUT,
)


def clv_run_latest(*, tenant: Tenant) -> ClvFit | None:
    """The last nightly run: fit parameters (or the reason there are none), the discount rate
    and the lifecycle groups with their CLV (`ClvFit.groups`)."""
    return ClvFit.objects.filter(tenant=tenant).order_by("-fitted_at", "-id").first()


def customer_scores_for(*, tenant: Tenant, customer_ids: Iterable[int]) -> dict[int, CustomerScore]:
    """{customer id: score} for the given customers (those not scored yet are missing)."""
    ids = list(customer_ids)
    if not ids:
        return {}
    return {
        s.customer_id: s
        for s in CustomerScore.objects.filter(tenant=tenant, customer_id__in=ids).order_by()
    }


def _portfolio(account_manager: Membership | None) -> Q:
    """The customers of one account manager (a rep's portfolio), or everyone."""
    return Q() if account_manager is None else Q(customer__account_manager=account_manager)


def signals_for(
    *,
    tenant: Tenant,
    account_manager: Membership | None = None,
    kinds: Iterable[str] | None = None,
) -> list[Signal]:
    """Signals of the last run, with their customer, for one rep's accounts or the whole
    tenant; optionally only some kinds. Ordered by kind, then customer name."""
    rows = Signal.objects.filter(_portfolio(account_manager), tenant=tenant)
    if kinds is not None:
        rows = rows.filter(kind__in=list(kinds))
    return list(rows.select_related("customer").order_by("kind", "customer__name", "id"))


def signal_counts(*, tenant: Tenant, account_manager: Membership | None = None) -> dict[str, int]:
    """{kind: customers} for every kind (0 where none)."""
    rows = (
        Signal.objects.filter(_portfolio(account_manager), tenant=tenant)
        .order_by()
        .values_list("kind")
        .annotate(n=Count("id"))
    )
    return {kind: 0 for kind in Signal.Kind.values} | dict(rows)


def top_online_changes(
    *, tenant: Tenant, account_manager: Membership | None = None
) -> dict[str, list[Signal]]:
    """The top-10 online comparison with last year: {"risers", "fallers", "new", "dropouts"}
    each ordered by this year's rank (drop-outs by last year's rank)."""
    rows = Signal.objects.filter(_portfolio(account_manager), tenant=tenant, kind__in=TOP_KINDS)
    out: dict[str, list[Signal]] = {"risers": [], "fallers": [], "new": [], "dropouts": []}
    key = {
        Signal.Kind.TOP_RISER: "risers",
        Signal.Kind.TOP_FALLER: "fallers",
        Signal.Kind.TOP_NEW: "new",
        Signal.Kind.TOP_DROPOUT: "dropouts",
    }
    for signal in rows.select_related("customer").order_by("id"):
        out[key[signal.kind]].append(signal)
    for name, signals in out.items():
        field = "last_year_rank" if name == "dropouts" else "rank"
        signals.sort(key=lambda s, f=field: (s.details.get(f) or 99, s.customer.name))
    return out


def rfm_segment_summary(*, tenant: Tenant, account_manager: Membership | None = None) -> list[dict]:
    """Per RFM segment, in the order of `CustomerScore.Segment`: customers, their 12-month
    CLV (sum, None without a fit) and mean churn risk."""
    rows = {
        segment: (n, clv, risk)
        for segment, n, clv, risk in CustomerScore.objects.filter(
            _portfolio(account_manager), tenant=tenant
        )
        .exclude(rfm_segment="")
        .order_by()
        .values_list("rfm_segment")
        .annotate(n=Count("id"), clv=Sum("clv_12m"), risk=Avg("churn_risk"))
    }
    return [
        {
            "segment": segment,
            "label": label,
            "customers": rows.get(segment, (0, None, None))[0],
            "clv_12m": rows.get(segment, (0, None, None))[1],
            "mean_churn_risk": rows.get(segment, (0, None, None))[2],
        }
        for segment, label in CustomerScore.Segment.choices
    ]


def clv_by_lifecycle(
    *, tenant: Tenant, account_manager: Membership | None = None
) -> dict[str, dict]:
    """Customers and 12-month CLV (sum and mean) per lifecycle group of the current month
    (new, existing, churning, lapsed), from the stored scores; for a rep's accounts too."""
    rows = (
        CustomerScore.objects.filter(_portfolio(account_manager), tenant=tenant)
        .exclude(lifecycle="")
        .order_by()
        .values_list("lifecycle")
        .annotate(n=Count("id"), total=Sum("clv_12m"), mean=Avg("clv_12m"))
    )
    return {
        group: {"customers": n, "clv_12m": total, "mean_clv_12m": mean}
        for group, n, total, mean in rows
    }
