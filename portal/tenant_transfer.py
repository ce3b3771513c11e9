"""Tenant export and restore: all of a tenant's own data in one zip, restorable into an empty
tenant (offboarding, backups, moving a tenant between installations).

The zip holds `manifest.json` (format, the tenant's settings, every file with its row count)
and one CSV per kind:

- `kinds/<kind>.csv` for the eight import kinds (customers ... platform), written by the
  exporter in the import formats of docs/data-formats.md and read back by the importer;
- `personas.csv` and `roadmap.csv` in the formats of their own import/export pages;
- `tables/<name>.csv` for what has no import format (channels, departments, members and
  their departments, glossary, contact moments, KPIs, targets, manual KPI values, check-ins,
  board conclusions): one column per field, references by the name people use (a username, a
  department name, a KPI name, a customer number), ISO dates, JSON for JSON fields.

Not in the zip, by design: what the nightly run derives again (measurements of metric KPIs,
scores, signals, CLV fits, persona assignments and snapshots), history (job runs, import
batches and their files, the audit trail, persona versions, roadmap changes, digest logs) and
secrets (API tokens: issue new ones; passwords: users restored into another installation get
an unusable password and set one through "Forgot your password?").
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import BinaryIO

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models, transaction

from portal.models import Tenant

FORMAT = 1
SETTINGS = [
    "currency",
    "locale",
    "timezone",
    "fiscal_year_start_month",
    "period_close_day",
    "churn_k",
    "web_influence_days",
    "clv_discount_rate",
]
# The name people use for a row of these models, as written in a reference column.
NATURAL_KEYS = {
    "auth.User": "username",
    "portal.Membership": "user__username",
    "portal.Department": "name",
    "customers.Channel": "code",
    "customers.Customer": "external_id",
    "customers.Contact": "external_id",
    "kpis.Kpi": "name",
}
LEFT_OUT_FIELDS = {"id", "tenant"}


@dataclass(frozen=True)
class TableSpec:
    name: str
    model: str
    only: dict = field(default_factory=dict)  # queryset filter


# In restore order: a table's references point at tables restored before it (or at itself).
TABLES_BEFORE_KINDS = [
    TableSpec("channels", "customers.Channel"),
    TableSpec("departments", "portal.Department"),
    TableSpec("members", "portal.Membership"),
    TableSpec("department_members", "portal.DepartmentMember"),
    TableSpec("glossary", "portal.GlossaryTerm"),
]
TABLES_AFTER_KINDS = [
    TableSpec("contact_moments", "customers.ContactMoment"),
    TableSpec("kpis", "kpis.Kpi"),
    TableSpec("targets", "kpis.Target"),
    TableSpec("manual_values", "kpis.Measurement", only={"kpi__metric_key": ""}),
    TableSpec("checkins", "kpis.CheckIn"),
    TableSpec("conclusions", "kpis.BoardConclusion"),
]
USER_COLUMNS = ["user__email", "user__first_name", "user__last_name"]


class RestoreError(Exception):
    """The zip cannot be restored; the message says why (nothing was written)."""


# --- fields -----------------------------------------------------------------------------------


def _fields(model: type[models.Model]) -> list[models.Field]:
    return [
        f
        for f in model._meta.concrete_fields
        if f.name not in LEFT_OUT_FIELDS and not getattr(f, "auto_now", False)
    ]


def _natural(model: type[models.Model]) -> str | None:
    return NATURAL_KEYS.get(model._meta.label)


def _columns(model: type[models.Model]) -> list[str]:
    columns = []
    for f in _fields(model):
        if f.is_relation:
            if _natural(f.related_model) is None:
                continue  # a reference to history (a job run, an import batch): not kept
            columns.append(f.name)
        else:
            columns.append(f.name)
    if model._meta.label == "portal.Membership":
        columns += USER_COLUMNS
    return columns


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def _parse(field_: models.Field, text: str):
    if text == "" and (field_.null or not isinstance(field_, models.CharField | models.TextField)):
        return None if field_.null else field_.get_default()
    if isinstance(field_, models.JSONField):
        return json.loads(text)
    if isinstance(field_, models.BooleanField):
        return text == "1"
    return field_.to_python(text)


# --- export -----------------------------------------------------------------------------------


def _table_rows(tenant: Tenant, spec: TableSpec) -> tuple[list[str], list[list[str]]]:
    model = apps.get_model(spec.model)
    columns = _columns(model)
    lookups = []
    for name in columns:
        if name in USER_COLUMNS:
            lookups.append(name)
            continue
        f = model._meta.get_field(name)
        lookups.append(f"{name}__{_natural(f.related_model)}" if f.is_relation else name)
    queryset = model.objects.filter(tenant=tenant, **spec.only).order_by("pk")
    rows = [[_cell(v) for v in values] for values in queryset.values_list(*lookups)]
    return columns, rows


def _csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def tenant_export(*, tenant: Tenant, out: BinaryIO) -> dict[str, int]:
    """Write the tenant's zip to `out` (runs in the tenant's scope); returns rows per file."""
    from customers.exporting import write_export
    from customers.importing.kinds import KINDS
    from personas.transfer import personas_export
    from roadmap.transfer import roadmap_export

    counts: dict[str, int] = {}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for spec in TABLES_BEFORE_KINDS + TABLES_AFTER_KINDS:
            header, rows = _table_rows(tenant, spec)
            archive.writestr(f"tables/{spec.name}.csv", _csv_bytes(header, rows))
            counts[f"tables/{spec.name}.csv"] = len(rows)
        for kind in KINDS:
            buffer = io.BytesIO()
            counts[f"kinds/{kind}.csv"] = write_export(
                tenant=tenant, kind=kind, fmt="csv", out=buffer
            )
            archive.writestr(f"kinds/{kind}.csv", buffer.getvalue())
        for name, export in (("personas", personas_export), ("roadmap", roadmap_export)):
            content = export(tenant=tenant, fmt="csv").content
            archive.writestr(f"{name}.csv", content)
            counts[f"{name}.csv"] = max(0, len(content.decode("utf-8-sig").splitlines()) - 1)
        manifest = {
            "format": FORMAT,
            "tenant": {
                "slug": tenant.slug,
                "name": tenant.name,
                **{k: _cell(getattr(tenant, k)) for k in SETTINGS},
            },
            "files": counts,
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
    return counts


# --- restore ----------------------------------------------------------------------------------


def _tenant_owned_models() -> list[type[models.Model]]:
    found = []
    for model in apps.get_models():
        f = next((f for f in model._meta.concrete_fields if f.name == "tenant"), None)
        if f is not None and f.related_model is Tenant:
            found.append(model)
    return found


def _resolver(tenant: Tenant, model: type[models.Model]):
    """natural key -> object of `model` in the tenant (users: global), cached."""
    key = _natural(model)
    if model is get_user_model():
        queryset = model.objects.all()
    else:
        queryset = model.objects.filter(tenant=tenant)
    cache = {str(v): pk for pk, v in queryset.values_list("pk", key)}

    def resolve(text: str):
        if text not in cache:
            raise RestoreError(f"{model._meta.verbose_name} {text!r} is referenced but missing")
        return cache[text]

    return resolve


@dataclass
class _Later:
    """A reference to a row restored later (a department's head, a KPI's parent KPI)."""

    model: type
    pk: int | None
    field: str
    cell: str
    where: str


def _restore_table(
    tenant: Tenant, spec: TableSpec, text: str, *, restored: set, later: list[_Later]
) -> int:
    model = apps.get_model(spec.model)
    reader = csv.DictReader(io.StringIO(text))
    rows = list(reader)
    self_refs: list[_Later] = []
    created = 0
    resolvers: dict = {}
    for line, row in enumerate(rows, start=2):
        values = {"tenant": tenant}
        if model._meta.label == "portal.Membership":
            user, _ = get_user_model().objects.get_or_create(
                username=row["user"],
                defaults={
                    "email": row.get("user__email", ""),
                    "first_name": row.get("user__first_name", ""),
                    "last_name": row.get("user__last_name", ""),
                },
            )
            if not user.has_usable_password() and user.password == "":
                user.set_unusable_password()
                user.save(update_fields=["password"])
            values["user_id"] = user.pk
        for name, cell in row.items():
            if name in USER_COLUMNS or (
                model._meta.label == "portal.Membership" and name == "user"
            ):
                continue
            f = model._meta.get_field(name)
            if f.is_relation:
                if cell == "":
                    values[f.attname] = None
                elif f.related_model is model or (
                    f.related_model not in restored and f.related_model is not get_user_model()
                ):
                    self_refs.append(
                        _Later(model, None, name, cell, f"{spec.name}.csv line {line}")
                    )
                else:
                    target = f.related_model
                    if target not in resolvers:
                        resolvers[target] = _resolver(tenant, target)
                    try:
                        values[f.attname] = resolvers[target](cell)
                    except RestoreError as exc:
                        raise RestoreError(f"{spec.name}.csv line {line}, {name}: {exc}") from None
            else:
                try:
                    values[name] = _parse(f, cell)
                except (ValidationError, ValueError) as exc:
                    raise RestoreError(f"{spec.name}.csv line {line}, {name}: {exc}") from None
        instance = model(**values)
        instance.save()
        stamped = {
            f.name: values[f.name]
            for f in model._meta.concrete_fields
            if getattr(f, "auto_now_add", False) and values.get(f.name) is not None
        }
        if stamped:  # auto_now_add overwrote the exported moment: put it back
            model.objects.filter(pk=instance.pk).update(**stamped)
        created += 1
        for ref in self_refs:
            if ref.pk is None:
                ref.pk = instance.pk
    later.extend(self_refs)
    restored.add(model)
    return created


def _restore_later(tenant: Tenant, later: list[_Later]) -> None:
    resolvers: dict = {}
    for ref in later:
        target = ref.model._meta.get_field(ref.field).related_model
        if target not in resolvers:
            resolvers[target] = _resolver(tenant, target)
        try:
            value = resolvers[target](ref.cell)
        except RestoreError as exc:
            raise RestoreError(f"{ref.where}, {ref.field}: {exc}") from None
        ref.model.objects.filter(pk=ref.pk).update(
            **{ref.model._meta.get_field(ref.field).attname: value}
        )


def tenant_restore(*, tenant: Tenant, fileobj: BinaryIO, user=None) -> dict[str, int]:
    """Restore a zip written by `tenant_export` into `tenant`, which must hold no data yet.
    All or nothing (one transaction); runs in the tenant's scope. Returns rows per file."""
    from customers.importing.engine import import_file
    from customers.importing.kinds import KINDS
    from personas.tabular import ImportRejected
    from personas.transfer import personas_import
    from roadmap.transfer import roadmap_import

    try:
        archive = zipfile.ZipFile(fileobj)
        manifest = json.loads(archive.read("manifest.json"))
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError) as exc:
        raise RestoreError(f"Not a tenant export: {exc}") from None
    if manifest.get("format") != FORMAT:
        raise RestoreError(f"Unknown export format {manifest.get('format')!r}")
    occupied = [
        m._meta.verbose_name_plural
        for m in _tenant_owned_models()
        if m._meta.label not in {"customers.Channel", "portal.AuditEntry"}
        and m.objects.filter(tenant=tenant).exists()
    ]
    if occupied:
        raise RestoreError(
            f"Tenant {tenant.slug!r} is not empty ({', '.join(map(str, occupied[:5]))}): "
            "restore into a new tenant (create_tenant)."
        )
    counts: dict[str, int] = {}
    restored: set = set()
    later: list[_Later] = []
    with transaction.atomic():
        for name in SETTINGS:
            f = Tenant._meta.get_field(name)
            setattr(tenant, name, f.to_python(manifest["tenant"][name]))
        tenant.full_clean()
        tenant.save()
        from customers.models import Channel

        Channel.objects.filter(tenant=tenant).delete()  # the defaults: the export has its own
        for spec in TABLES_BEFORE_KINDS:
            text = archive.read(f"tables/{spec.name}.csv").decode("utf-8")
            counts[f"tables/{spec.name}.csv"] = _restore_table(
                tenant, spec, text, restored=restored, later=later
            )
        for kind in KINDS:
            data = archive.read(f"kinds/{kind}.csv")
            if data.decode("utf-8-sig").count("\n") <= 1:
                counts[f"kinds/{kind}.csv"] = 0
                continue
            report = import_file(
                tenant=tenant, kind=kind, fileobj=io.BytesIO(data), filename=f"{kind}.csv"
            )
            if not report.ok:
                raise RestoreError(f"kinds/{kind}.csv: {'; '.join(map(str, report.errors[:3]))}")
            counts[f"kinds/{kind}.csv"] = report.created
        restored.update(spec.model for spec in KINDS.values())
        for spec in TABLES_AFTER_KINDS:
            text = archive.read(f"tables/{spec.name}.csv").decode("utf-8")
            counts[f"tables/{spec.name}.csv"] = _restore_table(
                tenant, spec, text, restored=restored, later=later
            )
        _restore_later(tenant, later)
        for name, restore in (("personas", personas_import), ("roadmap", roadmap_import)):
            data = archive.read(f"{name}.csv")
            if data.decode("utf-8-sig").count("\n") <= 1:
                counts[f"{name}.csv"] = 0
                continue
            try:
                result = restore(
                    tenant=tenant, fileobj=io.BytesIO(data), filename=f"{name}.csv", user=user
                )
            except ImportRejected as exc:
                raise RestoreError(f"{name}.csv: {'; '.join(exc.errors[:3])}") from None
            counts[f"{name}.csv"] = result.created
    return counts
