"""`manage.py metric`: a catalogue metric's values straight from the catalogue."""

import json
from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from customers.models import Customer, Order
from customers.services import channels_ensure
from kpis.metrics import metric_keys
from tests.factories import DepartmentFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PERIOD = ["--from", "2026-01-01", "--to", "2026-03-31", "--as-of", "2026-04-15"]


@pytest.fixture
def shop(in_tenant):
    """C1 (Noord, anna, NL): web 100 in January, phone 40 in March.
    C2 (Zuid, bram, BE): phone 60 in January, a return of 10 in March."""
    tenant = in_tenant
    channels = channels_ensure(tenant=tenant)
    noord = DepartmentFactory(tenant=tenant, name="Noord")
    zuid = DepartmentFactory(tenant=tenant, name="Zuid")
    anna = MembershipFactory(tenant=tenant, user=UserFactory(username="anna"), role="rep")
    bram = MembershipFactory(tenant=tenant, user=UserFactory(username="bram"), role="rep")
    c1 = Customer.objects.create(
        tenant=tenant,
        external_id="C1",
        name="Alfa",
        department=noord,
        account_manager=anna,
        country="NL",
    )
    c2 = Customer.objects.create(
        tenant=tenant,
        external_id="C2",
        name="Bravo",
        department=zuid,
        account_manager=bram,
        country="BE",
    )
    for ext, customer, month, amount, channel in [
        ("O1", c1, 1, "100.00", "web"),
        ("O2", c2, 1, "60.00", "phone"),
        ("O3", c1, 3, "40.00", "phone"),
        ("R1", c2, 3, "-10.00", "phone"),
    ]:
        Order.objects.create(
            tenant=tenant,
            external_id=ext,
            customer=customer,
            placed_at=datetime(2026, month, 10, 10, tzinfo=UTC),
            amount=Decimal(amount),
            channel=channels[channel],
            is_return=ext.startswith("R"),
        )
    return tenant


def run(*args) -> str:
    out = StringIO()
    call_command("metric", "--tenant", "acme", *args, stdout=out)
    return out.getvalue()


def test_json_gives_period_scope_key_and_value(shop):
    rows = json.loads(run("revenue", "--json", *PERIOD))
    # Jan 100 + 60; Feb nothing; Mar 40 - 10
    assert rows == [
        {"period": "2026-01-01", "scope": "company", "key": None, "value": 160.0},
        {"period": "2026-02-01", "scope": "company", "key": None, "value": 0.0},
        {"period": "2026-03-01", "scope": "company", "key": None, "value": 30.0},
    ]


def test_a_ratio_without_data_is_null(shop):
    rows = json.loads(run("ecommerce_share", "--json", *PERIOD))
    # Jan 100 / 160 = 62.5 %; Feb no revenue; Mar 0 / 30
    assert [row["value"] for row in rows] == [62.5, None, 0.0]


def test_scope_rep_names_reps_by_username(shop):
    rows = json.loads(run("revenue", "--json", "--scope", "rep", *PERIOD))
    assert {(r["period"], r["key"]): r["value"] for r in rows} == {
        ("2026-01-01", "anna"): 100.0,
        ("2026-01-01", "bram"): 60.0,
        ("2026-02-01", "anna"): 0.0,
        ("2026-02-01", "bram"): 0.0,
        ("2026-03-01", "anna"): 40.0,
        ("2026-03-01", "bram"): -10.0,
    }
    assert {r["scope"] for r in rows} == {"rep"}


def test_scope_department_and_country_name_their_members(shop):
    departments = json.loads(run("orders", "--json", "--scope", "department", *PERIOD))
    assert {(r["period"], r["key"]): r["value"] for r in departments if r["value"]} == {
        ("2026-01-01", "Noord"): 1.0,
        ("2026-01-01", "Zuid"): 1.0,
        ("2026-03-01", "Noord"): 1.0,  # Zuid's March return is not an order
    }
    countries = json.loads(run("returns_amount", "--json", "--scope", "country", *PERIOD))
    assert {(r["period"], r["key"]): r["value"] for r in countries if r["value"]} == {
        ("2026-03-01", "BE"): 10.0
    }


def test_channel_metrics_default_to_the_channel_scope(shop):
    rows = json.loads(run("revenue_by_channel", "--json", "--grain", "quarter", *PERIOD))
    by_channel = {r["key"]: r["value"] for r in rows}
    # Q1: web 100; phone 60 + 40 - 10 = 90
    assert by_channel["web"] == 100.0 and by_channel["phone"] == 90.0
    assert by_channel["email"] == 0.0
    assert {r["period"] for r in rows} == {"2026-01-01"}
    assert {r["scope"] for r in rows} == {"channel"}


def test_periods_stop_at_the_as_of_date(shop):
    rows = json.loads(
        run(
            "orders",
            "--json",
            "--from",
            "2026-01-01",
            "--to",
            "2026-12-31",
            "--as-of",
            "2026-02-15",
        )
    )
    assert [r["period"] for r in rows] == ["2026-01-01", "2026-02-01"]


def test_the_table_prints_one_line_per_period(shop):
    lines = run("revenue", *PERIOD).splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("2026-01-01  company") and lines[0].endswith("160.00")
    assert run("ecommerce_share", *PERIOD).splitlines()[1].endswith("—")


def test_list_names_every_catalogue_key(shop):
    lines = run("--list").splitlines()
    assert [line.split()[0] for line in lines] == metric_keys()
    assert any(line.split()[:2] == ["revenue", "currency"] for line in lines)


def test_an_unknown_or_missing_key_is_an_error(shop):
    with pytest.raises(CommandError, match="Unknown metric 'omzet'"):
        run("omzet", *PERIOD)
    with pytest.raises(CommandError, match="Name a metric key"):
        run(*PERIOD)


def test_a_scope_the_metric_does_not_have_is_an_error(shop):
    with pytest.raises(CommandError, match="platform_uptime has no values per rep"):
        run("platform_uptime", "--scope", "rep", *PERIOD)
    with pytest.raises(CommandError, match="--from is after --to"):
        run("revenue", "--from", "2026-03-01", "--to", "2026-01-31", "--as-of", "2026-04-15")


def test_an_unknown_tenant_is_an_error(shop):
    with pytest.raises(CommandError, match="No tenant with slug 'nope'"):
        call_command("metric", "--tenant", "nope", "revenue", stdout=StringIO())
