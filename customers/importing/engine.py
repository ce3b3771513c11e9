"""Validate a whole file, then write all of it or nothing (idempotent upsert on the key)."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from django.db import transaction

from customers.importing.kinds import (
    CASE_INSENSITIVE_REFERENCES,
    KINDS,
    REFERENCES,
    Column,
    Kind,
)
from customers.importing.reading import FileError, Table, open_table
from customers.importing.sinks import make_sink
from customers.importing.values import ValueParsers
from customers.services import channels_ensure
from portal.models import Membership, Tenant

MAX_ERRORS_KEPT = 5000
PREVIEW_ROWS = 20
PROGRESS_EVERY = 10_000

Progress = Callable[[int, int, int], None]  # rows read, bytes read, file size


@dataclass
class RowError:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        return (
            f"{where}, {self.column}: {self.message}" if self.column else f"{where}: {self.message}"
        )

    def as_dict(self) -> dict:
        return {"line": self.line, "column": self.column, "message": self.message}


@dataclass
class ImportReport:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    warnings: list[str] = field(default_factory=list)
    preview_header: list[str] = field(default_factory=list)
    preview: list[list[str]] = field(default_factory=list)
    written: bool = False
    dry_run: bool = False
    encoding: str | None = None
    delimiter: str | None = None

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def add_error(self, line: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(RowError(line, column, message))

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "error_count": self.error_count,
            "errors": [e.as_dict() for e in self.errors],
            "warnings": self.warnings,
            "preview_header": self.preview_header,
            "preview": self.preview,
            "written": self.written,
            "dry_run": self.dry_run,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
        }


class References:
    """Lookups from the values people type to ids, loaded once per import (set-based)."""

    def __init__(self, tenant: Tenant, needed: set[str]):
        self.maps: dict[str, dict] = {}
        if "channel" in needed:
            channels_ensure(tenant=tenant)
        for ref in needed:
            model, field = REFERENCES[ref]
            fields = [field, "id", "customer_id"] if ref == "contact" else [field, "id"]
            rows = model.objects.filter(tenant=tenant).values_list(*fields)
            if ref in CASE_INSENSITIVE_REFERENCES:
                self.maps[ref] = {name.lower(): pk for name, pk in rows}
            elif ref == "contact":  # the contact's customer is checked against the row's
                self.maps[ref] = {name: (pk, customer_id) for name, pk, customer_id in rows}
            else:
                self.maps[ref] = dict(rows)
        if "member" in needed:  # a member may also be named by e-mail
            for pk, email in Membership.objects.filter(tenant=tenant).values_list(
                "id", "user__email"
            ):
                if email:
                    self.maps["member"].setdefault(email.lower(), pk)

    NOT_FOUND = {
        "customer": "no customer with this external id (import customers first)",
        "contact": "no contact with this external id (import contacts first)",
        "channel": "unknown channel; known: {known}",
        "member": "no user with this username or e-mail in this company",
        "department": "no department with this name; known: {known}",
        "order": "no order with this external id (import orders first)",
    }

    def resolve(self, ref: str, value: str):
        mapping = self.maps[ref]
        key = value.lower() if ref in CASE_INSENSITIVE_REFERENCES else value
        found = mapping.get(key)
        if found is None:
            known = ", ".join(sorted(mapping)[:12]) if ref in {"channel", "department"} else ""
            raise ValueError(self.NOT_FOUND[ref].format(known=known or "none"))
        return found


def match_header(kind: Kind, header: list[str]) -> tuple[dict[int, Column], list[str], list[str]]:
    """Map file columns to the kind's columns. Returns (index -> column, errors, warnings)."""
    by_name: dict[str, Column] = {}
    for column in kind.columns:
        for name in (column.name, *column.aliases):
            by_name[name] = column
    mapping: dict[int, Column] = {}
    seen: dict[str, str] = {}
    errors, unknown = [], []
    for index, raw in enumerate(header):
        name = str(raw).strip().lower().replace(" ", "_")
        if not name:
            continue
        column = by_name.get(name)
        if column is None:
            unknown.append(str(raw).strip())
            continue
        if column.name in seen:
            errors.append(
                f"column {column.name!r} appears twice (as {seen[column.name]!r} and {raw!r})"
            )
            continue
        seen[column.name] = str(raw)
        mapping[index] = column
    missing = [c.name for c in kind.columns if c.required and c.name not in seen]
    if missing:
        errors.append(
            "missing required column(s): "
            + ", ".join(missing)
            + f". The header has: {', '.join(str(h) for h in header)}"
        )
    warnings = [
        f"column {name!r} is not used by a {kind.name} import and is ignored" for name in unknown
    ]
    return mapping, errors, warnings


def import_file(
    *,
    tenant: Tenant,
    kind: str,
    fileobj: BinaryIO,
    filename: str,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Validate every row of the file; write all rows (upsert) only when none is bad."""
    _check_kind(kind)
    try:
        table = open_table(fileobj, filename)
    except FileError as exc:
        report = ImportReport(kind=kind, dry_run=dry_run)
        report.add_error(0, "", str(exc))
        return report

    def position() -> int:
        try:
            return fileobj.tell()
        except (OSError, ValueError):
            return 0

    return import_table(
        tenant=tenant, kind=kind, table=table, dry_run=dry_run, progress=progress, position=position
    )


def import_records(
    *, tenant: Tenant, kind: str, records: list[dict], dry_run: bool = False
) -> ImportReport:
    """The same validation and all-or-nothing upsert for records pushed through the API.

    Errors name the record by its position (1-based) in the `line` field.
    """
    _check_kind(kind)
    header: list[str] = []
    for record in records:
        for name in record:
            if name not in header:
                header.append(name)
    rows = ((i, [record.get(name) for name in header]) for i, record in enumerate(records, 1))
    table = Table(header, rows, None, None, 0)
    return import_table(tenant=tenant, kind=kind, table=table, dry_run=dry_run)


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise FileError(f"Unknown kind {kind!r}; choose one of {', '.join(KINDS)}.")


def import_table(
    *,
    tenant: Tenant,
    kind: str,
    table: Table,
    dry_run: bool = False,
    progress: Progress | None = None,
    position: Callable[[], int] = lambda: 0,
) -> ImportReport:
    spec = KINDS[kind]
    report = ImportReport(kind=kind, dry_run=dry_run)
    report.encoding, report.delimiter = table.encoding, table.delimiter
    mapping, header_errors, report.warnings = match_header(spec, table.header)
    for message in header_errors:
        report.add_error(1, "", message)
    if header_errors:
        return report
    report.preview_header = [c.name for c in mapping.values()]

    parsers = ValueParsers(locale=tenant.locale, tz=tenant.tzinfo)
    refs = References(tenant, {c.ref for c in mapping.values() if c.ref})
    present = list(mapping.items())
    absent = [c for c in spec.columns if c not in mapping.values()]
    targets = spec.target_columns()
    key_positions = [targets.index(k) for k in spec.key]
    converters = {c.name: _converter(c, parsers, refs) for c in spec.columns}
    row_rule = ROW_RULES.get(kind)
    key_column = next(c.name for c in spec.columns if c.target == spec.key[0])

    # The hot loop: everything per column is looked up once, outside it.
    plan = [(index, c.target, c.name, converters[c.name]) for index, c in present]
    width = max(index for index, *_ in plan) + 1
    base = {"tenant_id": tenant.pk, **{c.target: c.default for c in absent}}
    row_of = operator.itemgetter(*targets)
    key_of = operator.itemgetter(*key_positions)
    key_label = " + ".join(spec.key)
    preview_columns = [(i, c.target) for i, c in present]
    next_progress = PROGRESS_EVERY

    try:
        with transaction.atomic(), make_sink(spec, tenant=tenant, dry_run=dry_run) as sink:
            add = sink.add
            seen_keys: dict = {}
            for line, values in table.rows:
                report.rows += 1
                if len(values) < width:
                    values = [*values, *[""] * (width - len(values))]
                record = base.copy()
                bad = False
                for index, target, name, convert in plan:
                    try:
                        record[target] = convert(values[index])
                    except ValueError as exc:
                        report.add_error(line, name, str(exc))
                        bad = True
                if not bad and row_rule is not None:
                    for column_name, message in row_rule(record):
                        report.add_error(line, column_name, message)
                        bad = True
                if bad:
                    continue
                row = row_of(record)
                first_line = seen_keys.setdefault(key_of(row), line)
                if first_line != line:
                    report.add_error(line, key_column, f"the same {key_label} as line {first_line}")
                    continue
                if len(report.preview) < PREVIEW_ROWS:
                    report.preview.append([_show(values[i]) for i, _ in preview_columns])
                if not report.error_count:
                    add(row)
                if progress is not None and report.rows >= next_progress:
                    next_progress += PROGRESS_EVERY
                    progress(report.rows, position(), table.size_bytes)
            if report.error_count or dry_run:
                raise _Rollback
            report.created, report.updated = sink.finish()
            report.unchanged = report.rows - report.created - report.updated
            report.written = True
    except _Rollback:
        pass
    except FileError as exc:
        report.add_error(0, "", str(exc))
    if progress is not None:
        progress(report.rows, table.size_bytes, table.size_bytes)
    return report


class _Rollback(Exception):
    """Leave the atomic block without writing anything."""


def _show(raw) -> str:
    return "" if raw is None else str(raw)


def _converter(column: Column, parsers: ValueParsers, refs: References):
    """A function raw -> stored value for one column, with the column's checks built in."""
    parse = {
        "text": parsers.text,
        "decimal": lambda v: parsers.decimal(v, column.places),
        "integer": parsers.integer,
        "boolean": parsers.boolean,
        "date": parsers.date,
        "datetime": parsers.datetime,
    }[column.parse]

    def convert(raw):
        if raw is None or (raw.__class__ is str and (not raw or raw.isspace())):
            if column.required:
                raise ValueError("is required")
            return column.default
        value = parse(raw)
        if column.parse == "text":
            if column.max_length and len(value) > column.max_length:
                raise ValueError(f"longer than {column.max_length} characters")
            if column.choices is not None:
                value = value.lower()
                if value not in column.choices:
                    raise ValueError(f"{value!r} is not one of {', '.join(sorted(column.choices))}")
            if column.ref:
                return refs.resolve(column.ref, value)
        if column.minimum is not None and value < column.minimum:
            raise ValueError(f"{raw!r} is below {column.minimum}")
        if column.maximum is not None and value > column.maximum:
            raise ValueError(f"{raw!r} is above {column.maximum}")
        return value

    return convert


def _order_rule(record: dict):
    if record["is_return"]:
        record["amount"] = -abs(record["amount"])
    elif record["amount"] < 0:
        yield "amount", "negative amount on an order; set is_return to 1 for a return"
    if not record["is_return"] and record["return_reason"]:
        yield "return_reason", "a return reason on an order that is not a return"


def _survey_rule(record: dict):
    if record["kind"] == "ces" and not 1 <= record["score"] <= 7:
        yield "score", f"CES scores run 1–7, got {record['score']}"


def _contact_rule(record: dict):
    email = record["email"]
    if email and ("@" not in email or " " in email):
        yield "email", f"{email!r} is not an e-mail address"


def _web_activity_rule(record: dict):
    contact = record["contact_id"]
    if contact is not None:
        contact_id, customer_id = contact
        record["contact_id"] = contact_id
        if customer_id != record["customer_id"]:
            yield "contact_external_id", "this contact belongs to another customer"


ROW_RULES = {
    "orders": _order_rule,
    "surveys": _survey_rule,
    "contacts": _contact_rule,
    "web_activity": _web_activity_rule,
}
