"""portal.db.background: write steps on a second connection, in one transaction."""

from __future__ import annotations

import pytest
from django.db import connection

from customers.models import Customer
from portal.db import background
from portal.tenancy import tenant_context

pytestmark = pytest.mark.django_db(transaction=True)  # a second connection sees commits only


def _add(tenant, external_id: str) -> int:
    Customer.objects.create(tenant=tenant, external_id=external_id, name=external_id)
    # Row-level security on PostgreSQL: the step sees only the tenant of the caller's context.
    return Customer.objects.filter(tenant=tenant).count()


def _fail() -> None:
    raise RuntimeError("disk full")


def test_it_is_offered_only_on_postgresql_outside_a_transaction(tenant):
    assert background.available() == (connection.vendor == "postgresql")


def test_steps_run_in_order_and_show_only_once_committed(tenant, other_tenant):
    if not background.available():  # SQLite: callers write in their own transaction
        assert connection.vendor == "sqlite"
        return
    with tenant_context(other_tenant):
        Customer.objects.create(tenant=other_tenant, external_id="X1", name="elsewhere")
    with tenant_context(tenant):
        beside = background.BackgroundTransaction()
        beside.submit(_add, tenant, "A1")
        beside.submit(_add, tenant, "A2")
        assert not Customer.objects.filter(tenant=tenant).exists()  # not committed yet
        assert beside.commit() == [1, 2]  # each step saw the earlier ones, not other tenants
        assert sorted(Customer.objects.values_list("external_id", flat=True)) == ["A1", "A2"]


@pytest.mark.parametrize("how", ["a step fails", "the caller aborts"])
def test_nothing_of_a_failed_or_aborted_transaction_is_stored(tenant, how):
    if not background.available():
        assert connection.vendor == "sqlite"
        return
    with tenant_context(tenant):
        beside = background.BackgroundTransaction()
        beside.submit(_add, tenant, "A1")
        if how == "a step fails":
            beside.submit(_fail)
            with pytest.raises(RuntimeError, match="disk full"):
                beside.commit()
        else:
            beside.abort()
        assert not Customer.objects.filter(tenant=tenant).exists()
