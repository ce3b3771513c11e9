"""A scratch PostgreSQL database for benchmarks, so that no real data is touched."""

from __future__ import annotations

import os

import psycopg

BENCH_DB = os.environ.get("KOERS_BENCH_DB", "koers_bench")
PG = os.environ.get("KOERS_BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def use_scratch_database(*, fresh: bool = False) -> str:
    """Point Django at the scratch database (created, and migrated, on demand)."""
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{BENCH_DB}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    url = f"{PG}/{BENCH_DB}"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koers.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url
