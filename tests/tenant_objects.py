"""One saved object of every tenant-owned model, built generically from the model's fields.

Used by the row-level security test, the cross-tenant sweep and the role matrix: a model added
later by any app is covered without a line here. Text values carry a marker (`marker` + a
counter), so a test can search a response body for any of the tenant's strings.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models

from portal.models import Tenant
from portal.tenancy import tenant_context

_counter = itertools.count(1)


def tenant_owned_models() -> list[type[models.Model]]:
    found = []
    for model in apps.get_models():
        field = next((f for f in model._meta.concrete_fields if f.name == "tenant"), None)
        if field is not None and field.related_model is Tenant:
            found.append(model)
    return found


class TenantObjects:
    """`objects[model]` is one saved instance of `model` in `tenant`; `strings` every text value
    written (all contain `marker`)."""

    def __init__(self, tenant: Tenant, marker: str):
        self.tenant = tenant
        self.marker = marker
        self.objects: dict[type[models.Model], models.Model] = {}
        self.strings: set[str] = set()
        self.users: list = []
        with tenant_context(tenant):
            for model in tenant_owned_models():
                self.get(model)

    def get(self, model: type[models.Model]) -> models.Model:
        if model not in self.objects:
            self.objects[model] = self._build(model)
        return self.objects[model]

    def _text(self, field: models.Field) -> str:
        n = next(_counter)
        value = f"{self.marker}{n}"
        if field.max_length and len(value) > field.max_length:
            value = value[: field.max_length]  # a short code: not searched for in bodies
        else:
            self.strings.add(value)
        return value

    def _value(self, field: models.Field):
        if field.choices:
            return (
                field.choices[0][0]
                if not isinstance(field.choices[0][1], list | tuple)
                else (field.choices[0][1][0][0])
            )
        if isinstance(field, models.ForeignKey):
            target = field.related_model
            if target is Tenant:
                return self.tenant
            if target is get_user_model():
                user = get_user_model().objects.create(username=self._text(field)[:150])
                self.users.append(user)
                return user
            return self.get(target)
        if isinstance(field, models.EmailField):
            return f"{self._text(field)[:40]}@example.com"
        if isinstance(field, models.FileField):
            return f"imports/{self._text(field)}.csv"
        if isinstance(field, models.CharField | models.TextField):
            return self._text(field)
        if isinstance(field, models.BooleanField):
            return False
        if isinstance(field, models.DecimalField):
            return Decimal("1")
        if isinstance(field, models.IntegerField):
            return 1
        if isinstance(field, models.FloatField):
            return 1.0
        if isinstance(field, models.DateTimeField):
            return datetime(2026, 1, 15, 12, tzinfo=UTC)
        if isinstance(field, models.DateField):
            return date(2026, 1, 1)
        if isinstance(field, models.JSONField):
            return {}
        if isinstance(field, models.BinaryField):
            return b"koers"
        if isinstance(field, models.DurationField):
            from datetime import timedelta

            return timedelta(0)
        raise NotImplementedError(
            f"tests/tenant_objects.py cannot fill {field.model._meta.label}.{field.name} "
            f"({type(field).__name__}): add a case to TenantObjects._value"
        )

    def _build(self, model: type[models.Model]) -> models.Model:
        values = {}
        for field in model._meta.concrete_fields:
            if field.primary_key:
                continue
            if field.name == "tenant":
                values["tenant"] = self.tenant
                continue
            if field.null and isinstance(field, models.ForeignKey):
                continue
            if field.has_default() or getattr(field, "auto_now", False):
                continue
            if getattr(field, "auto_now_add", False):
                continue
            values[field.name] = self._value(field)
        instance = model(**values)
        instance.save()
        return instance
