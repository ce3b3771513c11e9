"""The synthetic data generator: reproducible per seed, and shaped like a real wholesaler."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, F, Min, Q

from customers.generator import DEFAULT_END, _data_delete, generate
from customers.models import (
    Contact,
    Customer,
    FunnelEvent,
    Order,
    OrderLine,
    PlatformSample,
    SurveyResponse,
    WebActivity,
)
from portal.models import DepartmentMember, Membership, Role
from portal.tenancy import tenant_context
from tests.factories import MembershipFactory, TenantFactory, UserFactory

pytestmark = pytest.mark.django_db

SMALL = {"customers": 200, "orders": 5_000, "months": 24}
MEDIUM = {"customers": 100, "orders": 2_000, "months": 24}
TINY = {"customers": 40, "orders": 600, "months": 12}
START = date(2024, 11, 1)  # 24 months before DEFAULT_END


def snapshot(tenant) -> dict[str, list]:
    """Everything generated, keyed by external ids (database ids differ between runs)."""
    with tenant_context(tenant):
        return {
            "customers": sorted(
                Customer.objects.values_list(
                    "external_id",
                    "name",
                    "country",
                    "business_line",
                    "department__name",
                    "employees",
                    "locations",
                    "floor_area_m2",
                    "has_webshop",
                    "serves",
                    "product_families",
                    "estimated_wallet",
                    "price_sensitivity",
                    "brand_sensitivity",
                    "sustainability_sensitivity",
                    "reliability_sensitivity",
                )
            ),
            "orders": sorted(
                Order.objects.values_list(
                    "external_id",
                    "placed_at",
                    "amount",
                    "channel__code",
                    "customer__external_id",
                    "is_return",
                    "return_reason",
                    "quantity",
                )
            ),
            "lines": sorted(
                OrderLine.objects.values_list(
                    "order__external_id",
                    "line_number",
                    "sku",
                    "product_family",
                    "quantity",
                    "amount",
                )
            ),
            "contacts": sorted(
                Contact.objects.values_list(
                    "external_id", "customer__external_id", "name", "email", "has_web_account"
                )
            ),
            "web": sorted(
                WebActivity.objects.values_list(
                    "external_id",
                    "kind",
                    "occurred_at",
                    "customer__external_id",
                    "contact__external_id",
                )
            ),
            "funnel": sorted(
                FunnelEvent.objects.values_list(
                    "external_id", "lead_ref", "stage", "occurred_at", "customer__external_id"
                )
            ),
            "surveys": sorted(
                SurveyResponse.objects.values_list(
                    "external_id",
                    "customer__external_id",
                    "kind",
                    "score",
                    "answered_on",
                    "comment",
                )
            ),
            "platform": sorted(
                PlatformSample.objects.values_list(
                    "date", "uptime_pct", "median_page_load_ms", "error_rate"
                )
            ),
        }


def account_managers(tenant) -> list[tuple[str, str]]:
    with tenant_context(tenant):
        return sorted(
            Customer.objects.values_list("external_id", "account_manager__user__username")
        )


def local(day: date, tenant) -> datetime:
    return datetime.combine(day, time(), tenant.tzinfo)


@pytest.fixture(scope="module")
def generated(django_db_setup, django_db_blocker):
    """One small data set, shared by the read-only tests of this module."""
    with django_db_blocker.unblock():
        tenant = TenantFactory(slug="generated", name="Generated B.V.")
        counts = generate(tenant=tenant, seed=7, **SMALL)
    yield tenant, counts
    with django_db_blocker.unblock():
        with tenant_context(tenant):
            _data_delete(tenant)
            users = list(Membership.objects.values_list("user_id", flat=True))
            tenant.delete()  # in its scope: on PostgreSQL row-level security shows the cascade
        get_user_model().objects.filter(pk__in=users).delete()


def test_the_same_seed_gives_the_same_data(tenant, other_tenant):
    generate(tenant=tenant, seed=11, **MEDIUM)
    generate(tenant=other_tenant, seed=11, **MEDIUM)
    first, second = snapshot(tenant), snapshot(other_tenant)
    assert first["orders"] and first["lines"] and first["web"]
    assert first == second
    # Each tenant has reps of its own, in the same places.
    rank = {}
    for t in (tenant, other_tenant):
        with tenant_context(t):
            reps = list(
                Membership.objects.filter(role=Role.REP)
                .order_by("pk")
                .values_list("user__username", flat=True)
            )
        rank[t.pk] = [(ext, reps.index(user)) for ext, user in account_managers(t)]
    assert rank[tenant.pk] == rank[other_tenant.pk]


def test_different_seeds_give_different_data(tenant, other_tenant):
    generate(tenant=tenant, seed=1, **TINY)
    generate(tenant=other_tenant, seed=2, **TINY)
    first, second = snapshot(tenant), snapshot(other_tenant)
    assert first["orders"] != second["orders"]
    assert first["customers"] != second["customers"]


def test_a_second_run_is_refused_without_replace(tenant):
    args = ["--tenant", tenant.slug, "--customers", "40", "--orders", "600", "--months", "12"]
    call_command("generate_data", *args, stdout=StringIO())
    with pytest.raises(CommandError, match=r"already has data .*600|--replace"):
        call_command("generate_data", *args, stdout=StringIO())


def test_replace_regenerates_the_same_data_with_the_same_reps(tenant):
    args = ["--tenant", tenant.slug, "--seed", "5", "--customers", "100", "--orders", "2000"]
    args += ["--months", "24", "--no-progress"]
    out = StringIO()
    call_command("generate_data", *args, stdout=out)
    assert "orders" in out.getvalue()
    before, managers = snapshot(tenant), account_managers(tenant)
    users = get_user_model().objects.count()

    call_command("generate_data", *args, "--replace", stdout=StringIO())

    assert snapshot(tenant) == before
    assert account_managers(tenant) == managers
    assert get_user_model().objects.count() == users


def test_existing_reps_are_reused_and_new_ones_cannot_log_in(tenant):
    with tenant_context(tenant):
        anna = MembershipFactory(tenant=tenant, user=UserFactory(username="anna"), role=Role.REP)
    generate(tenant=tenant, seed=3, reps=3, **TINY)
    with tenant_context(tenant):
        reps = list(Membership.objects.filter(role=Role.REP).select_related("user"))
        assert len(reps) == 3
        assert Customer.objects.filter(account_manager=anna).exists()
        assert DepartmentMember.objects.filter(membership=anna).exists()
    new = [m.user for m in reps if m.pk != anna.pk]
    assert len(new) == 2 and all(re.fullmatch(r"rep-\d+", u.username) for u in new)
    assert not any(u.has_usable_password() for u in new)
    anna.user.refresh_from_db()
    assert anna.user.has_usable_password()


def test_the_number_of_orders_is_near_the_request(generated):
    tenant, counts = generated
    with tenant_context(tenant):
        assert Customer.objects.count() == SMALL["customers"]
        orders = Order.objects.count()
    assert orders == counts["orders"]
    assert abs(orders - SMALL["orders"]) <= 0.1 * SMALL["orders"]
    assert counts["platform_samples"] == (DEFAULT_END - START).days


def test_the_online_share_rises_over_the_window(generated):
    tenant, _ = generated

    def online_share(since: date, until: date) -> float:
        with tenant_context(tenant):
            orders = Order.objects.filter(
                placed_at__gte=local(since, tenant), placed_at__lt=local(until, tenant)
            ).aggregate(all=Count("id"), online=Count("id", filter=Q(channel__is_online=True)))
        return orders["online"] / orders["all"]

    first = online_share(START, date(2025, 5, 1))
    last = online_share(date(2026, 5, 1), DEFAULT_END)
    assert 0.15 < first < 0.4
    assert last > first + 0.15


def test_returns_are_negative_and_carry_a_reason(generated):
    tenant, _ = generated
    with tenant_context(tenant):
        returns = Order.objects.filter(is_return=True)
        share = returns.count() / Order.objects.count()
        assert 0.02 < share < 0.08
        assert not returns.filter(Q(amount__gte=0) | Q(return_reason="")).exists()
        assert not Order.objects.filter(is_return=False, amount__lte=0).exists()
        assert not Order.objects.filter(is_return=False).exclude(return_reason="").exists()
        reasons = set(returns.values_list("return_reason", flat=True))
    assert {"Verkeerd artikel", "Beschadigd", "Te veel besteld", "Niet meer nodig"} <= reasons


def test_some_customers_only_return_goods_in_the_last_90_days(generated):
    tenant, _ = generated
    since = local(DEFAULT_END - timedelta(days=90), tenant)
    with tenant_context(tenant):
        recent = (
            Order.objects.filter(placed_at__gte=since)
            .values("customer")
            .annotate(orders=Count("id"), returns=Count("id", filter=Q(is_return=True)))
        )
        returns_only = [r for r in recent if r["orders"] == r["returns"]]
    assert 2 <= len(returns_only) <= 10


def test_order_lines_add_up_to_the_order_amount(generated):
    tenant, _ = generated
    with tenant_context(tenant):
        amounts = dict(Order.objects.values_list("external_id", "amount"))
        lines: dict[str, list[Decimal]] = {}
        for order, amount in OrderLine.objects.values_list("order__external_id", "amount"):
            lines.setdefault(order, []).append(amount)
        families = OrderLine.objects.values("product_family").distinct().count()
    # Summed in Python: SQLite sums decimals as floats.
    assert {order: sum(parts) for order, parts in lines.items()} == amounts
    assert all(1 <= len(parts) <= 5 for parts in lines.values())
    assert families == 12


def test_orders_are_placed_in_business_hours_of_the_tenant(generated):
    tenant, _ = generated
    with tenant_context(tenant):
        placed = list(Order.objects.values_list("placed_at", "channel__code"))
    hours = [(at.astimezone(tenant.tzinfo).hour, code) for at, code in placed]
    assert all(7 <= hour < 18 for hour, code in hours if code not in {"web", "app"})
    assert all(7 <= hour < 22 for hour, _ in hours)


def test_web_activity_has_every_kind_and_sessions_before_offline_orders(generated):
    tenant, _ = generated
    with tenant_context(tenant):
        kinds = dict(WebActivity.objects.values_list("kind").annotate(n=Count("id")))
        sessions: dict[int, list[datetime]] = {}
        for customer, at in WebActivity.objects.filter(kind="session").values_list(
            "customer_id", "occurred_at"
        ):
            sessions.setdefault(customer, []).append(at)
        offline = Order.objects.filter(channel__is_online=False).values_list(
            "customer_id", "placed_at"
        )
        influenced = sum(
            any(timedelta(0) < at - s <= timedelta(days=7) for s in sessions.get(customer, ()))
            for customer, at in offline
        )
        assert not WebActivity.objects.filter(contact__has_web_account=False).exists()
    assert set(kinds) == {k for k, _ in WebActivity.Kind.choices}
    assert kinds["session"] > kinds["login"] > kinds["download"]
    assert influenced > 0.1 * len(offline)


def test_won_leads_become_new_customers(generated):
    tenant, _ = generated
    with tenant_context(tenant):
        stages = dict(FunnelEvent.objects.values_list("stage").annotate(n=Count("id")))
        won = FunnelEvent.objects.filter(stage="won").annotate(
            first_order=Min("customer__orders__placed_at")
        )
        assert won.exists()
        assert not won.filter(customer__isnull=True).exists()
        assert not won.filter(occurred_at__gt=F("first_order")).exists()
    order = ["first_identifier", "second_identifier", "mql", "sql", "won"]
    assert [stages[s] for s in order] == sorted(stages.values(), reverse=True)


def test_surveys_and_platform_samples_stay_in_range(generated):
    tenant, _ = generated
    with tenant_context(tenant):
        nps = SurveyResponse.objects.filter(kind="nps")
        assert 100 <= nps.count() <= 400
        assert not nps.filter(score__gt=10).exists()
        ces = SurveyResponse.objects.filter(kind="ces")
        assert ces.exists() and not ces.filter(Q(score__lt=1) | Q(score__gt=7)).exists()
        samples = PlatformSample.objects.all()
        assert not samples.filter(Q(uptime_pct__lt=99.5) | Q(uptime_pct__gt=100)).exists()
        assert not samples.filter(
            Q(median_page_load_ms__lt=400) | Q(median_page_load_ms__gt=1500)
        ).exists()
