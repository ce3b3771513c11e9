"""Per-tenant locks for jobs that must never overlap (e.g. the recompute).

PostgreSQL: a session-level advisory lock, released by the server when the holder's
connection ends, so a killed worker never leaves a stale lock. SQLite (demo, tests): an
exclusive `flock` on a file under var/locks, released by the OS when the process dies.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection


class LockBusy(Exception):
    """Another run holds the lock."""


@contextmanager
def tenant_lock(name: str, tenant_id: int, *, wait: float = 0) -> Iterator[None]:
    """Hold the lock `name` for the tenant; raise LockBusy if not free within `wait` seconds."""
    if connection.vendor == "postgresql":
        with _advisory_lock(name, tenant_id, wait):
            yield
    else:
        with _file_lock(name, tenant_id, wait):
            yield


def _poll(try_once, wait: float) -> bool:
    deadline = time.monotonic() + wait
    while True:
        if try_once():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)


# Advisory locks are re-entrant for the session that holds them; ours are not, like flock.
_held: set[tuple[str, int]] = set()


@contextmanager
def _advisory_lock(name: str, tenant_id: int, wait: float) -> Iterator[None]:
    key = zlib.crc32(name.encode()) & 0x7FFFFFFF

    def try_once() -> bool:
        if (name, tenant_id) in _held:
            return False
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [key, tenant_id])
            return bool(cursor.fetchone()[0])

    if not _poll(try_once, wait):
        raise LockBusy(name)
    _held.add((name, tenant_id))
    try:
        yield
    finally:
        _held.discard((name, tenant_id))
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [key, tenant_id])


def _database_key() -> str:
    """One lock folder per database file: tenant 1 of one database is not tenant 1 of another.

    An in-memory database (the test runs) lives in one process only, so its locks do too.
    """
    name = str(connection.settings_dict["NAME"])
    if "memory" in name:
        name = f"{name}-{os.getpid()}"
    return hashlib.sha1(name.encode()).hexdigest()[:12]


@contextmanager
def _file_lock(name: str, tenant_id: int, wait: float) -> Iterator[None]:
    folder = Path(settings.BASE_DIR) / "var" / "locks" / _database_key()
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{name}-{tenant_id}.lock", "w") as handle:

        def try_once() -> bool:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                return False

        if not _poll(try_once, wait):
            raise LockBusy(name)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
