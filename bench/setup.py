"""A scratch PostgreSQL database for benchmarks, so that no real data is touched."""

from __future__ import annotations

import os

import psycopg

BENCH_DB = os.environ.get("KOERS_BENCH_DB", "koers_bench")
PG = os.environ.get("KOERS_BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def big_tenant(
    *, slug: str = "bench-big", customers: int = 20_000, orders: int = 1_000_000, reps: int = 50
):
    """The large benchmark tenant, generated once and reused while the scratch database lives."""
    import time
    from datetime import date

    from customers.generator import generate
    from customers.models import Order
    from portal.services import tenant_create
    from portal.tenancy import tenant_context

    tenant, _ = tenant_create(slug=slug, name="Bench Groothandel", locale="nl")
    with tenant_context(tenant):
        if not Order.objects.filter(tenant=tenant).exists():
            started = time.perf_counter()
            generate(
                tenant=tenant,
                customers=customers,
                orders=orders,
                months=36,
                seed=1,
                reps=reps,
                end=date(2026, 11, 1),
            )
            print(f"generated {orders:,} orders in {time.perf_counter() - started:.0f} s")
    return tenant


def use_scratch_database(*, fresh: bool = False, name: str = BENCH_DB, migrate: bool = True) -> str:
    """Point Django at a scratch database (created, and migrated, on demand)."""
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{PG}/{name}"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koers.settings")
    import django

    django.setup()
    from django.core.management import call_command

    if migrate:
        call_command("migrate", verbosity=0)
    return url
