from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _row_level_security(sender, using, apps=None, **kwargs) -> None:
    """After every migrate (and flush): RLS on tenant-owned tables that later migrations of any
    app created, and the application role's grants on every table (portal.rls)."""
    from django.db import connections

    from portal import rls

    if sender.name != "portal":
        return  # once per migrate: post_migrate runs after every app's migrations
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    rls.rls_apply(connection)
    if connection.settings_dict.get("APP_USER"):
        rls.app_role_grant(connection, connection.settings_dict["APP_USER"])


class PortalConfig(AppConfig):
    name = "portal"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_row_level_security, dispatch_uid="portal.row_level_security")
        from portal import audit, checks  # noqa: F401  (checks register themselves)

        audit.connect()
        from django.db.backends.signals import connection_created

        from portal.pagecache import install_write_tracker

        connection_created.connect(install_write_tracker, dispatch_uid="portal.write_tracker")
