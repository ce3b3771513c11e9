"""System checks: the application's database role must be subject to row-level security.

Run with `manage.py check --database default` (and --deploy) on PostgreSQL."""

from __future__ import annotations

from django.core.checks import Tags, Warning, register


@register(Tags.database)
def rls_applies_to_the_application_role(app_configs=None, databases=None, **kwargs):
    from django.db import connections

    problems = []
    for alias in databases or []:
        connection = connections[alias]
        if connection.vendor != "postgresql" or alias != "default":
            continue
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
            )
            superuser, bypass = cursor.fetchone()
            cursor.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() "
                "AND tableowner = current_user"
            )
            owned = cursor.fetchone()[0]
        if superuser or bypass or owned:
            problems.append(
                Warning(
                    "The application connects to PostgreSQL as a role that "
                    + (
                        "is a superuser"
                        if superuser
                        else "has BYPASSRLS"
                        if bypass
                        else "owns tables"
                    )
                    + ": row-level security does not protect tenants from each other.",
                    hint="Connect as a role without SUPERUSER/BYPASSRLS that owns nothing "
                    "(DATABASE_URL) and migrate as the owner (DATABASE_OWNER_URL): docs/security.md.",
                    id="koers.W001",
                )
            )
    return problems
