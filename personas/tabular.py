"""Small CSV/XLSX tables for hand-kept lists (personas, roadmap items).

Reading goes through the importer's `open_table` (encodings, delimiters, XLSX limits); writing
follows `customers.exporting`: the tenant's delimiter and decimal mark, and text cells that a
spreadsheet would run as a formula get a leading apostrophe (`ValueParsers.text` removes it on
the way back in), so an export re-imports unchanged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import BinaryIO

from django.http import HttpResponse
from django.utils import timezone
from django.utils.text import slugify

from customers.exporting import neutralise
from customers.importing.reading import FileError, open_table
from customers.importing.values import DECIMAL_COMMA_LOCALES, ValueParsers
from portal.models import Tenant

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MAX_ROWS = 5000


class ImportRejected(ValueError):
    """The file was not imported; `errors` name the row and column of every problem."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    names: list[str] = field(default_factory=list)


def _text_cell(value, tenant: Tenant) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.replace(".", ",") if tenant.locale in DECIMAL_COMMA_LOCALES else text
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return neutralise(str(value))


def _xlsx_cell(value):
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, bool):
        return 1 if value else 0
    return value


def table_write(
    *, tenant: Tenant, header: Sequence[str], rows: Iterable[Sequence], fmt: str, out: BinaryIO
) -> int:
    """Write header and rows as CSV or XLSX to a binary stream; returns the row count."""
    count = 0
    if fmt == "csv":
        text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
        delimiter = ";" if tenant.locale in DECIMAL_COMMA_LOCALES else ","
        writer = csv.writer(text, delimiter=delimiter)
        writer.writerow(header)
        for row in rows:
            writer.writerow([_text_cell(v, tenant) for v in row])
            count += 1
        text.flush()
        text.detach()
        return count
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("export")
        sheet.append(list(header))
        for row in rows:
            sheet.append([_xlsx_cell(v) for v in row])
            count += 1
        workbook.save(out)
        return count
    raise ValueError(f"Unknown format {fmt!r}; use csv or xlsx")


def table_response(
    *, tenant: Tenant, name: str, header: Sequence[str], rows: Iterable[Sequence], fmt: str
) -> HttpResponse:
    """An attachment named <tenant>-<name>-<date>.<fmt>."""
    buffer = io.BytesIO()
    table_write(tenant=tenant, header=header, rows=rows, fmt=fmt, out=buffer)
    response = HttpResponse(buffer.getvalue(), content_type=FORMATS[fmt])
    filename = f"{slugify(tenant.slug)}-{name}-{timezone.localdate().isoformat()}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def table_read(
    *, fileobj: BinaryIO, filename: str, columns: Sequence[str], required: Sequence[str]
) -> list[tuple[int, dict]]:
    """(line number, {column: raw cell}) for every non-empty row; raises ImportRejected when
    the header lacks a required column or names an unknown one."""
    try:
        table = open_table(fileobj, filename)
        header = [str(h or "").strip().lower() for h in table.header]
        unknown = [h for h in header if h and h not in columns]
        missing = [c for c in required if c not in header]
        problems = []
        if missing:
            problems.append(f"Missing column(s): {', '.join(missing)}.")
        if unknown:
            problems.append(
                f"Unknown column(s): {', '.join(unknown)}. Known: {', '.join(columns)}."
            )
        if problems:
            raise ImportRejected(problems)
        records = []
        for line, values in table.rows:
            if not any(str(v).strip() for v in values if v is not None):
                continue
            record = {
                name: values[i] if i < len(values) else None
                for i, name in enumerate(header)
                if name
            }
            records.append((line, record))
            if len(records) > MAX_ROWS:
                raise ImportRejected([f"More than {MAX_ROWS} rows: split the file."])
        return records
    except FileError as exc:
        raise ImportRejected([str(exc)]) from None


def parsers_for(tenant: Tenant) -> ValueParsers:
    return ValueParsers(locale=tenant.locale, tz=tenant.tzinfo)


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
