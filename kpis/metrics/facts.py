"""Facts for metrics: loaded once per run, with a constant number of grouped queries, into
customer x month arrays (numpy). Metric functions only do array arithmetic on these.

Month axis: from 12 months before the first period (for trailing-12-month measures) to the
month of the last period's end or the as-of date, whichever is earlier. Months are local
months of the tenant.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
from django.db.models import Count, Exists, ExpressionWrapper, Min, OuterRef, Q, Sum
from django.db.models import DateTimeField as DateTimeFieldType
from django.db.models.functions import ExtractDay, ExtractMonth, ExtractYear

from customers.models import (
    Channel,
    Contact,
    Customer,
    FunnelEvent,
    Order,
    PlatformSample,
    SurveyResponse,
    WebActivity,
)
from kpis.periods import Grain, local_midnight, month_index, period_end, periods_between
from portal.models import Tenant

TRAILING_MONTHS = 12
ZERO = 1e-9  # below this, a sum of amounts or counts is 0
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def month_number(field: str, tz=None):
    """The local month of a timestamp (or date) as one integer, computed in the database:
    year * 12 + month - 1 (the same numbering as kpis.periods.month_index). Integers come
    back without per-row datetime conversion, which dominated the load time."""
    kwargs = {"tzinfo": tz} if tz is not None else {}
    return ExtractYear(field, **kwargs) * 12 + ExtractMonth(field, **kwargs) - 1


def day_ordinals(years, months, days) -> np.ndarray:
    """Vectorised date(y, m, d).toordinal()."""
    y, m, d = (np.asarray(a, dtype=np.int64) for a in (years, months, days))
    month_starts = ((y - 1970) * 12 + (m - 1)).astype("datetime64[M]").astype("datetime64[D]")
    return month_starts.astype(np.int64) + (d - 1) + EPOCH_ORDINAL


@dataclass
class Facts:
    tenant: Tenant
    grain: Grain
    periods: list[date]
    as_of: date
    month0: int  # month index of the first month on the axis
    n_months: int
    # Per period: first and last month (axis indices, last capped at the as-of month).
    period_months: list[tuple[int, int]]
    period_days: list[tuple[int, int]]  # local date ordinals [start, end] (end capped at as_of)
    customer_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # scope -> (group index per customer, -1 for none; member keys)
    groups: dict[str, tuple[np.ndarray, list[str]]] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    extra: dict[str, object] = field(default_factory=dict)
    cache: dict[str, object] = field(default_factory=dict)

    @property
    def n_customers(self) -> int:
        return len(self.customer_ids)

    @property
    def n_periods(self) -> int:
        return len(self.periods)

    def month_axis_index(self, day: date) -> int:
        return month_index(day) - self.month0

    def regrain(self, grain: Grain, first: date) -> Facts:
        """The same facts (arrays shared, nothing reloaded) measured in other periods; the
        month axis must already reach 12 months before `first`."""
        periods = _periods(self.tenant, grain, first, self.as_of, self.as_of)
        if periods and month_index(periods[0]) - TRAILING_MONTHS < self.month0:
            raise ValueError("these facts do not reach back far enough for that grain")
        months, days = _period_maps(periods, grain, self.as_of, self.month0)
        return replace(
            self, grain=grain, periods=periods, period_months=months, period_days=days, cache={}
        )

    def cached(self, key: str, compute):
        """A derived array computed once per Facts and grain, e.g. the churn matrix."""
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]

    def extra_cached(self, key: str, compute):
        """A derived value that does not depend on the grain: shared by regrained facts."""
        if key not in self.extra:
            self.extra[key] = compute()
        return self.extra[key]

    # -- turning customer x month arrays into customer x period arrays ----------------------

    def sum_over_periods(self, monthly: np.ndarray) -> np.ndarray:
        """Sum of the months of each period: (C, M) -> (C, P)."""
        out = np.zeros((monthly.shape[0], self.n_periods))
        for p, (first, last) in enumerate(self.period_months):
            out[:, p] = monthly[:, first : last + 1].sum(axis=1)
        return out

    def at_period_end(self, monthly: np.ndarray) -> np.ndarray:
        """The value in the last month of each period: (C, M) -> (C, P)."""
        return (
            np.stack([monthly[:, last] for _, last in self.period_months], axis=1)
            if (self.n_periods)
            else np.zeros((monthly.shape[0], 0))
        )

    @staticmethod
    def trailing(monthly: np.ndarray, months: int = TRAILING_MONTHS) -> np.ndarray:
        """Rolling sum over the `months` months up to and including each month.

        Each window is summed on its own (not as a difference of running totals, which leaves
        float residues such as 3e-17 where the window's true sum is 0, and "> 0" tests count
        them) and rounded to 1e-6 (amounts are in cents, counts are whole).
        """
        out = np.zeros(monthly.shape)
        n = monthly.shape[-1]
        for back in range(min(months, n)):
            out[..., back:] += monthly[..., : n - back]
        return np.round(out, 6)

    # -- scopes ----------------------------------------------------------------------------

    def by_scope(self, values: np.ndarray, scopes=None) -> dict[tuple[str, str], np.ndarray]:
        """Sum a (C, P) array per scope member: {(scope, member): (P,)}."""
        out: dict[tuple[str, str], np.ndarray] = {("company", ""): values.sum(axis=0)}
        for scope, (index, members) in self.groups.items():
            if scopes is not None and scope not in scopes:
                continue
            sums = np.zeros((len(members), values.shape[1]))
            known = index >= 0
            np.add.at(sums, index[known], values[known])
            for i, member in enumerate(members):
                out[(scope, member)] = sums[i]
        return out


def ratio(
    numerator: dict[tuple[str, str], np.ndarray],
    denominator: dict[tuple[str, str], np.ndarray],
    scale: float = 1.0,
) -> dict[tuple[str, str], list[float | None]]:
    """numerator / denominator per scope member; None (no data) where the denominator is 0.

    A denominator within 1e-9 of 0 is 0: sums of amounts in floats leave residues (0.10 + 0.20
    - 0.30 = 5.6e-17) that would otherwise turn "no data" into an enormous ratio.
    """
    out = {}
    for key, den in denominator.items():
        num = numerator.get(key, np.zeros_like(den))
        out[key] = [
            None if abs(d) < ZERO else float(n) / float(d) * scale + 0.0  # no "-0.0"
            for n, d in zip(num, den, strict=True)
        ]
    return out


def as_lists(values: dict[tuple[str, str], np.ndarray]) -> dict[tuple[str, str], list[float]]:
    return {key: [float(v) for v in array] for key, array in values.items()}


def load_facts(
    *,
    tenant: Tenant,
    grain: Grain,
    first: date,
    last: date,
    as_of: date | None = None,
    needs: frozenset[str] = frozenset({"orders"}),
) -> Facts:
    as_of = as_of or date.today()
    periods = _periods(tenant, grain, first, last, as_of)
    month_last = (
        month_index(min(period_end(periods[-1], grain) - timedelta(days=1), as_of))
        if (periods)
        else month_index(as_of)
    )
    month0 = (month_index(periods[0]) if periods else month_last) - TRAILING_MONTHS
    n_months = month_last - month0 + 1
    period_months, period_days = _period_maps(periods, grain, as_of, month0)
    facts = Facts(
        tenant=tenant,
        grain=grain,
        periods=periods,
        as_of=as_of,
        month0=month0,
        n_months=n_months,
        period_months=period_months,
        period_days=period_days,
    )
    _load_customers(facts)
    loaders = {
        "orders": _load_orders,
        "days": _load_order_days,
        "web": _load_web,
        "surveys": _load_surveys,
        "platform": _load_platform,
        "funnel": _load_funnel,
        "channels": _load_channels,
        "influence": _load_web_influence,
    }
    for need in sorted(needs):
        loaders[need](facts)
    return facts


def _periods(tenant: Tenant, grain: Grain, first: date, last: date, as_of: date) -> list[date]:
    fiscal = tenant.fiscal_year_start_month
    return [p for p in periods_between(first, last, grain, fiscal) if p <= as_of]


def _period_maps(periods, grain, as_of, month0):
    period_months, period_days = [], []
    for start in periods:
        end_day = min(period_end(start, grain) - timedelta(days=1), as_of)
        period_months.append((month_index(start) - month0, month_index(end_day) - month0))
        period_days.append((start.toordinal(), end_day.toordinal()))
    return period_months, period_days


# -- loaders: one grouped query each ---------------------------------------------------------


def _window(facts: Facts):
    tz = facts.tenant.tzinfo
    start = local_midnight(date(facts.month0 // 12, facts.month0 % 12 + 1, 1), tz)
    end = local_midnight(facts.as_of + timedelta(days=1), tz)
    return start, end


def _load_customers(facts: Facts) -> None:
    rows = list(
        Customer.objects.filter(tenant=facts.tenant)
        .order_by("id")
        .values_list("id", "department_id", "account_manager_id", "country", "estimated_wallet")
    )
    facts.customer_ids = np.array([r[0] for r in rows], dtype=np.int64)
    facts.extra["customer_index"] = {cid: i for i, cid in enumerate(facts.customer_ids.tolist())}
    for scope, position in (("department", 1), ("rep", 2), ("country", 3)):
        members = sorted({str(r[position]) for r in rows if r[position] not in (None, "")})
        lookup = {m: i for i, m in enumerate(members)}
        index = np.array(
            [
                lookup.get(str(r[position]), -1) if r[position] not in (None, "") else -1
                for r in rows
            ],
            dtype=np.int64,
        )
        facts.groups[scope] = (index, members)
    facts.arrays["wallet"] = np.array(
        [float(r[4]) if r[4] is not None else np.nan for r in rows], dtype=float
    )


def _cm(facts: Facts) -> np.ndarray:
    return np.zeros((facts.n_customers, facts.n_months))


def _load_orders(facts: Facts) -> None:
    """Customer x month x online: gross (non-return) value, returned value, counts."""
    tz = facts.tenant.tzinfo
    start, end = _window(facts)
    index = facts.extra["customer_index"]
    arrays = {
        name: np.zeros((2, facts.n_customers, facts.n_months))
        for name in ("gross", "returns", "orders", "return_count")
    }
    rows = (
        Order.objects.filter(tenant=facts.tenant, placed_at__gte=start, placed_at__lt=end)
        .annotate(month=month_number("placed_at", tz))
        .order_by()
        .values_list("customer_id", "month", "channel__is_online", "is_return")
        .annotate(total=Sum("amount"), n=Count("id"))
    )
    for customer_id, month, online, is_return, total, n in rows:
        c = index.get(customer_id)
        m = month - facts.month0
        if c is None or not 0 <= m < facts.n_months:
            continue
        o = 1 if online else 0
        if is_return:
            arrays["returns"][o, c, m] += -float(total or Decimal(0))
            arrays["return_count"][o, c, m] += n
        else:
            arrays["gross"][o, c, m] += float(total or Decimal(0))
            arrays["orders"][o, c, m] += n
    facts.arrays.update(arrays)
    first_orders = (
        Order.objects.filter(tenant=facts.tenant, is_return=False, placed_at__lt=end)
        .order_by()
        .values_list("customer_id")
        .annotate(first=Min("placed_at"))
    )
    first_day = np.full(facts.n_customers, -1, dtype=np.int64)
    for customer_id, first in first_orders:
        c = index.get(customer_id)
        if c is not None:
            first_day[c] = first.astimezone(tz).date().toordinal()
    facts.arrays["first_order_day"] = first_day


def _load_order_days(facts: Facts) -> None:
    """Distinct local order days over the whole history up to the as-of date (churn and
    returns-only need them), as flat arrays sorted by customer and day:
    extra["order_days"] (non-return) and extra["return_days"] = (customer index, day ordinal)."""
    tz = facts.tenant.tzinfo
    _, end = _window(facts)
    rows = list(
        Order.objects.filter(tenant=facts.tenant, placed_at__lt=end)
        .annotate(
            y=ExtractYear("placed_at", tzinfo=tz),
            m=ExtractMonth("placed_at", tzinfo=tz),
            d=ExtractDay("placed_at", tzinfo=tz),
        )
        .order_by()
        .values_list("customer_id", "y", "m", "d", "is_return")
        .distinct()
    )
    data = np.array(rows, dtype=np.int64).reshape(-1, 5)
    position = np.searchsorted(facts.customer_ids, data[:, 0])
    known = (
        (position < facts.n_customers)
        & (facts.customer_ids[np.minimum(position, max(facts.n_customers - 1, 0))] == data[:, 0])
        if facts.n_customers
        else np.zeros(len(data), dtype=bool)
    )
    customers = position[known]
    days = day_ordinals(data[known, 1], data[known, 2], data[known, 3])
    returns = data[known, 4].astype(bool)
    for name, mask in (("order_days", ~returns), ("return_days", returns)):
        c, d = customers[mask], days[mask]
        order = np.lexsort((d, c))
        facts.extra[name] = (c[order], d[order])


def _load_web(facts: Facts) -> None:
    """Customer x month counts per web-activity kind; distinct contacts logging in."""
    tz = facts.tenant.tzinfo
    start, end = _window(facts)
    index = facts.extra["customer_index"]
    kinds = {k: _cm(facts) for k in WebActivity.Kind.values}
    rows = (
        WebActivity.objects.filter(tenant=facts.tenant, occurred_at__gte=start, occurred_at__lt=end)
        .annotate(month=month_number("occurred_at", tz))
        .order_by()
        .values_list("customer_id", "month", "kind")
        .annotate(n=Count("id"))
    )
    for customer_id, month, kind, n in rows:
        c = index.get(customer_id)
        m = month - facts.month0
        if c is not None and 0 <= m < facts.n_months:
            kinds[kind][c, m] += n
    for kind, array in kinds.items():
        facts.arrays[f"web_{kind}"] = array
    # Contacts with a web account who logged in: distinct per period, so keep (contact, month).
    logins = (
        WebActivity.objects.filter(
            tenant=facts.tenant,
            kind=WebActivity.Kind.LOGIN,
            contact__has_web_account=True,
            occurred_at__gte=start,
            occurred_at__lt=end,
        )
        .annotate(month=month_number("occurred_at", tz))
        .order_by()
        .values_list("contact_id", "customer_id", "month")
        .distinct()
    )
    login_rows = [
        (contact_id, index[customer_id], month - facts.month0)
        for contact_id, customer_id, month in logins
        if customer_id in index
    ]
    # (contact id, customer index, month on the axis) per row
    facts.extra["contact_login_months"] = np.array(login_rows, dtype=np.int64).reshape(-1, 3)
    accounts = np.zeros(facts.n_customers)
    for customer_id, n in (
        Contact.objects.filter(tenant=facts.tenant, has_web_account=True)
        .order_by()
        .values_list("customer_id")
        .annotate(n=Count("id"))
    ):
        c = index.get(customer_id)
        if c is not None:
            accounts[c] = n
    facts.arrays["web_accounts"] = accounts


def _load_surveys(facts: Facts) -> None:
    start, _ = _window(facts)
    index = facts.extra["customer_index"]
    names = ("nps_n", "nps_promoters", "nps_detractors", "ces_n", "ces_sum")
    arrays = {name: _cm(facts) for name in names}
    rows = (
        SurveyResponse.objects.filter(
            tenant=facts.tenant, answered_on__gte=start.date(), answered_on__lte=facts.as_of
        )
        .annotate(month=month_number("answered_on"))
        .order_by()
        .values_list("customer_id", "month", "kind")
        .annotate(
            n=Count("id"),
            total=Sum("score"),
            promoters=Count("id", filter=Q(score__gte=9)),
            detractors=Count("id", filter=Q(score__lte=6)),
        )
    )
    for customer_id, month, kind, n, total, promoters, detractors in rows:
        c = index.get(customer_id)
        m = month - facts.month0
        if c is None or not 0 <= m < facts.n_months:
            continue
        if kind == SurveyResponse.Kind.NPS:
            arrays["nps_n"][c, m] += n
            arrays["nps_promoters"][c, m] += promoters
            arrays["nps_detractors"][c, m] += detractors
        else:
            arrays["ces_n"][c, m] += n
            arrays["ces_sum"][c, m] += total
    facts.arrays.update(arrays)


def _load_platform(facts: Facts) -> None:
    """Company-level monthly sums and counts of the daily platform samples."""
    start, _ = _window(facts)
    sums = {
        name: np.zeros((1, facts.n_months)) for name in ("uptime", "uptime_n", "load", "load_n")
    }
    rows = (
        PlatformSample.objects.filter(
            tenant=facts.tenant, date__gte=start.date(), date__lte=facts.as_of
        )
        .annotate(month=month_number("date"))
        .order_by()
        .values_list("month")
        .annotate(
            uptime=Sum("uptime_pct"),
            uptime_n=Count("uptime_pct"),
            load=Sum("median_page_load_ms"),
            load_n=Count("median_page_load_ms"),
        )
    )
    for month, uptime, uptime_n, load, load_n in rows:
        m = month - facts.month0
        if 0 <= m < facts.n_months:
            sums["uptime"][0, m] += float(uptime or 0)
            sums["uptime_n"][0, m] += uptime_n
            sums["load"][0, m] += float(load or 0)
            sums["load_n"][0, m] += load_n
    facts.arrays.update({f"platform_{k}": v for k, v in sums.items()})


def _load_funnel(facts: Facts) -> None:
    """Company-level monthly counts of funnel events per stage."""
    tz = facts.tenant.tzinfo
    start, end = _window(facts)
    stages = {s: np.zeros((1, facts.n_months)) for s in FunnelEvent.Stage.values}
    rows = (
        FunnelEvent.objects.filter(tenant=facts.tenant, occurred_at__gte=start, occurred_at__lt=end)
        .annotate(month=month_number("occurred_at", tz))
        .order_by()
        .values_list("month", "stage")
        .annotate(n=Count("id"))
    )
    for month, stage, n in rows:
        m = month - facts.month0
        if 0 <= m < facts.n_months:
            stages[stage][0, m] += n
    facts.arrays.update({f"funnel_{s}": v for s, v in stages.items()})


def _load_channels(facts: Facts) -> None:
    """Company-level month x channel: net revenue and non-return orders."""
    tz = facts.tenant.tzinfo
    start, end = _window(facts)
    channels = list(
        Channel.objects.filter(tenant=facts.tenant).order_by("code").values_list("id", "code")
    )
    position = {cid: i for i, (cid, _) in enumerate(channels)}
    revenue = np.zeros((len(channels), facts.n_months))
    orders = np.zeros((len(channels), facts.n_months))
    rows = (
        Order.objects.filter(tenant=facts.tenant, placed_at__gte=start, placed_at__lt=end)
        .annotate(month=month_number("placed_at", tz))
        .order_by()
        .values_list("month", "channel_id")
        .annotate(total=Sum("amount"), n=Count("id", filter=Q(is_return=False)))
    )
    for month, channel_id, total, n in rows:
        m = month - facts.month0
        k = position.get(channel_id)
        if k is not None and 0 <= m < facts.n_months:
            revenue[k, m] += float(total or 0)
            orders[k, m] += n
    facts.extra["channel_codes"] = [code for _, code in channels]
    facts.arrays["channel_revenue"] = revenue
    facts.arrays["channel_orders"] = orders


WEB_INFLUENCE_DAYS = 7


def _load_web_influence(facts: Facts) -> None:
    """Customer x month: offline-channel orders placed within N days after a web session of
    the same customer (N = the tenant's setting, default 7)."""
    tz = facts.tenant.tzinfo
    start, end = _window(facts)
    days = getattr(facts.tenant, "web_influence_days", WEB_INFLUENCE_DAYS)
    index = facts.extra["customer_index"]
    influenced = _cm(facts)
    window_start = ExpressionWrapper(
        OuterRef("placed_at") - timedelta(days=days), output_field=DateTimeFieldType()
    )
    session = WebActivity.objects.filter(
        tenant=facts.tenant,
        customer_id=OuterRef("customer_id"),
        kind=WebActivity.Kind.SESSION,
        occurred_at__lte=OuterRef("placed_at"),
        occurred_at__gte=window_start,
    )
    rows = (
        Order.objects.filter(
            tenant=facts.tenant,
            channel__is_online=False,
            is_return=False,
            placed_at__gte=start,
            placed_at__lt=end,
        )
        .filter(Exists(session))
        .annotate(month=month_number("placed_at", tz))
        .order_by()
        .values_list("customer_id", "month")
        .annotate(total=Sum("amount"))
    )
    for customer_id, month, total in rows:
        c = index.get(customer_id)
        m = month - facts.month0
        if c is not None and 0 <= m < facts.n_months:
            influenced[c, m] += float(total or 0)
    facts.arrays["web_influenced"] = influenced


__all__ = ["Facts", "as_lists", "load_facts", "ratio"]
