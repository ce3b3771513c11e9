#!/usr/bin/env bash
# The two PostgreSQL roles Koers runs with (docs/security.md):
#   the owner (DATABASE_OWNER_URL) creates and migrates the tables and, with BYPASSRLS, serves
#   Django's admin across tenants; here the cluster's superuser, in production a dedicated role;
#   the application role (DATABASE_URL) logs in, owns nothing, and has neither SUPERUSER nor
#   BYPASSRLS: row-level security applies to every query it makes. Grants on the tables are
#   given by the post_migrate handler (portal.apps), in every database migrate runs on.
# Usage: scripts/pg-roles.sh OWNER_URL APP_ROLE  (idempotent)
set -euo pipefail
owner_url="${1:?owner URL, e.g. postgres://postgres@127.0.0.1:5432/postgres}"
app_role="${2:?application role name, e.g. koers_app}"
psql "$owner_url" -v ON_ERROR_STOP=1 -q -v app_role="$app_role" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS', :'app_role')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app_role') \gexec
SELECT format('ALTER ROLE %I NOSUPERUSER NOBYPASSRLS', :'app_role') \gexec
SQL
echo "PostgreSQL role $app_role ready (no SUPERUSER, no BYPASSRLS)"
