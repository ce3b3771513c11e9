"""Database work on a second connection, beside the caller's.

`beside(fn)` runs one function (a large read) in a thread on its own connection while the
caller goes on. The recompute's measurements spend about as long in the database as in
Python: a BackgroundTransaction runs such write steps in a thread on its own connection, in
one transaction, so PostgreSQL works on the other core while the caller prepares the next
batch. Foreign keys are checked per statement (`SET CONSTRAINTS ALL
IMMEDIATE`), so the checks overlap the caller's work too instead of all waiting for the
commit. All or nothing: commit() commits every step or raises the first step's error;
abort() (or any failure) rolls every step back.

Only on PostgreSQL in autocommit: inside a transaction (tests, atomic requests) a second
connection would not see the caller's uncommitted rows, and SQLite has one writer. There
`available()` is false and callers write in their own transaction as before.
"""

from __future__ import annotations

import contextlib
import contextvars
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from django.db import connection, connections, transaction

_COMMIT, _ABORT = object(), object()


class Aborted(Exception):
    """The caller gave up: every step was rolled back."""


def available() -> bool:
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def beside(fn: Callable[[], Any], *, name: str = "koers-beside") -> Future:
    """Run fn() in a thread on its own connection, with the caller's context (tenant and
    acting user, so row-level security follows); its result or error comes by the future.
    Use `available()` first."""
    future: Future = Future()
    context = contextvars.copy_context()

    def run() -> None:
        try:
            future.set_result(context.run(fn))
        except BaseException as error:  # handed to the caller by future.result()
            future.set_exception(error)
        finally:
            connections.close_all()  # this thread's connection only

    threading.Thread(target=run, name=name, daemon=True).start()
    return future


class BackgroundTransaction:
    """submit(fn, *args) runs fn(*args) in the thread, inside the transaction, in order;
    commit() returns their results. Use `available()` first. The caller's tenant (row-level
    security) and acting user carry over to the thread."""

    def __init__(self, *, name: str = "koers-writer") -> None:
        self._queue: queue.Queue = queue.Queue()
        self._done: Future = beside(self._run, name=name)

    def submit(self, fn: Callable[..., Any], *args, **kwargs) -> None:
        if self._done.done():
            self._done.result()  # a step failed: its error, now
        self._queue.put((fn, args, kwargs))

    def commit(self) -> list:
        """Wait for every step, commit, and return the steps' results in order."""
        self._queue.put(_COMMIT)
        return self._done.result()

    def abort(self) -> None:
        """Roll back every step; waits for the thread to stop. Harmless after a failure."""
        self._queue.put(_ABORT)
        # Aborted, or the step's error that the caller has already seen.
        with contextlib.suppress(Exception):
            self._done.result()

    def _run(self) -> list:
        results: list = []
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            while (item := self._queue.get()) is not _COMMIT:
                if item is _ABORT:
                    raise Aborted
                fn, args, kwargs = item
                results.append(fn(*args, **kwargs))
        return results
