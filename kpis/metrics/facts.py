"""Facts for metrics: loaded once per run, with a constant number of grouped queries, into
customer x month arrays (numpy). Metric functions only do array arithmetic on these.

Month axis: from 12 months before the first period (for trailing-12-month measures) to the
month of the last period's end or the as-of date, whichever is earlier. Months are local
months of the tenant.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

import numpy as np
import psycopg
from django.db import connection
from django.db.models import Count, FloatField, Q, Sum
from django.db.models.functions import Cast, ExtractMonth, ExtractYear, TruncMonth
from psycopg import sql as pgsql
from scipy import sparse

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
from portal.db import background
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
    # Set when the facts of the months before this local date come from a stored snapshot
    # (kpis.metrics.snapshot): the orders and web activity are read from here on only.
    read_from: date | None = None

    @property
    def n_customers(self) -> int:
        return len(self.customer_ids)

    @property
    def n_periods(self) -> int:
        return len(self.periods)

    def month_axis_index(self, day: date) -> int:
        return month_index(day) - self.month0

    def regrain(self, grain: Grain, first: date, only: set[date] | None = None) -> Facts:
        """The same facts (arrays shared, nothing reloaded) measured in other periods: those
        of `grain` from `first` on, or only those of them in `only`; the month axis must
        already reach 12 months before `first`."""
        periods = _periods(self.tenant, grain, first, self.as_of, self.as_of)
        if only is not None:
            periods = [p for p in periods if p in only]
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

    def scope_sums(self, name: str, monthly) -> dict[tuple[str, str], np.ndarray]:
        """by_scope(sum_over_periods(monthly)) of a customer x month array: summed per scope
        member first, once per run (cached as `name`, shared by every grain and every metric
        that sums the same array), then over each period's months on the small member x month
        matrix. `monthly` is the (C, M) array or a function giving it (called at most once).
        Only for sums: a value that is not additive per customer needs by_scope."""

        def per_member():
            values = monthly() if callable(monthly) else monthly
            sums = self.by_scope(values)
            return list(sums), np.stack(list(sums.values()))

        keys, matrix = self.extra_cached(f"scope_months:{name}", per_member)
        per_period = self.sum_over_periods(matrix)
        return {key: per_period[i] for i, key in enumerate(keys)}

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

    def _scope_segments(self, scope: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(customer rows sorted by member, the members present, where each member starts)."""

        def compute():
            index = self.groups[scope][0]
            rows = np.flatnonzero(index >= 0)
            rows = rows[np.argsort(index[rows], kind="stable")]
            present, starts = np.unique(index[rows], return_index=True)
            return rows, present, starts

        return self.extra_cached(f"segments:{scope}", compute)

    def _membership(self, scope: str):
        """The scope's members x customers 0/1 matrix (sparse, rows in customer order)."""

        def compute():
            rows, present, starts = self._scope_segments(scope)
            members = len(self.groups[scope][1])
            counts = np.diff(np.append(starts, len(rows))) if len(rows) else np.zeros(0, int)
            indptr = np.zeros(members + 1, dtype=np.int64)
            indptr[present + 1] = counts
            return sparse.csr_matrix(
                (np.ones(len(rows)), rows, np.cumsum(indptr)), shape=(members, self.n_customers)
            )

        return self.extra_cached(f"membership:{scope}", compute)

    def by_scope(self, values: np.ndarray, scopes=None) -> dict[tuple[str, str], np.ndarray]:
        """Sum a (C, P) array per scope member: {(scope, member): (P,)}."""
        out: dict[tuple[str, str], np.ndarray] = {("company", ""): values.sum(axis=0)}
        for scope, (_index, members) in self.groups.items():
            if scopes is not None and scope not in scopes:
                continue
            # Members x customers (1s, customers in order) times the values: each member's
            # customers added one after the other, the order of a plain loop, in one product.
            sums = self._membership(scope) @ np.asarray(values, dtype=float)
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
    closed=None,
) -> Facts:
    """The facts of `grain`'s periods from `first` to `last`. `closed`: a usable snapshot of
    the closed months (kpis.metrics.snapshot.Closed): only the rows from its boundary on are
    read, and the months before it are taken from the snapshot (the same facts)."""
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
        read_from=closed.boundary if closed is not None else None,
    )
    reads_both = needs & {"web", "influence"} and needs & {
        "orders",
        "days",
        "channels",
        "influence",
    }
    if reads_both and background.available():
        # The two large reads overlap: the web activity on a second connection while this
        # one reads the customers and the orders (each is mostly the server's time, and there
        # are two cores). Not inside a transaction (tests): a second connection would not see
        # its rows. The events are matched to customers once both are here (_web_rows).
        facts.extra["web_rows_pending"] = background.beside(
            lambda: _web_rows_read(facts), name="koers-facts-read"
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
    # The small tables' reads (tens of thousands of survey answers and funnel events over the
    # whole month axis) overlap the large ones, on a second connection, when that is possible.
    small = [n for n in ("funnel", "platform", "surveys") if n in needs]
    pending = None
    if small and background.available():
        side = replace(facts, arrays={}, extra={"customer_index": facts.extra["customer_index"]})

        def read_small() -> dict[str, np.ndarray]:
            for need in small:
                loaders[need](side)
            return side.arrays

        pending = background.beside(read_small, name="koers-facts-small")
    for need in sorted(needs):
        if pending is None or need not in small:
            loaders[need](facts)
    if pending is not None:
        facts.arrays.update(pending.result())
    if closed is not None:
        closed.apply(facts)
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


# -- raw rows: one pass over the orders and one over the web activity -----------------------
#
# The two large tables are read once each per run, as narrow fixed-width columns; months,
# distinct days, first orders, channels and web-influenced orders are then grouped in numpy.
# On PostgreSQL each column arrives as one bytea of its values in binary (string_agg of
# int8send(...)), which numpy reads without a Python object per row: a million rows cost
# about two GROUP BY scans instead of seconds of row-by-row fetching.

ORDER_ROW = [
    ("customer", "i8"),
    ("day", "i4"),  # local date ordinal (date.toordinal())
    ("ts", "i8"),  # microseconds since 2000-01-01 UTC
    ("channel", "i8"),
    ("is_return", "u1"),
    ("cents", "i8"),
]
WEB_ROW = [
    ("customer", "i8"),
    ("contact", "i8"),  # -1: none
    ("day", "i4"),
    ("ts", "i8"),
    ("kind", "i2"),  # position in WEB_KINDS
    ("account", "u1"),  # the contact has a web account
]
WEB_KINDS = list(WebActivity.Kind.values)
PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
PG_EPOCH_ORDINAL = date(2000, 1, 1).toordinal()
MICROS_PER_DAY = 86_400_000_000
_SEND = {
    "i8": "int8send",
    "i2": "int2send",
    "u1": "boolsend",
    "ts": "timestamp_send",
    "tz": "timestamptz_send",
}


def _pg_columns(columns: list[tuple[str, str, str]], rest: str, params: dict) -> np.ndarray:
    """SELECT the (name, SQL expression, kind) columns FROM `rest` as a numpy record array.
    Kinds: i8, i2, u1 (boolean), ts / tz (a timestamp / with time zone: int8 microseconds
    since 2000-01-01)."""
    literals = {k: pgsql.Literal(v) for k, v in params.items()}
    selects = pgsql.SQL(", ").join(
        pgsql.SQL("string_agg({}({}), '')").format(
            pgsql.SQL(_SEND[kind]), pgsql.SQL(expr).format(**literals)
        )
        for _, expr, kind in columns
    )
    query = pgsql.SQL("SELECT {} FROM {}").format(selects, pgsql.SQL(rest).format(**literals))
    # Django's cursor connects and sets the tenant for row-level security; binary results
    # need psycopg's server-side binding cursor (Django's is client-side).
    with connection.cursor(), psycopg.Cursor(connection.connection) as raw:
        raw.execute(query, binary=True)
        values = raw.fetchone()
    wire = {"i8": ">i8", "i2": ">i2", "u1": "u1", "ts": ">i8", "tz": ">i8"}
    arrays = [
        np.frombuffer(value or b"", dtype=wire[kind])
        for value, (_, _, kind) in zip(values, columns, strict=True)
    ]
    out = np.empty(
        len(arrays[0]), dtype=[(name, wire[kind].lstrip("><")) for name, _, kind in columns]
    )
    for array, (name, _, _) in zip(arrays, columns, strict=True):
        out[name] = array
    return out


def _rows(layout, columns: dict[str, np.ndarray]) -> np.ndarray:
    n = len(next(iter(columns.values())))
    out = np.empty(n, dtype=np.dtype(layout))
    for name, _ in layout:
        out[name] = columns[name]
    return out


def _local_day(utc_micros: np.ndarray, tz) -> np.ndarray:
    """Local date ordinals of instants given as microseconds since 2000-01-01 UTC.

    The zone's UTC offset is constant between transitions: they are found by probing one
    instant a day over the span of the data and bisecting each change to the second, so the
    conversion is a lookup per row (cheaper than the database's AT TIME ZONE per row)."""
    if not len(utc_micros):
        return np.zeros(0, dtype=np.int64)
    seconds = utc_micros // 1_000_000
    lo, hi = int(seconds.min()), int(seconds.max())

    def offset(second: int) -> int:
        instant = PG_EPOCH + timedelta(seconds=second)
        return int(instant.astimezone(tz).utcoffset().total_seconds())

    starts, offsets = [lo], [offset(lo)]
    previous = lo
    for probe in range(lo + 86_400, hi + 86_400, 86_400):
        probe = min(probe, hi)
        if offset(probe) != offsets[-1]:
            before, after = previous, probe
            while after - before > 1:  # the first second of the new offset
                middle = (before + after) // 2
                if offset(middle) == offsets[-1]:
                    before = middle
                else:
                    after = middle
            starts.append(after)
            offsets.append(offset(after))
        previous = probe
    segment = np.searchsorted(np.array(starts, dtype=np.int64), seconds, side="right") - 1
    local = seconds + np.array(offsets, dtype=np.int64)[segment]
    return local // 86_400 + PG_EPOCH_ORDINAL


def _binary_columns() -> bool:
    """Read the large tables as binary columns (PostgreSQL), else row by row (SQLite)."""
    return connection.vendor == "postgresql"


def _micros(value: datetime) -> int:
    """Microseconds since 2000-01-01 UTC (PostgreSQL's own timestamp origin)."""
    delta = value - PG_EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _fields(records: np.ndarray) -> dict[str, np.ndarray]:
    return {name: records[name] for name in records.dtype.names}


def _customer_positions(facts: Facts, ids: np.ndarray) -> np.ndarray:
    """Index of each customer id in facts.customer_ids (sorted), -1 when unknown."""
    if not facts.n_customers or not len(ids):
        return np.full(len(ids), -1, dtype=np.int64)
    top = int(max(facts.customer_ids[-1], ids.max()))
    if top < 50 * (facts.n_customers + len(ids)):  # ids are dense enough for a lookup table
        lookup = np.full(top + 1, -1, dtype=np.int64)
        lookup[facts.customer_ids] = np.arange(facts.n_customers)
        return np.where(ids >= 0, lookup[np.maximum(ids, 0)], -1)
    position = np.searchsorted(facts.customer_ids, ids)
    clipped = np.minimum(position, facts.n_customers - 1)
    return np.where(facts.customer_ids[clipped] == ids, clipped, -1)


def _order_rows(facts: Facts) -> np.ndarray:
    """Every order placed before the end of the as-of day (the whole history: first orders
    and churn need it), one record per order, `customer` an index into customer_ids."""

    def load() -> np.ndarray:
        tz = facts.tenant.tzinfo
        _, end = _window(facts)
        # The whole history, or from the snapshot's boundary on.
        begin = local_midnight(facts.read_from, tz) if facts.read_from else None
        if _binary_columns():
            raw = _pg_columns(
                [
                    ("customer", "customer_id", "i8"),
                    ("ts", "placed_at", "tz"),
                    ("channel", "channel_id", "i8"),
                    ("is_return", "is_return", "u1"),
                    ("cents", "(amount * 100)::bigint", "i8"),
                ],
                "customers_order WHERE tenant_id = {tenant} AND placed_at < {end}"
                + (" AND placed_at >= {begin}" if begin is not None else ""),
                {"tenant": facts.tenant.pk, "end": end, "begin": begin},
            )
            rows = _rows(ORDER_ROW, {**_fields(raw), "day": _local_day(raw["ts"], tz)})
        else:
            orders = Order.objects.filter(tenant=facts.tenant, placed_at__lt=end)
            if begin is not None:
                orders = orders.filter(placed_at__gte=begin)
            values = orders.order_by().values_list(
                "customer_id", "placed_at", "channel_id", "is_return", "amount"
            )
            rows = np.array(
                [
                    (c, at.astimezone(tz).date().toordinal(), _micros(at), ch, r, round(a * 100))
                    for c, at, ch, r, a in values
                ],
                dtype=np.dtype(ORDER_ROW),
            ).reshape(-1)
        rows["customer"] = _customer_positions(facts, rows["customer"])
        return rows[rows["customer"] >= 0]

    return facts.extra_cached("order_rows", load)


def _web_rows(facts: Facts) -> np.ndarray:
    """Web activity from N days before the month axis (web-influence windows reach back) to
    the end of the as-of day, one record per event (read in the background when
    load_facts started that)."""

    def load() -> np.ndarray:
        pending = facts.extra.pop("web_rows_pending", None)
        rows = pending.result() if pending is not None else _web_rows_read(facts)
        rows["customer"] = _customer_positions(facts, rows["customer"])
        return rows[rows["customer"] >= 0]

    return facts.extra_cached("web_rows", load)


def _web_rows_read(facts: Facts) -> np.ndarray:
    """The web rows of _web_rows as read from the database, `customer` still the id (needs
    only the facts' tenant and month axis: it may run before the customers are loaded)."""
    tz = facts.tenant.tzinfo
    start, end = _window(facts)
    if facts.read_from is not None:  # the months before come from the snapshot
        start = max(start, local_midnight(facts.read_from, tz))
    start -= timedelta(days=getattr(facts.tenant, "web_influence_days", WEB_INFLUENCE_DAYS))
    if _binary_columns():
        kinds = " ".join(f"WHEN '{k}' THEN {i}" for i, k in enumerate(WEB_KINDS))
        raw = _pg_columns(
            [
                ("customer", "customer_id", "i8"),
                ("contact", "COALESCE(contact_id, -1)", "i8"),
                ("ts", "occurred_at", "tz"),
                ("kind", f"(CASE kind {kinds} ELSE -1 END)::smallint", "i2"),
            ],
            # The kinds named (every kind the metrics count: the others would be dropped) let
            # a night's read of a few days use the (tenant, kind, time) index instead of
            # scanning the whole table.
            "customers_webactivity WHERE tenant_id = {tenant} AND kind = ANY({kinds}) "
            "AND occurred_at >= {start} AND occurred_at < {end}",
            {"tenant": facts.tenant.pk, "kinds": WEB_KINDS, "start": start, "end": end},
        )
        accounts = account_contacts(facts)
        raw_fields = _fields(raw)
        raw_fields["account"] = np.isin(raw["contact"], accounts)
        rows = _rows(WEB_ROW, {**raw_fields, "day": _local_day(raw["ts"], tz)})
    else:
        values = (
            WebActivity.objects.filter(
                tenant=facts.tenant, kind__in=WEB_KINDS, occurred_at__gte=start, occurred_at__lt=end
            )
            .order_by()
            .values_list(
                "customer_id", "contact_id", "occurred_at", "kind", "contact__has_web_account"
            )
        )
        code = {k: i for i, k in enumerate(WEB_KINDS)}
        rows = np.array(
            [
                (
                    c,
                    -1 if ct is None else ct,
                    at.astimezone(tz).date().toordinal(),
                    _micros(at),
                    code.get(kind, -1),
                    bool(account),
                )
                for c, ct, at, kind, account in values
            ],
            dtype=np.dtype(WEB_ROW),
        ).reshape(-1)
    return rows


def _in_window(facts: Facts, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(customer index, month on the axis, inside the month axis up to the as-of day)."""
    days = rows["day"].astype(np.int64)
    months = (days - EPOCH_ORDINAL).astype("datetime64[D]").astype("datetime64[M]")
    m = months.astype(np.int64) + 1970 * 12 - facts.month0
    inside = (m >= 0) & (m < facts.n_months) & (days <= facts.as_of.toordinal())
    return rows["customer"].astype(np.int64), np.where(inside, m, 0), inside


def _channel_online(facts: Facts, channel_ids: np.ndarray) -> np.ndarray:
    """Whether each channel id is an online channel (unknown ids: offline)."""
    flags = facts.extra_cached(
        "channel_online",
        lambda: dict(Channel.objects.filter(tenant=facts.tenant).values_list("id", "is_online")),
    )
    online_ids = np.array(sorted(k for k, v in flags.items() if v), dtype=np.int64)
    return np.isin(channel_ids, online_ids)


def _searchsorted_pairs(
    major: np.ndarray, minor: np.ndarray, q_major: np.ndarray, q_minor: np.ndarray
) -> np.ndarray:
    """For (major, minor) pairs sorted lexicographically: how many are <= each query pair."""
    packed = _packed_keys((major, minor), (q_major, q_minor))
    if packed is not None:  # one integer per pair: a plain binary search
        keys, queries = packed
        return np.searchsorted(keys, queries, side="right")
    n = len(major)
    both_major = np.concatenate([major, q_major])
    both_minor = np.concatenate([minor, q_minor])
    is_query = np.concatenate([np.zeros(n, dtype=np.int8), np.ones(len(q_major), dtype=np.int8)])
    order = np.lexsort((is_query, both_minor, both_major))
    # Running count of data pairs up to each position of the merged order.
    seen = np.cumsum(is_query[order] == 0)
    out = np.empty(len(q_major), dtype=np.int64)
    queries = is_query[order] == 1
    out[order[queries] - n] = seen[queries]
    return out


def last_pair_at_or_before(
    major: np.ndarray, minor: np.ndarray, q_major: np.ndarray, q_minor: np.ndarray
) -> np.ndarray:
    """For (major, minor) pairs sorted lexicographically: the index of the last pair with the
    query's major and a minor <= the query's, per query pair; -1 when there is none."""
    position = _searchsorted_pairs(major, minor, q_major, q_minor) - 1
    found = position >= 0
    found[found] = major[position[found]] == q_major[found]
    return np.where(found, position, -1)


def merge_slots(first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the items of two sorted arrays go in their merge (equal keys of `first` before
    `second`): (positions of `second`'s items, a mask of `first`'s positions). No sort."""
    at = np.searchsorted(first, second, side="right") + np.arange(len(second))
    of_first = np.ones(len(first) + len(second), dtype=bool)
    of_first[at] = False
    return at, of_first


def _account_contact_rows(facts: Facts) -> np.ndarray:
    """(contact id, customer id) of the tenant's contacts with a web account, sorted by
    contact (one read per Facts, for both accessors below)."""

    def read():
        rows = (
            Contact.objects.filter(tenant=facts.tenant, has_web_account=True)
            .order_by("id")
            .values_list("id", "customer_id")
        )
        return np.array(list(rows), dtype=np.int64).reshape(-1, 2)

    return facts.extra_cached("account_contacts", read)


def account_contacts(facts: Facts) -> np.ndarray:
    """Ids of the tenant's contacts with a web account, sorted."""
    return _account_contact_rows(facts)[:, 0]


def _packed_keys(*pairs: tuple[np.ndarray, np.ndarray]) -> list[np.ndarray] | None:
    """Each (major, minor) pair of arrays (non-negative majors) as single int64 keys, all
    ordered like the pairs and comparable with each other; None when empty or when they do
    not fit in 63 bits."""
    if any(not len(major) for major, _ in pairs):
        return None
    low = min(int(minor.min()) for _, minor in pairs)
    span = max(int(minor.max()) for _, minor in pairs) - low + 1
    top = max(int(major.max()) for major, _ in pairs)
    shift = span.bit_length()
    if min(int(major.min()) for major, _ in pairs) < 0 or top.bit_length() + shift > 62:
        return None
    return [
        (major.astype(np.int64) << shift) | (minor.astype(np.int64) - low) for major, minor in pairs
    ]


def _load_customers(facts: Facts) -> None:
    query, params = (
        Customer.objects.filter(tenant=facts.tenant)
        .order_by("id")
        # The wallet as a float in the database: the same value as float(Decimal) (both are
        # correctly rounded), without a Decimal per row.
        .annotate(wallet=Cast("estimated_wallet", FloatField()))
        .values_list("id", "department_id", "account_manager_id", "country", "wallet")
        .query.sql_with_params()
    )
    with connection.cursor() as cursor:  # tuples as the driver gives them: 20,000 rows
        cursor.execute(query, params)
        rows = cursor.fetchall()
    ids, departments, reps, countries, wallets = zip(*rows, strict=True) if rows else [()] * 5
    facts.customer_ids = np.array(ids, dtype=np.int64)
    facts.extra["customer_index"] = {cid: i for i, cid in enumerate(ids)}
    for scope, column in (("department", departments), ("rep", reps), ("country", countries)):
        present = set(column) - {None, ""}
        members = sorted(str(v) for v in present)
        by_text = {m: i for i, m in enumerate(members)}
        lookup = {v: by_text[str(v)] for v in present}
        index = np.array([lookup.get(v, -1) for v in column], dtype=np.int64)
        facts.groups[scope] = (index, members)
    facts.arrays["wallet"] = np.array([np.nan if w is None else w for w in wallets], dtype=float)


def _cm(facts: Facts) -> np.ndarray:
    return np.zeros((facts.n_customers, facts.n_months))


def _load_orders(facts: Facts) -> None:
    """Customer x month x online: gross (non-return) value, returned value, counts; and each
    customer's first non-return order day (over the whole history)."""
    rows = _order_rows(facts)
    c, m, inside = _in_window(facts, rows)
    online = _channel_online(facts, rows["channel"]).astype(np.int64)
    is_return = rows["is_return"].astype(bool)
    shape = (2, facts.n_customers, facts.n_months)
    flat = (online * facts.n_customers + c) * facts.n_months + m
    cents = rows["cents"].astype(float)
    for name, mask, weights, sign in (
        ("gross", ~is_return, cents, 1),
        ("returns", is_return, cents, -1),
        ("orders", ~is_return, None, 1),
        ("return_count", is_return, None, 1),
    ):
        keep = inside & mask
        sums = np.bincount(
            flat[keep],
            weights=None if weights is None else weights[keep],
            minlength=2 * facts.n_customers * facts.n_months,
        ).reshape(shape)
        facts.arrays[name] = sums / 100 * sign + 0.0 if weights is not None else sums + 0.0
    first_day = np.full(facts.n_customers, np.iinfo(np.int64).max, dtype=np.int64)
    sales = ~is_return
    np.minimum.at(first_day, rows["customer"][sales], rows["day"][sales].astype(np.int64))
    first_day[first_day == np.iinfo(np.int64).max] = -1
    facts.arrays["first_order_day"] = first_day


def _load_order_days(facts: Facts) -> None:
    """Distinct local order days over the whole history up to the as-of date (churn and
    returns-only need them), as flat arrays sorted by customer and day:
    extra["order_days"] (non-return) and extra["return_days"] = (customer index, day ordinal)."""
    rows = _order_rows(facts)
    is_return = rows["is_return"].astype(bool)
    for name, mask in (("order_days", ~is_return), ("return_days", is_return)):
        facts.extra[name] = _distinct_pairs(
            rows["customer"][mask].astype(np.int64), rows["day"][mask].astype(np.int64)
        )


def _distinct_pairs(major: np.ndarray, minor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (major, minor) pairs of non-negative integers, sorted. On a dense grid
    (a flag per possible pair, read back in order) when it is small, else by sorting."""
    if not len(major):
        return major, minor
    low = int(minor.min())
    width = int(minor.max()) - low + 1
    if (int(major.max()) + 1) * width <= 64_000_000:
        grid = np.zeros((int(major.max()) + 1) * width, dtype=bool)
        grid[major * width + (minor - low)] = True
        keys = np.flatnonzero(grid)
        return keys // width, keys % width + low
    keys = np.unique((major << 32) | minor)
    return keys >> 32, keys & 0xFFFFFFFF


def _load_web(facts: Facts) -> None:
    """Customer x month counts per web-activity kind; distinct contacts logging in."""
    rows = _web_rows(facts)
    c, m, inside = _in_window(facts, rows)
    # Every kind's customer x month counts in one pass: (kind, customer, month) cells.
    kinds = rows["kind"].astype(np.int64)
    known = inside & (kinds >= 0)
    counts = np.bincount(
        (kinds[known] * facts.n_customers + c[known]) * facts.n_months + m[known],
        minlength=len(WEB_KINDS) * facts.n_customers * facts.n_months,
    ).reshape(len(WEB_KINDS), facts.n_customers, facts.n_months)
    for code, kind in enumerate(WEB_KINDS):
        facts.arrays[f"web_{kind}"] = counts[code] + 0.0
    # Contacts with a web account who logged in: distinct per period, so keep (contact, month).
    # Every contact's logins are kept as well (the snapshot stores them: whether a contact
    # has a web account is read at each run).
    keep = (
        inside & (rows["kind"] == WEB_KINDS.index(WebActivity.Kind.LOGIN)) & (rows["contact"] >= 0)
    )
    contacts, months = rows["contact"][keep].astype(np.int64), m[keep]
    _, first = np.unique(contacts * facts.n_months + months, return_index=True)
    # (contact id, customer index, month on the axis, has a web account) per contact and month
    logins = np.stack(
        [contacts[first], c[keep][first], months[first], rows["account"][keep][first]], axis=1
    ).reshape(-1, 4)
    facts.extra["contact_logins"] = logins
    facts.extra["contact_login_months"] = logins[logins[:, 3] == 1][:, :3]
    # Contacts with a web account per customer, from the same read as the account ids.
    at = _customer_positions(facts, _account_contact_rows(facts)[:, 1])
    facts.arrays["web_accounts"] = np.bincount(at[at >= 0], minlength=facts.n_customers) + 0.0


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
        # date_trunc, not month_number: EXTRACT of a zoned timestamp is numeric arithmetic
        # per row, twice as slow over the tens of thousands of events a year.
        .annotate(month=TruncMonth("occurred_at", tzinfo=tz))
        .order_by()
        .values_list("month", "stage")
        .annotate(n=Count("id"))
    )
    for month, stage, n in rows:
        m = month_index(month) - facts.month0
        if 0 <= m < facts.n_months:
            stages[stage][0, m] += n
    facts.arrays.update({f"funnel_{s}": v for s, v in stages.items()})


def _load_channels(facts: Facts) -> None:
    """Company-level month x channel: net revenue and non-return orders."""
    channels = list(
        Channel.objects.filter(tenant=facts.tenant).order_by("code").values_list("id", "code")
    )
    rows = _order_rows(facts)
    _, m, inside = _in_window(facts, rows)
    ids = np.array([cid for cid, _ in channels], dtype=np.int64)
    order = np.argsort(ids)
    where = np.searchsorted(ids[order], rows["channel"])
    known = inside & (where < len(ids))
    known[known] = ids[order][where[known]] == rows["channel"][known]
    k = order[where[known]]
    cells = len(channels) * facts.n_months
    flat = k * facts.n_months + m[known]
    revenue = np.bincount(flat, weights=rows["cents"][known].astype(float), minlength=cells)
    sales = ~rows["is_return"][known].astype(bool)
    orders = np.bincount(flat[sales], minlength=cells) + 0.0
    facts.extra["channel_codes"] = [code for _, code in channels]
    facts.extra["channel_ids"] = ids
    facts.arrays["channel_revenue"] = revenue.reshape(len(channels), facts.n_months) / 100 + 0.0
    facts.arrays["channel_orders"] = orders.reshape(len(channels), facts.n_months)


WEB_INFLUENCE_DAYS = 7


def _load_web_influence(facts: Facts) -> None:
    """Customer x month: offline-channel orders placed within N days after a web session of
    the same customer (N = the tenant's setting, default 7)."""
    days = getattr(facts.tenant, "web_influence_days", WEB_INFLUENCE_DAYS)
    rows = _order_rows(facts)
    c, m, inside = _in_window(facts, rows)
    offline = inside & ~_channel_online(facts, rows["channel"]) & ~rows["is_return"].astype(bool)
    web = _web_rows(facts)
    session = web["kind"] == WEB_KINDS.index(WebActivity.Kind.SESSION)
    # Sessions sorted by (customer, time); for each order, the latest session of the same
    # customer at or before the order: influenced when it is at most N days earlier.
    s_customer, s_ts = web["customer"][session], web["ts"][session]
    packed = _packed_keys((s_customer, s_ts))
    order = np.argsort(packed[0]) if packed is not None else np.lexsort((s_ts, s_customer))
    s_customer, s_ts = s_customer[order], s_ts[order]
    o_customer, o_ts = rows["customer"][offline], rows["ts"][offline]
    position = last_pair_at_or_before(s_customer, s_ts, o_customer, o_ts)
    found = position >= 0
    found[found] = s_ts[position[found]] >= o_ts[found] - days * 86_400_000_000
    flat = (c[offline] * facts.n_months + m[offline])[found]
    influenced = np.bincount(
        flat,
        weights=rows["cents"][offline][found].astype(float),
        minlength=facts.n_customers * facts.n_months,
    )
    facts.arrays["web_influenced"] = influenced.reshape(facts.n_customers, facts.n_months) / 100


__all__ = ["Facts", "as_lists", "last_pair_at_or_before", "load_facts", "ratio"]
