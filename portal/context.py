"""The ContextVars of the active tenant and the acting user, free of model imports so that the
database backend (portal.db) can read them. Set them through portal.tenancy only."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user (pages, API tokens with a creator) or a named process."""

    user_id: int | None
    label: str


current_tenant_var: ContextVar[Any] = ContextVar("koers_tenant", default=None)
current_actor_var: ContextVar[Actor | None] = ContextVar("koers_actor", default=None)


def current_tenant_id() -> int | None:
    """The active tenant's id or None (row-level security, audit)."""
    tenant = current_tenant_var.get()
    return None if tenant is None else tenant.pk


def current_actor() -> Actor | None:
    return current_actor_var.get()
