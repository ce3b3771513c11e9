"""Row-level security on every tenant-owned table that exists at this point (portal.rls).

Tables created by later migrations get theirs from the post_migrate handler (portal.apps).
Nothing to do on SQLite, which keeps the application-level scoping only.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    from portal.rls import rls_apply

    rls_apply(schema_editor.connection, apps)


def backwards(apps, schema_editor):
    from portal.rls import POLICY, rls_status, tenant_owned_tables

    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in rls_status(connection, tenant_owned_tables(apps)):
            cursor.execute(f"DROP POLICY IF EXISTS {POLICY} ON {quote(table)}")
            cursor.execute(f"ALTER TABLE {quote(table)} NO FORCE ROW LEVEL SECURITY")
            cursor.execute(f"ALTER TABLE {quote(table)} DISABLE ROW LEVEL SECURITY")


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0006_tenant_clv_discount_rate"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
