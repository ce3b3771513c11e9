"""`koers_api_key_known(hash)`: whether an API key hash belongs to an active token of any
tenant. Row-level security hides other tenants' tokens from the application role, so the
middleware asks this function (SECURITY DEFINER, owned by the migrating owner) when a key
fails in the tenant of the URL: a valid key of tenant A on tenant B's URL is then a 404, like
a member of A on B's pages, and a key valid nowhere stays a 401. It answers yes or no for a
SHA-256 hash and nothing else. SQLite: the application asks the table directly.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION koers_api_key_known(digest text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT EXISTS (
        SELECT 1 FROM portal_apitoken WHERE key_hash = digest AND revoked_at IS NULL
    )
$$
"""
DROP = "DROP FUNCTION IF EXISTS koers_api_key_known(text)"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("portal", "0008_audit_entry")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
