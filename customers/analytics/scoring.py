"""The nightly customer analytics of a tenant: fit, score every customer, refresh signals.

`customer_analytics_refresh` loads the orders once (`summary.order_days_load`), fits the CLV
models, computes churn, lifecycle, RFM, share of wallet and koesterklanten with array
arithmetic, and writes one `ClvFit` (the run: parameters or the reason there are none, and the
lifecycle groups with their CLV), one `CustomerScore` per customer and the `Signal`s in one
transaction. On PostgreSQL the rows go in through COPY (`customers.analytics.writing`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from django.db import transaction
from django.utils import timezone

from customers.analytics import churn, rfm
from customers.analytics.bgnbd import FitError
from customers.analytics.clv import ClvModel, ClvPrediction, clv_fit, clv_predict
from customers.analytics.signals import signals_build
from customers.analytics.summary import (
    OrderDays,
    PurchaseSummary,
    order_days_load,
    purchase_days,
    purchase_summary,
)
from customers.analytics.writing import rows_insert, rows_upsert
from customers.models import ClvFit, CustomerScore, Signal
from kpis.periods import GRAINS, add_months, period_start
from portal.models import Tenant

KOESTER_SHARE = 0.10
# "Churn risk rising" looks back this many days: the risk now against the risk the same model
# gives the customer's history as it stood then.
RISING_DAYS = 90
LIFECYCLE_GROUPS = ("new", "existing", "churning")
SCORE_FIELDS = (
    "p_alive",
    "expected_purchases_12m",
    "expected_aov",
    "clv_12m",
    "churn_risk",
    "churn_risk_before",
    "churned",
    "lifecycle",
    "rfm_r",
    "rfm_f",
    "rfm_m",
    "rfm_segment",
    "share_of_wallet",
    "is_koesterklant",
)


@dataclass
class RefreshResult:
    customers: int
    scored: int
    signals: int
    fit_error: str = ""
    seconds: dict[str, float] = field(default_factory=dict)  # per stage: load, fit, score, write

    def as_counts(self) -> dict:
        return {
            "customers": self.customers,
            "scored": self.scored,
            "signals": self.signals,
            "fit_error": self.fit_error,
            "seconds": self.seconds,
        }


def trailing_year_start(as_of: date) -> int:
    """First day of the trailing 12 calendar months ending with the as-of month."""
    return add_months(as_of.replace(day=1), -11).toordinal()


def koesterklanten(online_revenue: np.ndarray) -> np.ndarray:
    """Top ⌈10 %⌉ (at least one) of the customers with positive online revenue, ties included."""
    positive = online_revenue[online_revenue > 0]
    flag = np.zeros(len(online_revenue), dtype=bool)
    if not len(positive):
        return flag
    top = max(1, math.ceil(KOESTER_SHARE * len(positive)))
    boundary = np.sort(positive)[::-1][top - 1]
    return online_revenue >= boundary


def discount_rate_of(tenant: Tenant) -> float:
    return float(tenant.clv_discount_rate)


@dataclass
class CustomerValues:
    """Every per-customer value as arrays aligned with `OrderDays.customer_ids`, plus the
    lifecycle of each customer in the current month, quarter and year."""

    values: dict[str, np.ndarray]
    lifecycles: dict[str, tuple[date, np.ndarray]]


@dataclass
class ChurnState:
    """Where each customer stands on the day ordinal `end`: their purchase summary and days,
    whether the inter-purchase rule counts them as churned, the model's prediction (None
    without a fit) and the churn risk (nan for a customer without a purchase by then)."""

    summary: PurchaseSummary
    customer: np.ndarray  # purchase days up to `end`: customer index and day ordinal
    day: np.ndarray
    churned: np.ndarray
    prediction: ClvPrediction | None
    churn_risk: np.ndarray


def churn_state(
    *, tenant: Tenant, days: OrderDays, end: int, model: ClvModel | None, discount_rate: float
) -> ChurnState:
    """The churn state on the customers' history up to `end`, scored with `model` (for an
    earlier `end`, today's fit: what changed is the customer's own behaviour)."""
    n = days.n_customers
    summary = purchase_summary(days, end)
    c, d, _ = purchase_days(days, end)
    threshold = churn.churn_thresholds(c, d, n, float(tenant.churn_k))
    is_churned = churn.churned(summary, threshold, end)
    prediction = clv_predict(model, summary, discount_rate) if model is not None else None
    p_alive = prediction.p_alive if prediction else np.full(n, np.nan)
    risk = np.where(summary.has_purchase, churn.churn_risk(p_alive, is_churned), np.nan)
    return ChurnState(summary, c, d, is_churned, prediction, risk)


def customer_scores_compute(
    *,
    tenant: Tenant,
    days: OrderDays,
    as_of: date,
    model: ClvModel | None,
    discount_rate: float | None = None,
) -> CustomerValues:
    """Churn, CLV, lifecycle, RFM, share of wallet and koesterklanten of every customer."""
    if discount_rate is None:
        discount_rate = discount_rate_of(tenant)
    end = as_of.toordinal()
    n = days.n_customers
    now = churn_state(tenant=tenant, days=days, end=end, model=model, discount_rate=discount_rate)
    before = churn_state(
        tenant=tenant, days=days, end=end - RISING_DAYS, model=model, discount_rate=discount_rate
    )
    summary, c, d, is_churned, prediction = (
        now.summary, now.customer, now.day, now.churned, now.prediction
    )  # fmt: skip
    nan = np.full(n, np.nan)
    p_alive = prediction.p_alive if prediction else nan
    year_start = trailing_year_start(as_of)
    in_year = days.window(year_start, end)
    revenue = days.per_customer(days.amount, in_year)
    online_revenue = days.per_customer(days.amount, in_year & days.online)
    frequency = np.bincount(c[d >= year_start], minlength=n)
    r, f, m, segment = rfm.rfm_scores(
        end - summary.last_day, frequency, revenue, summary.has_purchase
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(days.wallet > 0, revenue / days.wallet * 100, np.nan)
    lifecycles = {}
    for grain in GRAINS:
        start = period_start(as_of, grain, tenant.fiscal_year_start_month)
        lifecycles[grain] = (
            start,
            churn.lifecycle(summary, is_churned, start.toordinal(), year_start),
        )
    values = {
        "p_alive": p_alive,
        "expected_purchases_12m": prediction.expected_purchases_12m if prediction else nan,
        "expected_aov": prediction.expected_aov if prediction else nan,
        "clv_12m": prediction.clv_12m if prediction else nan,
        "churn_risk": now.churn_risk,
        "churn_risk_before": before.churn_risk,
        "churned": is_churned,
        "lifecycle": lifecycles["month"][1],
        "rfm_r": r,
        "rfm_f": f,
        "rfm_m": m,
        "rfm_segment": segment,
        "share_of_wallet": share,
        "is_koesterklant": koesterklanten(online_revenue),
    }
    return CustomerValues(values=values, lifecycles=lifecycles)


def lifecycle_groups(computed: CustomerValues) -> dict[str, dict]:
    """Per grain (the current month, quarter and year): the new, existing and churning
    customers and their 12-month CLV (sum and mean; None without a fit)."""
    clv = computed.values["clv_12m"]
    out = {}
    for grain, (start, lifecycle) in computed.lifecycles.items():
        groups = {}
        for group in LIFECYCLE_GROUPS:
            members = lifecycle == group
            values = clv[members & np.isfinite(clv)]
            groups[group] = {
                "customers": int(members.sum()),
                "clv_12m": round(float(values.sum()), 2) if len(values) else None,
                "mean_clv_12m": round(float(values.mean()), 2) if len(values) else None,
            }
        out[grain] = {"start": start.isoformat(), "groups": groups}
    return out


def _column(values: np.ndarray) -> list:
    """A float array as a list with None for nan (SQL NULL)."""
    return [None if math.isnan(v) else v for v in values.tolist()]


def _score_columns(values: dict[str, np.ndarray]) -> dict[str, list]:
    columns = {}
    for name in SCORE_FIELDS:
        array = values[name]
        if name.startswith("rfm_") and name != "rfm_segment":
            columns[name] = [v or None for v in array.tolist()]  # 0: no purchase, no score
        elif array.dtype == bool:
            columns[name] = array.tolist()
        elif array.dtype.kind == "f":
            columns[name] = _column(array)
        else:
            columns[name] = [str(v) for v in array.tolist()]
    return columns


def customer_analytics_refresh(
    *, tenant: Tenant, as_of: date | None = None, discount_rate: float | None = None
) -> RefreshResult:
    """Fit, score and refresh signals as of `as_of` (default: the tenant's today), with the
    tenant's CLV discount rate unless `discount_rate` is given. A tenant whose data cannot
    support a fit still gets churn, lifecycle, RFM, share of wallet and signals; the reason
    is stored on the `ClvFit` row."""
    as_of = as_of or timezone.localdate(timezone=tenant.tzinfo)
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        seconds[stage] = round(time.perf_counter() - clock, 3)
        clock = time.perf_counter()

    days = order_days_load(tenant=tenant, until=as_of)
    lap("load")
    fit_error = ""
    try:
        model = clv_fit(days=days, end=as_of, require_spend=False)
        if model.spend_error:
            fit_error = f"{model.spend_error} No order value or CLV; P(alive) is fitted."
    except FitError as exc:
        model, fit_error = None, str(exc)
    lap("fit")
    computed = customer_scores_compute(
        tenant=tenant, days=days, as_of=as_of, model=model, discount_rate=discount_rate
    )
    signals = signals_build(
        tenant=tenant, days=days, koesterklant=computed.values["is_koesterklant"], as_of=as_of
    )
    lap("score")
    now = timezone.now()
    n = days.n_customers
    with transaction.atomic():
        fit = ClvFit.objects.create(
            tenant=tenant,
            fitted_at=now,
            as_of=as_of,
            customers=model.customers if model else 0,
            params=model.as_dict() if model else {},
            ll=float(model.bgnbd.ll) if model else None,
            error=fit_error,
            discount_rate=discount_rate_of(tenant) if discount_rate is None else discount_rate,
            groups=lifecycle_groups(computed),
        )
        columns = {
            "tenant_id": [tenant.pk] * n,
            "customer_id": days.customer_ids.tolist(),
            "fit_id": [fit.pk if model else None] * n,
            **_score_columns(computed.values),
            "scored_at": [now] * n,
            "as_of": [as_of] * n,
        }
        rows_upsert(CustomerScore, columns, unique=("tenant_id", "customer_id"))
        Signal.objects.filter(tenant=tenant).delete()
        rows_insert(
            Signal,
            {
                "tenant_id": [tenant.pk] * len(signals),
                "kind": [s.kind for s in signals],
                "customer_id": [s.customer_id for s in signals],
                "as_of": [as_of] * len(signals),
                "details": [s.details for s in signals],
            },
        )
    lap("write")
    return RefreshResult(
        customers=n, scored=n, signals=len(signals), fit_error=fit_error, seconds=seconds
    )
