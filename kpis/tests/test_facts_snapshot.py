"""The facts snapshot (kpis/metrics/snapshot.py): the nightly run reads the closed months from
a stored snapshot and only the as-of month's rows, and gets the facts of a full load; any write
into the closed months, or a change to how rows fall into months, makes the next run read
every row again. On the hand-made shop of test_metrics (as of 2026-04-15, Amsterdam time:
the boundary is 1 April 00:00 local = 31 March 22:00 UTC, with orders, logins and sessions on
either side of it)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import pytest

from customers.models import Channel, Customer, Order, WebActivity
from kpis.metrics import CATALOGUE, snapshot
from kpis.metrics.facts import load_facts
from kpis.metrics.registry import compute_series
from kpis.models import FactsSnapshot, Kpi, Measurement
from kpis.recompute import measurements_recompute
from kpis.tests.test_metrics import AS_OF, shop  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db

FIRST = date(2025, 1, 1)
NEEDS = frozenset().union(*(m.needs for m in CATALOGUE.values()))


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _full(tenant, as_of=AS_OF):
    return load_facts(
        tenant=tenant, grain="month", first=FIRST, last=as_of, as_of=as_of, needs=NEEDS
    )


def _stored(tenant, as_of=AS_OF):
    generation = snapshot.begin(tenant=tenant, as_of=as_of)
    return snapshot.store(_full(tenant, as_of), generation=generation, needs=NEEDS)


def _usable(tenant, as_of=AS_OF, facts=None):
    facts = facts or _full(tenant, as_of)
    return snapshot.usable(tenant=tenant, as_of=as_of, month0=facts.month0, needs=NEEDS)


def _from_snapshot(tenant, closed, as_of=AS_OF):
    return load_facts(
        tenant=tenant,
        grain="month",
        first=FIRST,
        last=as_of,
        as_of=as_of,
        needs=NEEDS,
        closed=closed,
    )


def _every_value(facts):
    out = {}
    for grain, first in (("month", FIRST), ("quarter", FIRST), ("year", FIRST)):
        grained = facts.regrain(grain, first)
        for key, series in compute_series(keys=sorted(CATALOGUE), facts=grained).items():
            out[(grain, key)] = series
    return out


def test_facts_from_the_snapshot_are_those_of_a_full_load_for_every_metric(shop):  # noqa: F811
    tenant = shop.tenant
    assert _stored(tenant) > 0
    closed = _usable(tenant)
    assert closed is not None and closed.boundary == date(2026, 4, 1)
    part = _from_snapshot(tenant, closed)
    # Only April's orders were read (O4; O8 is after the as-of date) ...
    read_days = part.extra["order_rows"]["day"]
    assert len(read_days) == 1 and read_days.min() >= date(2026, 4, 1).toordinal()
    # The churn gaps of the closed months come from the snapshot too (C1 and C3 have some).
    assert len(part.extra["closed_gaps"]) >= 3
    # ... and every metric of every grain, scope and period is what a full load gives.
    reference = _every_value(_full(tenant))
    assert _every_value(part) == reference
    assert reference[("month", "revenue")][("company", "")][-4:] == [150.0, 0.0, 370.0, 150.0]


def _kpis(tenant):
    for key in ("revenue", "active_customers", "web_influenced_revenue", "active_web_users_share"):
        Kpi.objects.create(tenant=tenant, name=key, metric_key=key, unit="count")


def _values():
    return {
        (m.kpi.metric_key, m.scope, m.member, m.grain, m.period_start): (
            m.value,
            m.previous_value,
            m.last_year_value,
        )
        for m in Measurement.objects.select_related("kpi")
    }


def _year_revenue():
    return Measurement.objects.get(
        kpi__metric_key="revenue", scope="company", grain="year", period_start=date(2026, 1, 1)
    ).value


def test_the_nightly_run_reads_the_snapshot_and_stores_the_same_measurements(shop):  # noqa: F811
    tenant = shop.tenant
    _kpis(tenant)
    first = measurements_recompute(tenant=tenant, as_of=AS_OF)
    assert first.facts_from == "rows" and first.snapshot_bytes > 0
    stored = _values()
    nightly = measurements_recompute(tenant=tenant, as_of=AS_OF)
    assert nightly.facts_from == "snapshot"
    assert _values() == stored
    # The job page lists where the closed months came from, and a size only when one was stored.
    assert "snapshot_bytes" in first.as_counts()
    assert "snapshot_bytes" not in nightly.as_counts()
    # The same night with every row read (the snapshot made stale by hand): the same values.
    FactsSnapshot.objects.update(stale=True)
    again = measurements_recompute(tenant=tenant, as_of=AS_OF)
    assert again.facts_from == "rows"
    assert _values() == stored


def _old_order(tenant, **changes):
    customer = Customer.objects.get(external_id="C2")
    values = {
        "external_id": "LATE",
        "customer": customer,
        "placed_at": utc(2026, 2, 10, 10),
        "amount": Decimal("25.00"),
        "channel": Channel.objects.get(code="phone"),
        **changes,
    }
    return Order.objects.create(tenant=tenant, **values)


@pytest.mark.parametrize(
    "change, revenue_change",
    [
        ("insert an order into February", 25.0),
        ("change the amount of a March order", 5.0),
        ("delete a January order", -100.0),
        ("move an April order into March", 0.0),
    ],
)
def test_a_write_into_the_closed_months_makes_the_next_run_read_every_row(
    shop,  # noqa: F811
    change,
    revenue_change,
):
    tenant = shop.tenant
    _kpis(tenant)
    measurements_recompute(tenant=tenant, as_of=AS_OF)
    before = _year_revenue()
    assert not FactsSnapshot.objects.get().stale
    if change.startswith("insert"):
        _old_order(tenant)
    elif change.startswith("change"):
        Order.objects.filter(external_id="O7").update(amount=Decimal("75.00"))
    elif change.startswith("delete"):
        Order.objects.filter(external_id="O2").delete()
    else:
        Order.objects.filter(external_id="O4").update(placed_at=utc(2026, 3, 30, 10))
    assert FactsSnapshot.objects.get().stale
    run = measurements_recompute(tenant=tenant, as_of=AS_OF)
    assert run.facts_from == "rows"
    assert _year_revenue() == pytest.approx(before + revenue_change)
    # The full load stored a fresh snapshot: the night after reads it again.
    assert measurements_recompute(tenant=tenant, as_of=AS_OF).facts_from == "snapshot"


def test_web_activity_written_into_the_closed_months_makes_the_snapshot_stale(shop):  # noqa: F811
    tenant = shop.tenant
    _kpis(tenant)
    measurements_recompute(tenant=tenant, as_of=AS_OF)
    WebActivity.objects.create(
        tenant=tenant,
        external_id="WLATE",
        kind=WebActivity.Kind.SESSION,
        customer=Customer.objects.get(external_id="C2"),
        occurred_at=utc(2026, 3, 31, 21, 59),  # 23:59 local: the last minute of March
    )
    assert FactsSnapshot.objects.get().stale
    assert measurements_recompute(tenant=tenant, as_of=AS_OF).facts_from == "rows"


def test_rows_of_the_open_month_keep_the_snapshot_and_are_counted(shop):  # noqa: F811
    tenant = shop.tenant
    _kpis(tenant)
    measurements_recompute(tenant=tenant, as_of=AS_OF)
    before = _year_revenue()
    _old_order(tenant, placed_at=utc(2026, 3, 31, 22, 0))  # 1 April 00:00 local: open month
    WebActivity.objects.create(
        tenant=tenant,
        external_id="WNEW",
        kind=WebActivity.Kind.SESSION,
        customer=Customer.objects.get(external_id="C2"),
        occurred_at=utc(2026, 4, 3, 10),
    )
    assert not FactsSnapshot.objects.get().stale
    run = measurements_recompute(tenant=tenant, as_of=AS_OF)
    assert run.facts_from == "snapshot"
    assert _year_revenue() == pytest.approx(before + 25.0)
    april = Measurement.objects.get(
        kpi__metric_key="revenue", scope="company", grain="month", period_start=date(2026, 4, 1)
    )
    assert april.value == pytest.approx(150.0 + 25.0)


def test_a_channel_switched_online_a_new_month_or_a_new_kpi_read_every_row(shop):  # noqa: F811
    tenant = shop.tenant
    _kpis(tenant)
    measurements_recompute(tenant=tenant, as_of=AS_OF)
    Channel.objects.filter(code="phone").update(is_online=True)
    assert _usable(tenant) is None  # its months were split by the old channel flags
    assert measurements_recompute(tenant=tenant, as_of=AS_OF).facts_from == "rows"
    assert measurements_recompute(tenant=tenant, as_of=AS_OF).facts_from == "snapshot"
    # A new month starts with a full load (the boundary moves to 1 May).
    assert measurements_recompute(tenant=tenant, as_of=date(2026, 5, 2)).facts_from == "rows"
    # A KPI without measurements gets 24 months of history from every row.
    Kpi.objects.create(tenant=tenant, name="Orders", metric_key="orders", unit="count")
    assert measurements_recompute(tenant=tenant, as_of=date(2026, 5, 2)).facts_from == "rows"


def test_contacts_who_get_a_web_account_count_in_the_stored_months(shop):  # noqa: F811
    """Whether a contact has a web account is read at each run, not stored: Karel (C3) logged
    in in March without one; once he has one, March counts him."""
    tenant = shop.tenant
    _stored(tenant)
    from customers.models import Contact

    Contact.objects.filter(external_id="K4").update(has_web_account=True)
    closed = _usable(tenant)
    assert closed is not None
    part = _from_snapshot(tenant, closed)
    assert _every_value(part) == _every_value(_full(tenant))
    logins = part.extra["contact_login_months"]
    assert np.isin(Contact.objects.get(external_id="K4").pk, logins[:, 0])


def test_a_snapshot_that_cannot_be_stored_does_not_fail_the_run(shop, monkeypatch):  # noqa: F811
    tenant = shop.tenant
    _kpis(tenant)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(snapshot, "store", broken)
    run = measurements_recompute(tenant=tenant, as_of=AS_OF)
    assert run.measurements > 0 and run.snapshot_bytes == 0
    monkeypatch.undo()
    # Nothing usable was stored: the next run reads every row (and stores the snapshot).
    assert measurements_recompute(tenant=tenant, as_of=AS_OF).facts_from == "rows"
    assert measurements_recompute(tenant=tenant, as_of=AS_OF).facts_from == "snapshot"
