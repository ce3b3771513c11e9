"""Export every import kind in its own import format, so an export re-imports unchanged.

Text cells that a spreadsheet would run as a formula (starting with = + - @ tab or CR) get a
leading apostrophe; the importer removes it again.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import BinaryIO

from customers.importing.kinds import KINDS, REFERENCES, Kind
from customers.importing.values import DECIMAL_COMMA_LOCALES, FORMULA_STARTS
from portal.models import Tenant

FORMATS = ("csv", "xlsx")


def neutralise(text: str) -> str:
    return "'" + text if text and text[0] in FORMULA_STARTS else text


def _reference_names(tenant: Tenant, kind: Kind) -> dict[str, dict]:
    """id -> the name people use, for each reference column of the kind."""
    names: dict[str, dict] = {}
    for ref in {c.ref for c in kind.columns if c.ref}:
        model, field = REFERENCES[ref]
        names[ref] = dict(model.objects.filter(tenant=tenant).values_list("id", field))
    return names


def export_rows(*, tenant: Tenant, kind: str) -> tuple[list[str], Iterator[list]]:
    """The header and typed rows (references as the names people use)."""
    spec = KINDS[kind]
    names = _reference_names(tenant, spec)
    targets = [c.target for c in spec.columns]
    queryset = spec.model.objects.filter(tenant=tenant).order_by(*spec.key).values_list(*targets)

    def rows() -> Iterator[list]:
        for values in queryset.iterator(chunk_size=5000):
            row = []
            for column, value in zip(spec.columns, values, strict=True):
                if column.ref and value is not None:
                    value = names[column.ref].get(value)
                row.append(value)
            yield row

    return [c.name for c in spec.columns], rows()


def _text_cell(value, *, tenant: Tenant) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.replace(".", ",") if tenant.locale in DECIMAL_COMMA_LOCALES else text
    if isinstance(value, datetime):
        return value.astimezone(tenant.tzinfo).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return neutralise(str(value))


def write_export(*, tenant: Tenant, kind: str, fmt: str, out: BinaryIO) -> int:
    """Write the export to a binary stream; returns the number of data rows."""
    header, rows = export_rows(tenant=tenant, kind=kind)
    count = 0
    if fmt == "csv":
        text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
        delimiter = ";" if tenant.locale in DECIMAL_COMMA_LOCALES else ","
        writer = csv.writer(text, delimiter=delimiter)
        writer.writerow(header)
        for row in rows:
            writer.writerow([_text_cell(v, tenant=tenant) for v in row])
            count += 1
        text.flush()
        text.detach()
        return count
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(kind)
        sheet.append(header)
        for row in rows:
            sheet.append([_xlsx_cell(v, tenant=tenant) for v in row])
            count += 1
        workbook.save(out)
        return count
    raise ValueError(f"Unknown format {fmt!r}; use csv or xlsx")


def _xlsx_cell(value, *, tenant: Tenant):
    if isinstance(value, datetime):
        return value.astimezone(tenant.tzinfo).replace(tzinfo=None)
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, str):
        return neutralise(value)
    return value
