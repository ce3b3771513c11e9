"""Measurement pages kept 30 % free (PostgreSQL only).

Every night the recompute rewrites the open periods' rows (value, changes, job, time: no
indexed column). With room on their page such an update is a HOT update: the new row version
stays on the same page and none of the five indexes gets an entry. With full pages each of
the night's thousands of updates moved to another page and was added to every index (the
upsert took twice as long, and the indexes grew every night until a vacuum). Applies to the
pages written from now on; `VACUUM FULL kpis_measurement` repacks the existing ones.
"""

from django.db import migrations

FILLFACTOR = 70


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("kpis", "Measurement")._meta.db_table
    schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {FILLFACTOR})")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("kpis", "Measurement")._meta.db_table
    schema_editor.execute(f"ALTER TABLE {table} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("kpis", "0005_facts_snapshot")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
