"""PostgreSQL with row-level security: Django's backend plus two duties.

1. Before every cursor, the connection's `app.tenant_id` (and `app.user_id`) match the active
   tenant (and acting user) of `portal.tenancy`. Inside a transaction the value is set with
   `set_config(..., true)` and lives until the transaction ends; in autocommit it is set for the
   session. Either way the wrapper forgets what it set at every commit, rollback, savepoint
   rollback and reconnect, so the next cursor sets it again: a connection reused by another
   request, task or pool checkout never runs a query with a previous tenant's value. The
   statement goes straight to psycopg (not through Django's cursor), so query counting in tests
   sees only the application's queries.

2. With an owner configured (`OWNER` in the settings dict, from DATABASE_OWNER_URL), the test
   database is created, migrated, flushed and dropped as the owner; the application itself
   connects as the non-owner role of DATABASE_URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db.backends.postgresql import base, creation
from psycopg import pq

from portal.context import current_actor, current_tenant_id

SET_SQL = "SELECT set_config('app.tenant_id', %s, %s), set_config('app.user_id', %s, %s)"


def desired_settings() -> tuple[str, str]:
    tenant_id = current_tenant_id()
    actor = current_actor()
    user_id = actor.user_id if actor is not None else None
    return ("" if tenant_id is None else str(tenant_id), "" if user_id is None else str(user_id))


class DatabaseCreation(creation.DatabaseCreation):
    def create_test_db(self, *args, **kwargs):
        with self.connection.as_owner():
            return super().create_test_db(*args, **kwargs)

    def destroy_test_db(self, *args, **kwargs):
        with self.connection.as_owner():
            return super().destroy_test_db(*args, **kwargs)


class DatabaseWrapper(base.DatabaseWrapper):
    creation_class = DatabaseCreation

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._rls_state: tuple[str, str] | None = None  # None: unknown, set before next query
        self._owner_depth = 0

    # --- row-level security settings -----------------------------------------------------------

    def init_connection_state(self) -> None:
        super().init_connection_state()
        self._rls_state = None

    def _cursor(self, name=None):
        cursor = super()._cursor(name)
        self.rls_sync()
        return cursor

    def rls_sync(self) -> None:
        desired = desired_settings()
        if desired == self._rls_state or self.connection is None:
            return
        if self.connection.info.transaction_status == pq.TransactionStatus.INERROR:
            return  # only a rollback can run now; it forgets the state anyway
        local = not self.get_autocommit()
        with self.connection.cursor() as raw:
            raw.execute(SET_SQL, [desired[0], local, desired[1], local])
        self._rls_state = desired

    def _commit(self):
        self._rls_state = None
        return super()._commit()

    def _rollback(self):
        self._rls_state = None
        return super()._rollback()

    def _savepoint_rollback(self, sid):
        result = super()._savepoint_rollback(sid)
        self._rls_state = None
        return result

    def _close(self):
        self._rls_state = None
        return super()._close()

    # --- the owner role ------------------------------------------------------------------------

    @property
    def app_role(self) -> str:
        return self.settings_dict.get("APP_USER") or self.settings_dict["USER"]

    @contextmanager
    def as_owner(self) -> Iterator[None]:
        """Run the block connected as the owner role (migrate, flush, test database set-up)."""
        owner = self.settings_dict.get("OWNER")
        if not owner or self._owner_depth:
            self._owner_depth += 1
            try:
                yield
            finally:
                self._owner_depth -= 1
            return
        saved = {key: self.settings_dict.get(key) for key in owner}
        self.settings_dict.setdefault("APP_USER", self.settings_dict["USER"])
        self.close()
        self.settings_dict.update(owner)
        self._owner_depth += 1
        try:
            yield
        finally:
            self._owner_depth -= 1
            self.close()
            self.settings_dict.update(saved)
