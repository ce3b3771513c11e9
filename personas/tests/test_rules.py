"""Rule evaluation on hand-made customers: operators, AND/OR groups, priority, no match."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import CustomerScore, OrderLine
from personas.models import PersonaAssignment
from personas.rules import Condition, condition_check, customers_matching
from personas.selectors import rule_match_summary
from personas.services import behaviour_refresh, personas_assign
from personas.tests.helpers import AS_OF, channels, customer, order, persona

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(in_tenant):
    tenant = in_tenant
    ch = channels(tenant)
    big = customer(
        tenant, "Big Online", employees=200, has_webshop=True, country="NL", price_sensitivity=2
    )
    small = customer(
        tenant, "Small Phone", employees=5, has_webshop=False, country="BE", price_sensitivity=5
    )
    mixed = customer(tenant, "Mixed", employees=40, country="nl", business_line="Installers")
    for _ in range(4):
        order(tenant, big, ch["web"], "1000")
    order(tenant, small, ch["phone"], "100")
    order(tenant, small, ch["phone"], "-50", is_return=True)
    order(tenant, mixed, ch["web"], "300")
    order(tenant, mixed, ch["phone"], "100")
    order(tenant, mixed, ch["web"], "9999", day=date(2024, 1, 1))  # outside 12 months
    behaviour_refresh(tenant=tenant, as_of=AS_OF)  # what the nightly assignment stores
    return {"tenant": tenant, "big": big, "small": small, "mixed": mixed, "channels": ch}


def names(tenant, *conditions) -> set[str]:
    found = customers_matching(tenant=tenant, conditions=conditions)
    return set(found.values_list("customer__name", flat=True))


def test_hard_characteristics_compare_with_every_operator(shop):
    t = shop["tenant"]
    assert names(t, Condition(1, "employees", "gte", "40")) == {"Big Online", "Mixed"}
    assert names(t, Condition(1, "employees", "lt", "40")) == {"Small Phone"}
    assert names(t, Condition(1, "employees", "in", "5; 200")) == {"Small Phone", "Big Online"}
    assert names(t, Condition(1, "has_webshop", "is_true", "")) == {"Big Online"}
    assert names(t, Condition(1, "has_webshop", "is_false", "")) == {"Small Phone"}
    assert names(t, Condition(1, "country", "eq", "NL")) == {"Big Online", "Mixed"}
    assert names(t, Condition(1, "country", "in", "be;de")) == {"Small Phone"}
    assert names(t, Condition(1, "business_line", "contains", "install")) == {"Mixed"}
    assert names(t, Condition(1, "price_sensitivity", "eq", "5")) == {"Small Phone"}


def test_derived_behaviour_uses_the_trailing_twelve_months(shop):
    t = shop["tenant"]
    assert names(t, Condition(1, "orders_12m", "gte", "4")) == {"Big Online"}
    assert names(t, Condition(1, "aov_12m", "eq", "200")) == {"Mixed"}  # 400 / 2, not 2024
    assert names(t, Condition(1, "online_share_12m", "gte", "75")) == {"Big Online", "Mixed"}
    assert names(t, Condition(1, "online_share_12m", "lt", "1")) == {"Small Phone"}
    assert names(t, Condition(1, "returns_rate_12m", "gt", "0")) == {"Small Phone"}
    assert names(t, Condition(1, "revenue_12m", "eq", "50")) == {"Small Phone"}


def test_product_families_rfm_segment_clv_and_churn_risk(shop):
    t = shop["tenant"]
    big_order = shop["big"].orders.first()
    OrderLine.objects.create(
        tenant=t, order=big_order, line_number=1, sku="S1", product_family="Sanitair", amount=1000
    )
    old = shop["mixed"].orders.get(amount=9999)  # 2024: outside the 12 months
    OrderLine.objects.create(
        tenant=t, order=old, line_number=1, sku="S2", product_family="Sanitair", amount=9999
    )
    recent = shop["mixed"].orders.get(amount=300)
    OrderLine.objects.create(
        tenant=t, order=recent, line_number=1, sku="V1", product_family="Verwarming", amount=300
    )
    behaviour_refresh(tenant=t, as_of=AS_OF)
    for c, segment, clv, risk in [
        (shop["big"], "champions", 12000.0, 0.05),
        (shop["small"], "at_risk", 150.0, 0.8),
    ]:  # Mixed has no score yet: it matches no analytics rule
        CustomerScore.objects.create(
            tenant=t, customer=c, rfm_segment=segment, clv_12m=clv, churn_risk=risk, as_of=AS_OF
        )
    assert names(t, Condition(1, "product_family", "eq", "sanitair")) == {"Big Online"}
    assert names(t, Condition(1, "product_family", "in", "Sanitair;Verwarming")) == {
        "Big Online",
        "Mixed",
    }
    assert names(t, Condition(1, "product_family", "ne", "Sanitair")) == {"Small Phone", "Mixed"}
    assert names(t, Condition(1, "product_family", "contains", "warm")) == {"Mixed"}
    assert names(t, Condition(1, "rfm_segment", "eq", "Champions")) == {"Big Online"}
    assert names(t, Condition(1, "rfm_segment", "in", "at_risk; Can't lose them")) == {
        "Small Phone"
    }
    assert names(t, Condition(1, "rfm_segment", "ne", "champions")) == {"Small Phone", "Mixed"}
    assert names(t, Condition(1, "clv_12m", "gte", "1000")) == {"Big Online"}
    assert names(t, Condition(1, "churn_risk", "gte", "50")) == {"Small Phone"}
    with pytest.raises(ValidationError, match="not one of"):
        condition_check(Condition(1, "rfm_segment", "eq", "Rockstars"))


def test_rules_in_a_group_and_together_and_groups_or_together(shop):
    t = shop["tenant"]
    both = [Condition(1, "country", "eq", "NL"), Condition(1, "employees", "lt", "100")]
    assert names(t, *both) == {"Mixed"}
    either = [*both, Condition(2, "price_sensitivity", "gte", "5")]
    assert names(t, *either) == {"Mixed", "Small Phone"}


def test_no_rules_match_nobody(shop):
    assert names(shop["tenant"]) == set()


def test_bad_rules_are_refused():
    with pytest.raises(ValidationError):
        condition_check(Condition(1, "employees", "contains", "4"))
    with pytest.raises(ValidationError):
        condition_check(Condition(1, "employees", "gte", "many"))
    with pytest.raises(ValidationError):
        condition_check(Condition(1, "no_such_field", "eq", "1"))
    with pytest.raises(ValidationError):
        condition_check(Condition(1, "country", "eq", " "))


def test_the_match_summary_counts_customers_and_revenue(shop):
    summary = rule_match_summary(
        tenant=shop["tenant"], conditions=[Condition(1, "country", "eq", "nl")]
    )
    assert summary["customers"] == 2
    assert summary["revenue"] == 4400
    assert summary["as_of"] == AS_OF


def test_a_customer_gets_the_first_matching_persona_by_priority_or_none(shop):
    t = shop["tenant"]
    online = persona(t, "Online pro", 1, (1, "online_share_12m", "gte", "75"))
    dutch = persona(t, "Dutch", 2, (1, "country", "eq", "NL"))
    persona(t, "Nobody", 3, (1, "employees", "gt", "100000"))
    counts = personas_assign(tenant=t, as_of=AS_OF)
    got = {a.customer.name: a.persona for a in PersonaAssignment.objects.select_related("customer")}
    assert got == {"Big Online": online, "Mixed": online, "Small Phone": None}
    assert counts == {
        "customers": 3,
        "assigned": 2,
        "unassigned": 1,
        "persona_count": 3,
        "by_persona": {"Online pro": 2, "Dutch": 0, "Nobody": 0},
    }

    dutch.priority = 0
    dutch.save(update_fields=["priority"])
    personas_assign(tenant=t, as_of=AS_OF)
    got = {a.customer.name: a.persona for a in PersonaAssignment.objects.select_related("customer")}
    assert got == {"Big Online": dutch, "Mixed": dutch, "Small Phone": None}


def test_assignment_is_idempotent_and_keeps_revenue(shop):
    t = shop["tenant"]
    persona(t, "Everyone", 1, (1, "employees", "gte", "0"))
    personas_assign(tenant=t, as_of=AS_OF)
    personas_assign(tenant=t, as_of=AS_OF)
    assert PersonaAssignment.objects.count() == 3
    mixed = PersonaAssignment.objects.get(customer=shop["mixed"])
    assert float(mixed.revenue_12m) == 400 and float(mixed.online_revenue_12m) == 300


def _assign_queries(tenant) -> int:
    with CaptureQueriesContext(connection) as queries:
        personas_assign(tenant=tenant, as_of=AS_OF)
    return len(queries)


def test_assignment_costs_the_same_queries_for_5_and_50_customers(in_tenant):
    t = in_tenant
    ch = channels(t)
    persona(t, "Online", 1, (1, "online_share_12m", "gte", "50"), (2, "orders_12m", "gt", "3"))
    persona(t, "Big", 2, (1, "employees", "gte", "10"), (1, "has_webshop", "is_true", ""))
    persona(t, "Sensitive", 3, (1, "price_sensitivity", "gte", "4"))
    persona(t, "Champions", 4, (1, "rfm_segment", "eq", "champions"), (1, "clv_12m", "gt", "0"))
    persona(t, "Sanitair", 5, (1, "product_family", "eq", "Sanitair"))
    for i in range(5):
        c = customer(t, f"C{i}", employees=i * 5, has_webshop=i % 2 == 0, price_sensitivity=i % 5)
        order(t, c, ch["web" if i % 2 else "phone"], "100")
    few = _assign_queries(t)
    for i in range(5, 50):
        c = customer(t, f"C{i}", employees=i * 5, has_webshop=i % 2 == 0, price_sensitivity=i % 5)
        order(t, c, ch["web" if i % 2 else "phone"], "100")
    assert _assign_queries(t) == few
    assert PersonaAssignment.objects.count() == 50
