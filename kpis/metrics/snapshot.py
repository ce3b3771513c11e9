"""The facts snapshot: the recompute's facts of a tenant's closed months, stored once a month
by a full load, so that the nightly run reads only the current month's orders and web
activity (docs/architecture.md, "The facts snapshot").

What is stored (kpis.FactsSnapshot.data, one `np.savez` blob) is exactly what a full load
computes for the months before the boundary (the first day of the as-of month): every
customer x month cell of the order and web arrays, the channel x month sums, each customer's
first order day if it lies before the boundary, the distinct order and return days before it,
and every contact's login months. Cells of a month hold only rows of that month, so the facts
the nightly run assembles (these months from the snapshot, the rest from the rows read) are
the facts of a full load, value for value. The small tables (surveys, platform samples,
funnel events) and the customers (scopes, wallets, web accounts) are read at every run.

A snapshot is used only when it is fresh:
- `stale` is false: triggers on the orders and the web activity (kpis/db/snapshot_triggers.py)
  set it when any statement writes, changes or deletes a row dated before the boundary;
- its boundary is the as-of month's first day (a new month starts with one full load);
- it reaches back as far as the run's month axis and holds every fact family the run needs;
- the fingerprint matches: the tenant's time zone, web-influence window and which channels are
  online (each changes how rows fall into the stored cells).

The protocol against concurrent writes: `begin` marks the snapshot fresh (new generation, no
data) *before* the full load reads the rows, and `store` writes the data of that generation.
A write into the closed months that commits after `begin` sets `stale` (the snapshot is not
used even if the load saw the write); one that committed before it is in what the load read.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import date

import numpy as np
import psycopg
from django.db import connection
from django.utils import timezone

from customers.models import Channel
from kpis.metrics.customers import closed_gaps
from kpis.metrics.facts import _customer_positions, account_contacts, merge_slots
from kpis.models import FactsSnapshot
from kpis.periods import local_midnight, month_index
from portal.models import Tenant

FORMAT = 4  # bump when what is stored changes: older snapshots are then not used
# customer x month arrays (with a leading online axis for the order arrays) per fact family
CELL_ARRAYS = {
    "orders": ("gross", "returns", "orders", "return_count"),
    "web": (
        "web_login",
        "web_session",
        "web_download",
        "web_catalogue_request",
        "web_sample_request",
        "web_account_created",
    ),
    "influence": ("web_influenced",),
}
FAMILIES = frozenset({"orders", "days", "web", "channels", "influence"})


def boundary_for(as_of: date) -> date:
    """The first day not covered by the as-of date's snapshot: the as-of month's first day."""
    return as_of.replace(day=1)


def fingerprint(tenant: Tenant) -> str:
    channels = sorted(
        Channel.objects.filter(tenant=tenant).values_list("id", "is_online").order_by()
    )
    text = repr(
        (
            FORMAT,
            tenant.timezone,
            int(getattr(tenant, "web_influence_days", 7)),
            channels,
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Closed:
    """A usable snapshot: its boundary and stored arrays (applied to loaded facts by
    `apply`)."""

    boundary: date
    month0: int  # month index of the first stored month
    families: frozenset[str]
    arrays: dict[str, np.ndarray]

    def apply(self, facts) -> None:
        """Put the stored months into `facts`, whose rows were read from the boundary on."""
        b = month_index(self.boundary) - facts.month0  # axis months [0, b) come from here
        if b <= 0:
            return
        positions = _customer_positions(facts, self.arrays["customer_ids"].astype(np.int64))
        same_customers = np.array_equal(self.arrays["customer_ids"], facts.customer_ids)
        start = facts.month0 - self.month0  # the stored month of axis month 0
        for family, names in CELL_ARRAYS.items():
            if family not in self.families:
                continue
            for name in names:
                if name not in facts.arrays:
                    continue
                target = facts.arrays[name]
                if not target.flags.c_contiguous:  # written through a flat view below
                    target = facts.arrays[name] = np.ascontiguousarray(target)
                target[..., :b] = 0.0
                _, stored_customers, stored_months = (int(v) for v in self.arrays[f"{name}:shape"])
                cells = np.cumsum(self.arrays[f"{name}:cells"], dtype=np.int64)
                values = _unpack(self.arrays, f"{name}:values")
                lead_customer, month = np.divmod(cells, stored_months)
                axis = month - start
                if same_customers:
                    rows = lead_customer  # lead * customers + customer, as in the target
                else:
                    lead, customer = np.divmod(lead_customer, stored_customers)
                    found = positions[customer]
                    rows = np.where(found >= 0, lead * facts.n_customers + found, -1)
                keep = (rows >= 0) & (axis >= 0) & (axis < b)
                flat = rows[keep] * facts.n_months + axis[keep]
                target.reshape(-1)[flat] = values[keep]
        if "first_order_day" in facts.arrays:
            stored = np.full(facts.n_customers, -1, dtype=np.int64)
            found = positions >= 0
            stored[positions[found]] = self.arrays["first_order_day"][found]
            first = facts.arrays["first_order_day"]
            facts.arrays["first_order_day"] = np.where(stored >= 0, stored, first)
        for name in ("order_days", "return_days"):
            if name in facts.extra:
                facts.extra[name] = self._days(facts, name, positions)
        if "order_days" in facts.extra and "closed_gaps" in self.arrays:
            # Each stored customer has one gap fewer than stored days (none without days).
            per_customer = np.maximum(self.arrays["order_days:counts"].astype(np.int64) - 1, 0)
            owners = np.repeat(positions, per_customer)
            gaps = self.arrays["closed_gaps"].astype(np.int64)
            known = owners >= 0
            facts.extra["closed_gaps"] = (owners[known] << 24) | gaps[known]
            facts.extra["gaps_from"] = self.boundary.toordinal()
        if "contact_logins" in facts.extra:
            self._logins(facts, b, start)
        if "channel_revenue" in facts.arrays:
            where = {int(cid): k for k, cid in enumerate(facts.extra["channel_ids"])}
            for name in ("channel_revenue", "channel_orders"):
                target = facts.arrays[name]
                target[:, :b] = 0.0
                for j, cid in enumerate(self.arrays["channel_ids"]):
                    k = where.get(int(cid))
                    if k is not None:
                        target[k, :b] = self.arrays[name][j, start : start + b]

    def _days(self, facts, name: str, positions: np.ndarray):
        """The distinct (customer, day) pairs: the stored ones (before the boundary) and the
        read ones (from it on), sorted by customer and day."""
        counts = self.arrays[f"{name}:counts"]
        customers = np.repeat(positions, counts)
        days = self.arrays[f"{name}:days"].astype(np.int64) + int(self.arrays[f"{name}:low"])
        known = customers >= 0
        read_customers, read_days = facts.extra[name]
        later = read_days >= self.boundary.toordinal()
        stored_customers, stored_days = customers[known], days[known]
        read_customers, read_days = read_customers[later], read_days[later]
        # Both lists are sorted by customer and day (the stored ids map to positions in the
        # same order), and each customer's stored days precede the read ones: the read pairs
        # go in after the stored pairs of their customer (a merge, no sort).
        at, stored_at = merge_slots(stored_customers, read_customers)
        total = len(stored_at)
        out_customers = np.empty(total, dtype=np.int64)
        out_days = np.empty(total, dtype=np.int64)
        out_customers[at], out_days[at] = read_customers, read_days
        out_customers[stored_at], out_days[stored_at] = stored_customers, stored_days
        return out_customers, out_days

    def _logins(self, facts, b: int, start: int) -> None:
        stored = self.arrays["contact_logins"].astype(np.int64)  # (contact, customer, month)
        accounts = account_contacts(facts)
        rows = _customer_positions(facts, stored[:, 1])
        axis = stored[:, 2] - start
        keep = (rows >= 0) & (axis >= 0) & (axis < b)
        flag = np.isin(stored[keep, 0], accounts).astype(np.int64)
        before = np.stack([stored[keep, 0], rows[keep], axis[keep], flag], axis=1)
        read = facts.extra["contact_logins"]
        logins = np.concatenate([before, read[read[:, 2] >= b]]).reshape(-1, 4)
        facts.extra["contact_logins"] = logins
        facts.extra["contact_login_months"] = logins[logins[:, 3] == 1][:, :3]


def _pack(arrays: dict, name: str, values: np.ndarray) -> None:
    """Store float values in the fewest bytes that give them back exactly: whole counts as
    integers, amounts as integer cents (x / 100 is how the loaders made them), else floats."""
    whole = np.round(values)
    if len(values) and np.array_equal(whole, values) and np.abs(whole).max() < 2**31:
        arrays[name], arrays[f"{name}:scale"] = whole.astype(np.int32), np.array(1)
        return
    cents = np.round(values * 100)
    if len(values) and np.array_equal(cents / 100, values) and np.abs(cents).max() < 2**31:
        arrays[name], arrays[f"{name}:scale"] = cents.astype(np.int32), np.array(100)
        return
    arrays[name], arrays[f"{name}:scale"] = values, np.array(0)


def _unpack(arrays: dict, name: str) -> np.ndarray:
    scale = int(arrays[f"{name}:scale"])
    values = arrays[name]
    if scale == 0:
        return values
    return values.astype(np.float64) if scale == 1 else values.astype(np.float64) / scale


def _narrow(values: np.ndarray) -> np.ndarray:
    """Non-negative integers in the smallest unsigned type that holds them."""
    top = int(values.max()) if len(values) else 0
    for kind in (np.uint8, np.uint16, np.uint32):
        if top <= np.iinfo(kind).max:
            return values.astype(kind)
    return values.astype(np.int64)


def usable(*, tenant: Tenant, as_of: date, month0: int, needs: frozenset[str]) -> Closed | None:
    """The tenant's snapshot for a run of `as_of` whose month axis starts at `month0`, or
    None when there is none that may be used (then the run loads everything)."""
    boundary = boundary_for(as_of)
    row = (
        FactsSnapshot.objects.filter(
            tenant=tenant,
            stale=False,
            data__isnull=False,
            boundary_at=local_midnight(boundary, tenant.tzinfo),
            month0__lte=month0,
        )
        .values_list("pk", "month0", "fingerprint")
        .first()
    )
    if row is None or row[2] != fingerprint(tenant):
        return None
    data = _data(row[0])
    if data is None:
        return None
    arrays = dict(np.load(io.BytesIO(data), allow_pickle=False))
    families = frozenset(str(f) for f in arrays.pop("families"))
    if not (needs & FAMILIES) <= families:
        return None
    return Closed(boundary=boundary, month0=row[1], families=families, arrays=arrays)


def _data(pk: int) -> bytes | None:
    """The stored blob; on PostgreSQL read in binary (as text it arrives twice its size in
    hex, and decoding that cost three times the read)."""
    if connection.vendor != "postgresql":
        data = FactsSnapshot.objects.filter(pk=pk).values_list("data", flat=True).first()
        return None if data is None else bytes(data)
    with connection.cursor(), psycopg.Cursor(connection.connection) as raw:
        raw.execute(
            f"SELECT data FROM {FactsSnapshot._meta.db_table} WHERE id = %s", [pk], binary=True
        )
        found = raw.fetchone()
    return None if found is None or found[0] is None else bytes(found[0])


def begin(*, tenant: Tenant, as_of: date) -> int:
    """Mark the snapshot of `as_of`'s boundary fresh, before a full load reads the rows;
    returns the generation for `store`."""
    boundary_at = local_midnight(boundary_for(as_of), tenant.tzinfo)
    # Without the blob: reading the old one (megabytes, as hex text) only to drop it cost a
    # full run more than a tenth of a second.
    snapshot, _created = FactsSnapshot.objects.defer("data").get_or_create(
        tenant=tenant, defaults={"boundary_at": boundary_at, "month0": 0}
    )
    FactsSnapshot.objects.filter(pk=snapshot.pk).update(
        boundary_at=boundary_at, stale=False, data=None, size=0, generation=snapshot.generation + 1
    )
    return snapshot.generation + 1


def store(facts, *, generation: int, needs: frozenset[str]) -> int:
    """Store the closed months of a full load's facts under `generation`; returns the size in
    bytes (0 when the facts do not reach the boundary or a newer load began meanwhile)."""
    boundary = boundary_for(facts.as_of)
    b = month_index(boundary) - facts.month0
    if b <= 0 or facts.read_from is not None:
        return 0
    families = sorted(needs & FAMILIES)
    arrays: dict[str, np.ndarray] = {
        "families": np.array(families, dtype="U16"),
        "customer_ids": facts.customer_ids,
    }
    for family, names in CELL_ARRAYS.items():
        if family not in families:
            continue
        for name in names:
            closed = np.ascontiguousarray(facts.arrays[name][..., :b])
            shape = closed.shape if closed.ndim == 3 else (1, *closed.shape)
            cells = np.flatnonzero(closed)
            arrays[f"{name}:shape"] = np.array(shape, dtype=np.int64)
            # The cells' flat indices as differences (sorted, mostly a few apart).
            arrays[f"{name}:cells"] = _narrow(np.diff(cells, prepend=0))
            _pack(arrays, f"{name}:values", closed.reshape(-1)[cells])
    if "first_order_day" in facts.arrays:
        first = facts.arrays["first_order_day"]
        arrays["first_order_day"] = np.where(first < boundary.toordinal(), first, -1)
    for name in ("order_days", "return_days"):
        if name in facts.extra:
            customers, days = facts.extra[name]
            before = days < boundary.toordinal()
            counts = np.bincount(customers[before], minlength=facts.n_customers)
            low = int(days[before].min()) if before.any() else 0
            arrays[f"{name}:counts"] = _narrow(counts)
            arrays[f"{name}:days"] = _narrow(days[before] - low)
            arrays[f"{name}:low"] = np.array(low, dtype=np.int64)
    if "order_days" in facts.extra:
        gaps = closed_gaps(*facts.extra["order_days"], boundary.toordinal())
        if gaps is not None:  # sorted per customer; whose they are follows from the day counts
            arrays["closed_gaps"] = _narrow(gaps & (2**24 - 1))
    if "contact_logins" in facts.extra:
        logins = facts.extra["contact_logins"]
        logins = logins[logins[:, 2] < b]
        arrays["contact_logins"] = _narrow(
            np.stack([logins[:, 0], facts.customer_ids[logins[:, 1]], logins[:, 2]], axis=1)
            .reshape(-1, 3)
            .astype(np.int64)
        )
    if "channel_revenue" in facts.arrays:
        arrays["channel_ids"] = np.asarray(facts.extra["channel_ids"], dtype=np.int64)
        for name in ("channel_revenue", "channel_orders"):
            arrays[name] = np.ascontiguousarray(facts.arrays[name][:, :b])
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    data = buffer.getvalue()
    FactsSnapshot.objects.filter(tenant=facts.tenant, generation=generation).update(
        data=data,
        size=len(data),
        month0=facts.month0,
        fingerprint=fingerprint(facts.tenant),
        stored_at=timezone.now(),
    )
    return len(data)
