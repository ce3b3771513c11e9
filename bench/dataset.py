"""The benchmark data set: three tenants in the scratch database, built once and reused.

One large tenant (1,000,000 orders / 20,000 customers / 50 reps, slug `bench-big`, shared
with bench/clv.py) and two small ones that double as the growth points (100,000 and 300,000
orders, customers and reps in proportion). What was generated is recorded in a table of the
scratch database (`bench_dataset`): a tenant whose recorded spec matches is reused, one that
differs (or has data but no record) is generated again, in place. The database itself is
never dropped here: another benchmark may be using it.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from datetime import date

END = date(2026, 11, 1)  # the generated history ends here (36 months)


@dataclass(frozen=True)
class Spec:
    slug: str
    name: str
    orders: int
    customers: int
    reps: int
    months: int = 36
    seed: int = 1

    def as_json(self) -> str:
        return json.dumps({**asdict(self), "end": END.isoformat()}, sort_keys=True)


BIG = Spec("bench-big", "Bench Groothandel", 1_000_000, 20_000, 50)
SMALL = (
    Spec("bench-small-100k", "Bench Klein", 100_000, 2_000, 5, seed=2),
    Spec("bench-small-300k", "Bench Middel", 300_000, 6_000, 15, seed=3),
)
SPECS = (*SMALL, BIG)  # growth order: 100k, 300k, 1M


def _record_table() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_dataset (slug text PRIMARY KEY, spec text NOT NULL)"
        )


def _recorded(slug: str) -> str | None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT spec FROM bench_dataset WHERE slug = %s", [slug])
        row = cursor.fetchone()
    return row[0] if row else None


def _record(spec: Spec) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_dataset (slug, spec) VALUES (%s, %s) "
            "ON CONFLICT (slug) DO UPDATE SET spec = excluded.spec",
            [spec.slug, spec.as_json()],
        )


def _matches_unrecorded(tenant, spec: Spec) -> bool:
    """Data generated before specs were recorded (bench.setup.big_tenant, same parameters):
    the same numbers of customers and reps, and the orders within 1% of the spec."""
    from customers.models import Customer, Order
    from portal.models import Membership, Role

    orders = Order.objects.filter(tenant=tenant).count()
    return (
        Customer.objects.filter(tenant=tenant).count() == spec.customers
        and Membership.objects.filter(tenant=tenant, role=Role.REP).count() == spec.reps
        and abs(orders - spec.orders) <= spec.orders // 100
    )


def tenant_ensure(spec: Spec, *, log=print):
    """The spec's tenant with its generated data, its KPIs (the starter set and one KPI per
    catalogue metric) and a head and a board member for the pages."""
    from decimal import Decimal

    from customers.generator import generate
    from portal.models import Tenant
    from portal.tenancy import tenant_context

    _record_table()
    tenant, _ = Tenant.objects.get_or_create(
        slug=spec.slug,
        defaults={"name": spec.name, "locale": "nl", "clv_discount_rate": Decimal("0.100")},
    )
    with tenant_context(tenant):
        recorded = _recorded(spec.slug)
        if recorded != spec.as_json():
            if recorded is None and _matches_unrecorded(tenant, spec):
                log(f"{spec.slug}: reusing the generated data (now recorded)")
            else:
                log(f"{spec.slug}: generating {spec.orders:,} orders ...")
                started = time.perf_counter()
                generate(
                    tenant=tenant,
                    customers=spec.customers,
                    orders=spec.orders,
                    months=spec.months,
                    seed=spec.seed,
                    reps=spec.reps,
                    end=END,
                    replace=True,
                )
                log(f"{spec.slug}: generated in {time.perf_counter() - started:.0f} s")
                _analyze()
            _record(spec)
        _people_ensure(tenant)
        _kpis_ensure(tenant)
    return tenant


GENERATED_TABLES = (
    "customers_customer",
    "customers_contact",
    "customers_order",
    "customers_orderline",
    "customers_webactivity",
    "customers_funnelevent",
    "customers_surveyresponse",
    "customers_platformsample",
)


def _analyze() -> None:
    """Statistics of the freshly generated tables, as autovacuum gathers them in production
    (it is off on these machines): without them the planner takes the tables for empty, e.g.
    sorts the funnel events on disk where it would hash them."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in GENERATED_TABLES:
            cursor.execute(f"ANALYZE {table}")


def _people_ensure(tenant) -> None:
    from portal.models import Department, Role
    from portal.services import member_add

    departments = list(Department.objects.filter(tenant=tenant).values_list("name", flat=True))
    member_add(
        tenant=tenant, username=f"{tenant.slug}-head", role=Role.HEAD, department_names=departments
    )
    member_add(tenant=tenant, username=f"{tenant.slug}-board", role=Role.BOARD)


def _kpis_ensure(tenant) -> None:
    from kpis.metrics import CATALOGUE
    from kpis.models import Kpi, Target
    from kpis.starter import starter_kpis_create

    if not Target.objects.filter(tenant=tenant).exists():
        starter_kpis_create(tenant=tenant, as_of=date.today())
    existing = set(Kpi.objects.filter(tenant=tenant).values_list("metric_key", flat=True))
    Kpi.objects.bulk_create(
        [
            Kpi(tenant=tenant, name=key, metric_key=key, unit=metric.unit)
            for key, metric in CATALOGUE.items()
            if key not in existing
        ]
    )


def users(tenant) -> dict[str, object]:
    """The users whose pages are timed: the rep with the most customers, the head, the board,
    and a rep with a typical book (the account count nearest the tenant's mean: 400 in every
    bench tenant). The most accounts grow with the number of reps (530 at 100k orders, 1,273
    at 1M), so the growth of a page over tenant sizes is judged on the typical rep's."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from customers.models import Customer
    from portal.tenancy import tenant_context

    User = get_user_model()
    with tenant_context(tenant):
        books = list(
            Customer.objects.filter(tenant=tenant, account_manager__isnull=False)
            .values("account_manager__user_id")
            .annotate(n=Count("id"))
            .order_by("-n", "account_manager__user_id")
        )
    rep = books[0]
    mean = sum(b["n"] for b in books) / len(books)
    typical = min(books, key=lambda b: (abs(b["n"] - mean), b["account_manager__user_id"]))
    people = {}
    for name, book in (("portfolio", rep), ("portfolio_typical", typical)):
        people[name] = User.objects.get(pk=book["account_manager__user_id"])
        people[name].bench_accounts = book["n"]  # reported beside the page's times
    return {
        **people,
        "department": User.objects.get(username=f"{tenant.slug}-head"),
        "board": User.objects.get(username=f"{tenant.slug}-board"),
    }
