"""The tenant recompute: idempotent, all or nothing, frozen closed periods, never overlapping."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import translation

from customers.models import Customer, Order
from customers.services import channels_ensure
from kpis import recompute as recompute_module
from kpis.metrics import store as store_module
from kpis.models import Kpi, Measurement, Target
from kpis.recompute import measurements_recompute
from kpis.services import manual_value_set, recompute_run, target_set, target_split
from kpis.tasks import recompute_all_tenants
from portal.locks import LockBusy, tenant_lock
from portal.models import JobRun
from portal.tenancy import tenant_context
from tests.factories import DepartmentFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 4, 15)  # March is closed from 10 April (close day 10); April is open


@pytest.fixture
def shop(in_tenant):
    tenant = in_tenant
    channels = channels_ensure(tenant=tenant)
    north = DepartmentFactory(tenant=tenant, name="Noord")
    rep = MembershipFactory(tenant=tenant, user=UserFactory(username="ruben"), role="rep")
    c1 = Customer.objects.create(
        tenant=tenant,
        external_id="C1",
        name="Een",
        department=north,
        account_manager=rep,
        country="NL",
    )
    c2 = Customer.objects.create(tenant=tenant, external_id="C2", name="Twee", country="BE")
    for ext, customer, when, amount, channel in [
        ("O1", c1, datetime(2026, 3, 5, 10, tzinfo=UTC), "100.00", "web"),
        ("O2", c2, datetime(2026, 3, 6, 10, tzinfo=UTC), "50.00", "phone"),
        ("O3", c1, datetime(2026, 4, 2, 10, tzinfo=UTC), "80.00", "edi"),
        ("O4", c1, datetime(2025, 4, 2, 10, tzinfo=UTC), "40.00", "phone"),
    ]:
        Order.objects.create(
            tenant=tenant,
            external_id=ext,
            customer=customer,
            placed_at=when,
            amount=Decimal(amount),
            channel=channels[channel],
        )
    revenue = Kpi.objects.create(
        tenant=tenant, name="Revenue", metric_key="revenue", unit="currency"
    )
    Kpi.objects.create(tenant=tenant, name="Visits", unit="count")  # manual: never recomputed
    return {
        "tenant": tenant,
        "revenue": revenue,
        "north": north,
        "rep": rep,
        "channels": channels,
        "c1": c1,
    }


def values(kpi, grain="month"):
    return {
        (m.scope, m.member, m.period_start): (m.value, m.previous_value, m.last_year_value)
        for m in Measurement.objects.filter(kpi=kpi, grain=grain)
    }


def test_first_run_fills_24_months_for_every_scope(shop):
    result = measurements_recompute(tenant=shop["tenant"], as_of=AS_OF)
    assert result.first_run and result.kpis == 1
    monthly = values(shop["revenue"])
    company_months = sorted(p for scope, _, p in monthly if scope == "company")
    assert company_months[0] == date(2024, 5, 1) and company_months[-1] == date(2026, 4, 1)
    assert len(company_months) == 24
    # March: 100 + 50; April: 80, previous period March 150, last year April 40
    assert monthly[("company", "", date(2026, 3, 1))][0] == 150
    assert monthly[("company", "", date(2026, 4, 1))] == (80, 150, 40)
    assert monthly[("department", str(shop["north"].pk), date(2026, 3, 1))][0] == 100
    assert monthly[("rep", str(shop["rep"].pk), date(2026, 4, 1))][0] == 80
    assert monthly[("country", "BE", date(2026, 3, 1))][0] == 50
    quarterly = values(shop["revenue"], "quarter")
    assert quarterly[("company", "", date(2026, 1, 1))][0] == 150
    assert not Measurement.objects.filter(kpi__name="Visits").exists()


def test_recomputing_twice_gives_identical_measurements(shop):
    measurements_recompute(tenant=shop["tenant"], as_of=AS_OF)
    first = {g: values(shop["revenue"], g) for g in ("month", "quarter", "year")}
    measurements_recompute(tenant=shop["tenant"], as_of=AS_OF, force_closed=True)
    second = {g: values(shop["revenue"], g) for g in ("month", "quarter", "year")}
    assert first == second
    assert Measurement.objects.count() == sum(len(v) for v in first.values())


def test_closed_periods_are_frozen_unless_forced(shop):
    measurements_recompute(tenant=shop["tenant"], as_of=AS_OF)
    Order.objects.create(
        tenant=shop["tenant"],
        external_id="LATE",
        customer=shop["c1"],
        placed_at=datetime(2026, 3, 20, tzinfo=UTC),
        amount=Decimal("10.00"),
        channel=shop["channels"]["web"],
    )
    Order.objects.create(
        tenant=shop["tenant"],
        external_id="NEW",
        customer=shop["c1"],
        placed_at=datetime(2026, 4, 10, tzinfo=UTC),
        amount=Decimal("5.00"),
        channel=shop["channels"]["web"],
    )
    nightly = measurements_recompute(tenant=shop["tenant"], as_of=AS_OF)
    assert not nightly.first_run and nightly.skipped_closed > 0
    monthly = values(shop["revenue"])
    assert monthly[("company", "", date(2026, 3, 1))][0] == 150  # closed on 10 April: frozen
    assert monthly[("company", "", date(2026, 4, 1))][0] == 85  # open: recomputed

    job = JobRun.objects.create(tenant=shop["tenant"], kind="recompute")
    forced = recompute_run(tenant=shop["tenant"], job=job, as_of=AS_OF, force_closed=True)
    assert forced.force_closed
    assert values(shop["revenue"])[("company", "", date(2026, 3, 1))][0] == 160
    job.refresh_from_db()
    assert job.status == "succeeded" and job.counts["force_closed"] is True


def test_a_failure_while_writing_leaves_no_partial_period(shop, monkeypatch):
    measurements_recompute(tenant=shop["tenant"], as_of=AS_OF)
    before = values(shop["revenue"])
    Order.objects.create(
        tenant=shop["tenant"],
        external_id="NEW",
        customer=shop["c1"],
        placed_at=datetime(2026, 4, 10, tzinfo=UTC),
        amount=Decimal("5.00"),
        channel=shop["channels"]["web"],
    )
    original = store_module.measurements_upsert

    def write_some_then_die(rows, **kwargs):
        original(rows[: len(rows) // 2], **kwargs)
        raise RuntimeError("worker lost")

    monkeypatch.setattr(store_module, "measurements_upsert", write_some_then_die)
    job = JobRun.objects.create(tenant=shop["tenant"], kind="recompute")
    with pytest.raises(RuntimeError):
        recompute_run(tenant=shop["tenant"], job=job, as_of=AS_OF)
    assert values(shop["revenue"]) == before
    job.refresh_from_db()
    assert job.status == "failed" and "worker lost" in job.error


def test_a_kpi_deleted_during_a_run_fails_the_run_and_keeps_every_stored_value(shop, monkeypatch):
    measurements_recompute(tenant=shop["tenant"], as_of=AS_OF)
    before = values(shop["revenue"])
    orders = Kpi.objects.create(tenant=shop["tenant"], name="Orders", metric_key="orders")
    Order.objects.filter(external_id="O3").update(amount=Decimal("90.00"))
    original = recompute_module.load_facts

    def load_then_delete(**kwargs):
        facts = original(**kwargs)
        Kpi.objects.filter(pk=orders.pk).delete()  # somebody deletes it meanwhile
        return facts

    monkeypatch.setattr(recompute_module, "load_facts", load_then_delete)
    with pytest.raises(store_module.KpiGone, match=f"KPI {orders.pk} no longer exists"):
        measurements_recompute(tenant=shop["tenant"], as_of=AS_OF)
    assert values(shop["revenue"]) == before  # April's 80 not rewritten to 90 either
    assert not Measurement.objects.filter(kpi_id=orders.pk).exists()
    # The next run, without the deleted KPI, completes.
    monkeypatch.setattr(recompute_module, "load_facts", original)
    measurements_recompute(tenant=shop["tenant"], as_of=AS_OF)
    assert values(shop["revenue"])[("company", "", date(2026, 4, 1))][0] == 90.0


def test_a_manual_value_for_a_kpi_deleted_meanwhile_is_refused(shop):
    visits = Kpi.objects.get(tenant=shop["tenant"], name="Visits")
    on_the_page = Kpi.objects.get(pk=visits.pk)
    visits.delete()
    with pytest.raises(ValidationError, match="deleted meanwhile"):
        manual_value_set(tenant=shop["tenant"], kpi=on_the_page, scope="company", member="",
                         grain="month", period_start=date(2026, 4, 1), value=12.0, user=None,
                         allow_closed=True)  # fmt: skip
    assert not Measurement.objects.filter(kpi_id=on_the_page.pk).exists()


@pytest.mark.parametrize(
    "language, message", [("nl", "Deze periode is afgesloten"), ("da", "Denne periode er lukket")]
)
def test_a_refused_manual_value_is_explained_in_the_users_language(shop, language, message):
    visits = Kpi.objects.get(tenant=shop["tenant"], name="Visits")
    with translation.override(language), pytest.raises(ValidationError, match=message):
        manual_value_set(tenant=shop["tenant"], kpi=visits, scope="company", member="",
                         grain="month", period_start=date(2026, 4, 1), value=12.0, user=None)  # fmt: skip
    assert not Measurement.objects.filter(kpi=visits).exists()


def test_a_second_run_does_not_overlap_a_running_one(shop):
    job = JobRun.objects.create(tenant=shop["tenant"], kind="recompute")
    with tenant_lock("recompute", shop["tenant"].pk):
        with pytest.raises(LockBusy):
            measurements_recompute(tenant=shop["tenant"], as_of=AS_OF)
        assert recompute_run(tenant=shop["tenant"], job=job, as_of=AS_OF) is None
    job.refresh_from_db()
    assert job.status == "skipped" and "running" in job.error
    assert not Measurement.objects.exists()
    measurements_recompute(tenant=shop["tenant"], as_of=AS_OF)  # free again
    assert Measurement.objects.exists()


def test_the_command_runs_the_same_code(shop, capsys):
    call_command("recompute", "--tenant", "acme", "--as-of", "2026-04-15", "--no-progress")
    out = capsys.readouterr().out
    assert "first run" in out and "1 KPIs" in out
    assert values(shop["revenue"])[("company", "", date(2026, 4, 1))][0] == 80
    with tenant_lock("recompute", shop["tenant"].pk), pytest.raises(CommandError, match="running"):
        call_command("recompute", "--tenant", "acme", "--as-of", "2026-04-15", "--no-progress")


def test_the_nightly_fan_out_runs_every_tenant(shop, other_tenant):
    assert recompute_all_tenants() == 2
    jobs = JobRun.objects.filter(kind="recompute")
    assert jobs.count() == 1 and jobs.get().status == "succeeded"  # this tenant's (scoped) view
    with tenant_context(other_tenant):
        assert JobRun.objects.get(kind="recompute").status == "succeeded"


def test_recompute_now_button(shop, head_client, rep_client, django_capture_on_commit_callbacks):
    assert rep_client.post("/t/acme/recompute/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = head_client.post("/t/acme/recompute/")
    job = JobRun.objects.get(kind="recompute")
    assert response["Location"] == f"/t/acme/jobs/{job.pk}/"
    assert job.status == "succeeded"
    page = head_client.get(f"/t/acme/jobs/{job.pk}/").content.decode()
    assert "100%" in page


def test_target_rules_follow_the_direction(shop):
    kpi = shop["revenue"]
    with pytest.raises(ValidationError):
        target_set(
            tenant=shop["tenant"],
            kpi=kpi,
            scope="company",
            member="",
            grain="month",
            period_start=date(2026, 4, 1),
            minimum=Decimal(200),
            stretch=Decimal(100),
        )
    churn = Kpi.objects.create(
        tenant=shop["tenant"], name="Churn", metric_key="churn_rate", direction="down"
    )
    target_set(
        tenant=shop["tenant"],
        kpi=churn,
        scope="company",
        member="",
        grain="month",
        period_start=date(2026, 4, 1),
        minimum=Decimal(3),
        stretch=Decimal(2),
    )


def test_split_a_company_target_evenly_or_by_last_year(shop):
    tenant, kpi = shop["tenant"], shop["revenue"]
    south = DepartmentFactory(tenant=tenant, name="Zuid")
    members = [str(shop["north"].pk), str(south.pk)]
    target_set(
        tenant=tenant,
        kpi=kpi,
        scope="company",
        member="",
        grain="month",
        period_start=date(2026, 4, 1),
        minimum=Decimal(1000),
        stretch=Decimal(1200),
    )
    even = target_split(
        tenant=tenant,
        kpi=kpi,
        grain="month",
        period_start=date(2026, 4, 1),
        to_scope="department",
        members=members,
    )
    assert [(t.minimum, t.stretch) for t in even] == [(Decimal(500), Decimal(600))] * 2
    # Last year: Noord 300, Zuid 100 -> 75 % / 25 %
    for member, value in ((members[0], 300.0), (members[1], 100.0)):
        Measurement.objects.create(
            tenant=tenant,
            kpi=kpi,
            scope="department",
            member=member,
            grain="month",
            period_start=date(2025, 4, 1),
            value=value,
        )
    target_split(
        tenant=tenant,
        kpi=kpi,
        grain="month",
        period_start=date(2026, 4, 1),
        to_scope="department",
        members=members,
        method="last_year",
    )
    split = dict(Target.objects.filter(scope="department").values_list("member", "minimum"))
    assert split == {members[0]: Decimal(750), members[1]: Decimal(250)}


# -- the writer on its own connection (PostgreSQL outside a transaction) ----------------------


def every_value(tenant):
    return sorted(
        Measurement.objects.filter(tenant=tenant).values_list(
            "kpi_id",
            "scope",
            "member",
            "grain",
            "period_start",
            "value",
            "previous_value",
            "last_year_value",
        )
    )


@pytest.mark.django_db(transaction=True)
def test_measurements_written_beside_the_computation_are_those_of_one_transaction(
    shop, monkeypatch
):
    """Outside a transaction, PostgreSQL stores each batch on a second connection while the
    next is computed; the rows are the same as written in the caller's transaction, batch
    size or not."""
    monkeypatch.setattr(recompute_module, "BATCH", 7)  # many batches
    threads = []
    writer_class = store_module.MeasurementWriter

    class Spy(writer_class):
        def __init__(self):
            super().__init__()
            threads.append(self._beside is not None)

    monkeypatch.setattr(recompute_module, "MeasurementWriter", Spy)
    tenant = shop["tenant"]
    first = measurements_recompute(tenant=tenant, as_of=AS_OF)
    beside = every_value(tenant)
    Measurement.objects.filter(tenant=tenant).delete()
    with transaction.atomic():
        measurements_recompute(tenant=tenant, as_of=AS_OF)
    assert every_value(tenant) == beside and len(beside) == first.measurements > 7
    assert threads == [connection.vendor == "postgresql", False]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("where", ["writing", "computing"])
def test_a_failure_beside_the_writer_leaves_every_stored_value(shop, monkeypatch, where):
    """A failure in the writer's third batch, or in the computation after batches were
    handed over, rolls back every batch of the run: the values stay as they were."""
    tenant = shop["tenant"]
    measurements_recompute(tenant=tenant, as_of=AS_OF)
    before = every_value(tenant)
    Order.objects.create(
        tenant=tenant,
        external_id="LATE",
        customer=shop["c1"],
        placed_at=datetime(2026, 4, 12, tzinfo=UTC),
        amount=Decimal("7.00"),
        channel=shop["channels"]["web"],
    )
    Measurement.objects.filter(tenant=tenant, grain="year").delete()  # a fresh run's inserts too
    before_year_gone = every_value(tenant)
    monkeypatch.setattr(recompute_module, "BATCH", 5)
    if where == "writing":
        original, calls = store_module.measurements_upsert, []

        def third_fails(rows, **kwargs):
            calls.append(len(rows))
            if len(calls) == 3:
                raise RuntimeError("disk full")
            return original(rows, **kwargs)

        monkeypatch.setattr(store_module, "measurements_upsert", third_fails)
    else:
        original_compute, seen = recompute_module.compute_series, []

        def fails_late(*, keys, facts):
            seen.append(keys)
            if len(seen) == 2:  # after the first metric's batches went to the writer
                raise RuntimeError("out of memory")
            return original_compute(keys=keys, facts=facts)

        monkeypatch.setattr(recompute_module, "compute_series", fails_late)
    with pytest.raises(RuntimeError):
        measurements_recompute(tenant=tenant, as_of=AS_OF)
    assert every_value(tenant) == before_year_gone != before


def test_the_bulk_upsert_stores_every_value_as_given(in_tenant):
    """What the recompute's writer sends (COPY binary on PostgreSQL, bulk_create elsewhere)
    comes back unchanged: NULLs in any value column, no job, members with tabs, quotes and
    accents, exact floats, and a second write of the same key updates the row."""
    tenant = in_tenant
    kpi = Kpi.objects.create(tenant=tenant, name="Revenue", metric_key="revenue")
    at = datetime(2026, 4, 15, 3, 0, 0, 123456, tzinfo=UTC)
    rows = [
        (
            tenant.pk,
            kpi.pk,
            "company",
            "",
            "month",
            date(2026, 4, 1),
            0.1 + 0.2,
            None,
            -3.5,
            None,
            at,
        ),
        (tenant.pk, kpi.pk, "country", "NL", "year", date(1999, 12, 1), None, None, None, None, at),
        (
            tenant.pk,
            kpi.pk,
            "rep",
            "Zoë\t'O\"Brien'\\n",
            "quarter",
            date(2026, 4, 1),
            1e300,
            2.0,
            5e-324,
            None,
            at,
        ),
    ]
    assert store_module.measurements_upsert(rows) == 3
    stored = {
        m.member: (
            m.scope,
            m.grain,
            m.period_start,
            m.value,
            m.previous_value,
            m.last_year_value,
            m.job_id,
            m.computed_at,
        )
        for m in Measurement.objects.filter(kpi=kpi)
    }
    assert stored == {r[3]: (r[2], r[4], r[5], r[6], r[7], r[8], r[9], r[10]) for r in rows}
    job = JobRun.objects.create(tenant=tenant, kind="recompute")
    later = datetime(2026, 4, 16, tzinfo=UTC)
    store_module.measurements_upsert([(*rows[0][:6], 7.25, 1.0, None, job.pk, later)])
    again = Measurement.objects.get(kpi=kpi, member="")
    assert (again.value, again.previous_value, again.last_year_value) == (7.25, 1.0, None)
    assert (again.job_id, again.computed_at) == (job.pk, later)
    assert Measurement.objects.filter(kpi=kpi).count() == 3
