"""Audit trail: who changed which KPI, target, check-in, conclusion, persona, roadmap item,
membership or import, when, and each field's value before and after.

Signal receivers on the models in AUDITED write one `AuditEntry` per create, change and delete
(and per change of a many-to-many set), in the same transaction as the change, so a rolled-back
change leaves no entry. Before an update the stored row is read once (pre_save) to know each
field's value before: loading instances costs nothing extra (a post_init snapshot taxed every
instance the pages load), and saves are rare. Who acts comes from
`portal.tenancy.current_actor()`: the logged-in user (TenantMiddleware), an API token, or the
task or command that runs (TenantTask, TenantCommand); "system" otherwise.

Not seen by signals, and so not in the trail row by row: bulk writes (`QuerySet.update`,
`bulk_create`, the importers' set-based upserts and the nightly recompute). Imports are audited
through their ImportBatch (created, previewed, confirmed, failed) instead.
"""

from __future__ import annotations

import datetime
import decimal
import uuid

from django.apps import apps
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from portal.tenancy import current_actor

# model label -> fields left out of the trail (besides the key, the tenant and timestamps
# that change on every save).
AUDITED: dict[str, set[str]] = {
    "kpis.Kpi": set(),
    "kpis.Target": set(),
    "kpis.CheckIn": set(),
    "kpis.BoardConclusion": set(),
    "personas.Persona": set(),
    "personas.PersonaRule": set(),
    "roadmap.RoadmapItem": set(),
    "roadmap.RoadmapKpiLink": set(),
    "portal.Membership": set(),
    "portal.DepartmentMember": set(),
    "portal.Department": set(),
    "customers.ImportBatch": {"report", "file"},  # the status and who confirmed tell the story
}
ALWAYS_LEFT_OUT = {"id", "tenant", "created_at", "updated_at", "modified_at", "last_used_at"}
SNAPSHOT = "_audit_snapshot"
SYSTEM = "system"


def audited_models() -> list[type[models.Model]]:
    found = []
    for label in AUDITED:
        try:
            found.append(apps.get_model(label))
        except LookupError:  # an app that is not installed
            continue
    return found


def _fields(model: type[models.Model]) -> list[models.Field]:
    left_out = ALWAYS_LEFT_OUT | AUDITED.get(model._meta.label, set())
    return [f for f in model._meta.concrete_fields if f.name not in left_out]


def _plain(value):
    """A JSON-friendly form of a field value."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def _values(instance: models.Model) -> dict:
    return {f.attname: _plain(instance.__dict__.get(f.attname)) for f in _fields(type(instance))}


def _record(instance: models.Model, action: str, changes: dict) -> None:
    from portal.models import AuditEntry

    actor = current_actor()
    AuditEntry.objects.create(
        tenant_id=instance.tenant_id,
        actor_id=actor.user_id if actor else None,
        actor_label=(actor.label if actor and actor.label else SYSTEM)[:150],
        action=action,
        model=instance._meta.label,
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        changes=changes,
    )


def _remember(sender, instance, raw=False, using=None, **kwargs) -> None:
    """Before an update: the stored values (one query; none for a new row)."""
    instance.__dict__.pop(SNAPSHOT, None)
    if raw or instance.pk is None:
        return
    names = [f.attname for f in _fields(sender)]
    stored = sender._base_manager.using(using).filter(pk=instance.pk).values(*names).first()
    if stored is not None:
        instance.__dict__[SNAPSHOT] = {name: _plain(value) for name, value in stored.items()}


def _saved(sender, instance, created, raw=False, update_fields=None, **kwargs) -> None:
    if raw:  # loaddata
        return
    after = _values(instance)
    if update_fields:  # only what was written
        written = {sender._meta.get_field(name).attname for name in update_fields}
        after = {name: value for name, value in after.items() if name in written}
    if created:
        changes = {name: [None, value] for name, value in after.items() if value not in (None, "")}
        _record(instance, "create", changes)
    else:
        before = instance.__dict__.get(SNAPSHOT) or {}
        changes = {
            name: [before.get(name), value]
            for name, value in after.items()
            if name in before and before[name] != value
        }
        if changes:
            _record(instance, "update", changes)
    instance.__dict__.pop(SNAPSHOT, None)


def _deleted(sender, instance, origin=None, **kwargs) -> None:
    from portal.models import Tenant

    # origin: the instance or queryset whose delete() cascaded here.
    if isinstance(origin, Tenant) or getattr(origin, "model", None) is Tenant:
        return  # the whole tenant goes, its trail with it
    before = _values(instance)
    changes = {name: [value, None] for name, value in before.items() if value not in (None, "")}
    _record(instance, "delete", changes)


def _m2m_changed(sender, instance, action, model, pk_set, reverse, **kwargs) -> None:
    if action not in {"post_add", "post_remove", "post_clear"} or reverse:
        return
    if instance._meta.label not in AUDITED:
        return
    field = next(
        (f.name for f in instance._meta.many_to_many if f.remote_field.through is sender), "?"
    )
    ids = sorted(pk_set or [])
    change = {"post_add": [None, ids], "post_remove": [ids, None], "post_clear": ["*", None]}
    _record(instance, "update", {field: change[action]})


def connect() -> None:
    """Connect the receivers (PortalConfig.ready)."""
    for model in audited_models():
        uid = f"portal.audit.{model._meta.label}"
        pre_save.connect(_remember, sender=model, dispatch_uid=uid)
        post_save.connect(_saved, sender=model, dispatch_uid=uid)
        post_delete.connect(_deleted, sender=model, dispatch_uid=uid)
        for field in model._meta.many_to_many:
            m2m_changed.connect(_m2m_changed, sender=field.remote_field.through, dispatch_uid=uid)
