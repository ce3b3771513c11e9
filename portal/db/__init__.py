"""Koers' PostgreSQL backend (ENGINE "portal.db"): row-level security settings and the split
between the application role and the owner role (portal.rls, docs/security.md)."""
