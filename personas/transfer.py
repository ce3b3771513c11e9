"""Personas to and from CSV/XLSX (columns: docs/data-formats.md, "Personas").

A file is checked completely before anything is written: any bad row rejects the whole file
with every problem named by row and column. Rows are matched to personas by name
(case-insensitive): a known name updates that persona, a new one creates it. Every change is
written through `persona_save`, so it lands in the version history like an edit on the page.
"""

from __future__ import annotations

from typing import BinaryIO

from django.core.exceptions import ValidationError
from django.db import transaction

from personas.models import JourneyMoment, Persona, PersonaRule
from personas.rules import Condition, condition_check
from personas.services import persona_write
from personas.tabular import (
    ImportRejected,
    ImportResult,
    is_blank,
    parsers_for,
    table_read,
    table_response,
)
from portal.models import Membership, Tenant

MOMENT_COLUMNS = {f"moment_{value}": value for value in JourneyMoment.values}
TEXT_COLUMNS = {
    "name": 120,
    "icon": 8,
    "summary": 200,
    "description": None,
    "needs": None,
    "pains": None,
    "buying_motives": None,
    "preferred_channels": 200,
}
COLUMNS = [
    "name",
    "icon",
    "summary",
    "priority",
    "owner",
    "review_interval_days",
    "last_reviewed_on",
    "description",
    "needs",
    "pains",
    "buying_motives",
    "preferred_channels",
    *MOMENT_COLUMNS,
    "rules",
]
RULE_SEPARATOR = " | "


def rules_text(rules) -> str:
    """`1 country eq NL | 1 employees gte 50 | 2 rfm_segment in champions;loyal`."""
    return RULE_SEPARATOR.join(f"{r.group} {r.field} {r.operator} {r.value}".strip() for r in rules)


def rules_parse(text: str) -> list[Condition]:
    """The inverse of `rules_text`; raises ValueError naming the rule that cannot be read."""
    conditions = []
    for number, part in enumerate(p.strip() for p in text.split("|")):
        if not part:
            continue
        pieces = part.split(None, 3)
        if len(pieces) < 3 or not pieces[0].isdigit():
            raise ValueError(
                f"rule {number + 1} “{part}” is not “group characteristic operator value”"
            )
        group, field, operator = int(pieces[0]), pieces[1], pieces[2]
        condition = Condition(group, field, operator, pieces[3] if len(pieces) > 3 else "")
        try:
            condition_check(condition)
        except ValidationError as exc:
            raise ValueError(f"rule {number + 1} “{part}”: {' '.join(exc.messages)}") from None
        conditions.append(condition)
    return conditions


def personas_export(*, tenant: Tenant, fmt: str):
    """The tenant's personas as a CSV or XLSX download (3 queries)."""
    personas = Persona.objects.filter(tenant=tenant).select_related("owner__user")
    rules: dict[int, list[PersonaRule]] = {}
    for rule in PersonaRule.objects.filter(tenant=tenant).order_by("persona", "group", "id"):
        rules.setdefault(rule.persona_id, []).append(rule)
    rows = (
        [
            p.name,
            p.icon,
            p.summary,
            p.priority,
            p.owner.user.username if p.owner else "",
            p.review_interval_days,
            p.last_reviewed_on,
            p.description,
            p.needs,
            p.pains,
            p.buying_motives,
            p.preferred_channels,
            *[p.journey_notes.get(moment, "") for moment in MOMENT_COLUMNS.values()],
            rules_text(rules.get(p.pk, [])),
        ]
        for p in personas
    )
    return table_response(tenant=tenant, name="personas", header=COLUMNS, rows=rows, fmt=fmt)


def _row_data(record: dict, *, parsers, members: dict, errors: list, line: int) -> tuple:
    data: dict = {}
    conditions = None
    moments: dict[str, str] = {}

    def problem(column: str, message: str) -> None:
        errors.append(f"Row {line}, column {column}: {message}")

    for column, raw in record.items():
        try:
            if column in TEXT_COLUMNS:
                data[column] = parsers.text(raw, TEXT_COLUMNS[column])
            elif column in MOMENT_COLUMNS:
                moments[MOMENT_COLUMNS[column]] = parsers.text(raw, 500)
            elif column in {"priority", "review_interval_days"}:
                if is_blank(raw):
                    continue
                value = parsers.integer(raw)
                if value < 0 or (column == "review_interval_days" and value == 0):
                    raise ValueError(f"{value} is not allowed here")
                data[column] = value
            elif column == "last_reviewed_on":
                data[column] = None if is_blank(raw) else parsers.date(raw)
            elif column == "owner":
                username = parsers.text(raw).lower()
                if username and username not in members:
                    raise ValueError(f"“{username}” is not a member of this company")
                data[column] = members.get(username)
            elif column == "rules":
                conditions = rules_parse(parsers.text(raw))
        except ValueError as exc:
            problem(column, str(exc))
    if not data.get("name"):
        problem("name", "is empty")
    if moments:
        data["journey_notes"] = {k: v for k, v in moments.items() if v}
    return data, conditions


def personas_import(*, tenant: Tenant, fileobj: BinaryIO, filename: str, user) -> ImportResult:
    """Create or update personas from a file, all or nothing (raises ImportRejected)."""
    records = table_read(fileobj=fileobj, filename=filename, columns=COLUMNS, required=["name"])
    if not records:
        raise ImportRejected(["The file has a header but no rows."])
    parsers = parsers_for(tenant)
    members = {
        m.user.username.lower(): m
        for m in Membership.objects.filter(tenant=tenant).select_related("user")
    }
    existing = {p.name.lower(): p for p in Persona.objects.filter(tenant=tenant)}
    errors: list[str] = []
    parsed = []
    seen: dict[str, int] = {}
    for line, record in records:
        data, conditions = _row_data(
            record, parsers=parsers, members=members, errors=errors, line=line
        )
        key = (data.get("name") or "").lower()
        if key and key in seen:
            errors.append(f"Row {line}, column name: “{data['name']}” is also on row {seen[key]}")
        seen[key] = line
        parsed.append((line, data, conditions))
    if errors:
        raise ImportRejected(errors)
    result = ImportResult()
    with transaction.atomic():
        for line, data, conditions in parsed:
            persona = existing.get(data["name"].lower())
            try:
                saved, version = persona_write(
                    tenant=tenant, persona=persona, data=data, conditions=conditions, user=user
                )
            except ValidationError as exc:
                fields = getattr(exc, "message_dict", None) or {"name": exc.messages}
                errors.extend(
                    f"Row {line}, column {field}: {' '.join(messages)}"
                    for field, messages in fields.items()
                )
                continue
            result.names.append(saved.name)
            if persona is None:
                result.created += 1
            elif version is not None:
                result.updated += 1
            else:
                result.unchanged += 1
        if errors:
            # Raising inside the atomic block rolls back the rows already written.
            raise ImportRejected(errors)
    return result
