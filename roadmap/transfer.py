"""Roadmap items to and from CSV/XLSX (columns: docs/data-formats.md, "Roadmap items").

The whole file is checked before anything is written; a bad row rejects the file with every
problem named by row and column. Rows match items by title (case-insensitive). Changes go
through `roadmap_item_save`, so they land in the item's history like an edit on the page.
"""

from __future__ import annotations

import re
from datetime import date
from typing import BinaryIO

from django.core.exceptions import ValidationError
from django.db import transaction

from kpis.models import Kpi
from personas.tabular import (
    ImportRejected,
    ImportResult,
    is_blank,
    parsers_for,
    table_read,
    table_response,
)
from portal.models import Department, Membership, Tenant
from roadmap.models import RoadmapChange, RoadmapItem, quarter_label
from roadmap.services import roadmap_item_save

COLUMNS = [
    "title",
    "description",
    "theme",
    "department",
    "owner",
    "start_quarter",
    "end_quarter",
    "status",
    "progress",
    "done_on",
    "kpis",
]
QUARTER = re.compile(r"^(?:(\d{4})\s*-?\s*Q([1-4])|Q([1-4])\s*-?\s*(\d{4}))$", re.IGNORECASE)
KPI_SEPARATOR = " | "


def quarter_parse(value, parsers) -> date:
    """`2026 Q3`, `2026-Q3`, `Q3 2026` or any date in the quarter -> its first day."""
    if isinstance(value, date):
        day = value
    else:
        text = str(value).strip()
        match = QUARTER.match(text)
        if match:
            year = int(match.group(1) or match.group(4))
            quarter = int(match.group(2) or match.group(3))
            return date(year, 3 * quarter - 2, 1)
        try:
            day = parsers.date(text)
        except ValueError:
            raise ValueError(f"“{text}” is not a quarter (write e.g. 2026 Q3)") from None
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def status_parse(text: str) -> str:
    wanted = text.strip().lower()
    for value, label in RoadmapItem.Status.choices:
        if wanted in {value, str(label).lower(), value.replace("_", " ")}:
            return value
    allowed = ", ".join(RoadmapItem.Status.values)
    raise ValueError(f"“{text}” is not a status ({allowed})")


def kpis_text(links) -> str:
    """`Online adoption: +5 pt | Web revenue` (a KPI without expected effect: just its name)."""
    return KPI_SEPARATOR.join(
        f"{link.kpi.name}: {link.expected_effect}" if link.expected_effect else link.kpi.name
        for link in links
    )


def kpis_parse(text: str, kpis: dict[str, Kpi]) -> dict[Kpi, str]:
    effects: dict[Kpi, str] = {}
    for part in (p.strip() for p in text.split("|")):
        if not part:
            continue
        name, _sep, effect = part.partition(":")
        kpi = kpis.get(name.strip().lower())
        if kpi is None:
            raise ValueError(f"“{name.strip()}” is not a KPI of this company")
        if len(effect.strip()) > 200:
            raise ValueError(f"the expected effect on {kpi.name} is longer than 200 characters")
        effects[kpi] = effect.strip()
    return effects


def roadmap_export(*, tenant: Tenant, fmt: str):
    """The tenant's roadmap items as a CSV or XLSX download (2 queries)."""
    items = (
        RoadmapItem.objects.filter(tenant=tenant)
        .select_related("owner__user", "department")
        .prefetch_related("kpi_links__kpi")
    )
    rows = (
        [
            item.title,
            item.description,
            item.theme,
            item.department.name if item.department else "",
            item.owner.user.username if item.owner else "",
            quarter_label(item.start_quarter),
            quarter_label(item.end_quarter),
            item.status,
            item.progress,
            item.done_on,
            kpis_text(item.kpi_links.all()),
        ]
        for item in items
    )
    return table_response(tenant=tenant, name="roadmap", header=COLUMNS, rows=rows, fmt=fmt)


def roadmap_import(*, tenant: Tenant, fileobj: BinaryIO, filename: str, user) -> ImportResult:
    """Create or update roadmap items from a file, all or nothing (raises ImportRejected)."""
    records = table_read(
        fileobj=fileobj,
        filename=filename,
        columns=COLUMNS,
        required=["title", "start_quarter", "end_quarter"],
    )
    if not records:
        raise ImportRejected(["The file has a header but no rows."])
    parsers = parsers_for(tenant)
    members = {
        m.user.username.lower(): m
        for m in Membership.objects.filter(tenant=tenant).select_related("user")
    }
    departments = {d.name.lower(): d for d in Department.objects.filter(tenant=tenant)}
    kpis = {k.name.lower(): k for k in Kpi.objects.filter(tenant=tenant)}
    existing = {i.title.lower(): i for i in RoadmapItem.objects.filter(tenant=tenant)}
    errors: list[str] = []
    parsed = []
    seen: dict[str, int] = {}
    for line, record in records:
        data: dict = {}
        effects = None
        for column, raw in record.items():
            try:
                if column in {"title", "theme"}:
                    data[column] = parsers.text(raw, 160 if column == "title" else 80)
                elif column == "description":
                    data[column] = parsers.text(raw)
                elif column in {"start_quarter", "end_quarter"}:
                    if is_blank(raw):
                        raise ValueError("is empty")
                    data[column] = quarter_parse(raw, parsers)
                elif column == "status":
                    if not is_blank(raw):
                        data[column] = status_parse(parsers.text(raw))
                elif column == "progress":
                    if not is_blank(raw):
                        value = parsers.integer(raw)
                        if not 0 <= value <= 100:
                            raise ValueError(f"{value} is not between 0 and 100")
                        data[column] = value
                elif column == "done_on":
                    data[column] = None if is_blank(raw) else parsers.date(raw)
                elif column == "owner":
                    name = parsers.text(raw).lower()
                    if name and name not in members:
                        raise ValueError(f"“{name}” is not a member of this company")
                    data[column] = members.get(name)
                elif column == "department":
                    name = parsers.text(raw).lower()
                    if name and name not in departments:
                        raise ValueError(f"“{name}” is not a department of this company")
                    data[column] = departments.get(name)
                elif column == "kpis":
                    effects = kpis_parse(parsers.text(raw), kpis)
            except ValueError as exc:
                errors.append(f"Row {line}, column {column}: {exc}")
        title = data.get("title", "")
        if not title:
            errors.append(f"Row {line}, column title: is empty")
        elif title.lower() in seen:
            errors.append(
                f"Row {line}, column title: “{title}” is also on row {seen[title.lower()]}"
            )
        else:
            seen[title.lower()] = line
        start, end = data.get("start_quarter"), data.get("end_quarter")
        if start and end and end < start:
            errors.append(f"Row {line}, column end_quarter: the end comes before the start")
        parsed.append((line, data, effects))
    if errors:
        raise ImportRejected(errors)
    result = ImportResult()
    with transaction.atomic():
        for line, data, effects in parsed:
            item = existing.get(data["title"].lower())
            changes_before = (
                RoadmapChange.objects.filter(tenant=tenant, item=item).count() if item else 0
            )
            try:
                saved = roadmap_item_save(
                    tenant=tenant, item=item, data=data, kpi_effects=effects, user=user
                )
            except ValidationError as exc:
                fields = getattr(exc, "message_dict", None) or {"title": exc.messages}
                errors.extend(
                    f"Row {line}, column {field}: {' '.join(messages)}"
                    for field, messages in fields.items()
                )
                continue
            result.names.append(saved.title)
            if item is None:
                result.created += 1
            elif RoadmapChange.objects.filter(tenant=tenant, item=saved).count() > changes_before:
                result.updated += 1
            else:
                result.unchanged += 1
        if errors:
            raise ImportRejected(errors)  # rolls back the rows already written
    return result


__all__ = ["COLUMNS", "roadmap_export", "roadmap_import"]
