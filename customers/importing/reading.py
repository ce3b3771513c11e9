"""Turn an uploaded file into a header and a stream of (line number, raw values).

CSV: UTF-8 (with or without BOM), UTF-16 (with BOM) or Windows-1252; `,`, `;` or tab.
XLSX: read-only openpyxl with limits on size, rows and columns.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

MAX_XLSX_BYTES = 50 * 1024 * 1024
MAX_XLSX_UNCOMPRESSED = 400 * 1024 * 1024
MAX_ROWS = 2_000_000
MAX_COLUMNS = 60
SNIFF_BYTES = 64 * 1024

csv.field_size_limit(1024 * 1024)


class FileError(ValueError):
    """The file as a whole cannot be read; the message tells the user what to do."""


@dataclass
class Table:
    header: list[str]
    rows: Iterator[tuple[int, list]]  # (line number in the file, values)
    encoding: str | None
    delimiter: str | None
    size_bytes: int


def open_table(fileobj: BinaryIO, filename: str) -> Table:
    name = filename.lower()
    size = _size(fileobj)
    if size == 0:
        raise FileError("The file is empty.")
    if name.endswith((".xlsx", ".xlsm")):
        return _open_xlsx(fileobj, size)
    if name.endswith(".xls"):
        raise FileError("Old .xls files are not supported: save the sheet as .xlsx or CSV.")
    return _open_csv(fileobj, size)


def _size(fileobj: BinaryIO) -> int:
    fileobj.seek(0, io.SEEK_END)
    size = fileobj.tell()
    fileobj.seek(0)
    return size


def detect_encoding(fileobj: BinaryIO) -> str:
    """BOM first; else UTF-8 if the whole file decodes as UTF-8; else Windows-1252."""
    head = fileobj.read(4)
    fileobj.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := fileobj.read(1024 * 1024):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        encoding = "utf-8"
    except UnicodeDecodeError:
        encoding = "cp1252"
    fileobj.seek(0)
    if encoding == "utf-8" and b"\x00" in head:
        raise FileError("The file looks like UTF-16 without a byte-order mark: save it with one.")
    return encoding


def _open_csv(fileobj: BinaryIO, size: int) -> Table:
    encoding = detect_encoding(fileobj)
    text = io.TextIOWrapper(fileobj, encoding=encoding, errors="strict", newline="")
    try:
        sample = text.read(SNIFF_BYTES)
    except UnicodeDecodeError as exc:
        raise FileError(f"The file is not valid {encoding}: {exc.reason}.") from exc
    first_line = sample.splitlines()[0] if sample else ""
    counts = {d: first_line.count(d) for d in (";", ",", "\t")}
    delimiter = max(counts, key=counts.get)
    if counts[delimiter] == 0:
        delimiter = ","
    text.seek(0)
    if encoding == "utf-8-sig":
        pass  # the codec strips the BOM
    reader = csv.reader(text, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration as exc:
        raise FileError("The file has no header row.") from exc
    except UnicodeDecodeError as exc:
        raise FileError(f"The file is not valid {encoding}: {exc.reason}.") from exc

    def rows() -> Iterator[tuple[int, list]]:
        try:
            for count, values in enumerate(reader, start=1):
                if count > MAX_ROWS:
                    raise FileError(f"More than {MAX_ROWS:,} rows: split the file.")
                if not any(v.strip() for v in values):
                    continue
                yield reader.line_num, values
        except UnicodeDecodeError as exc:
            raise FileError(
                f"Line {reader.line_num + 1}: bytes that are not valid {encoding}."
            ) from exc
        except csv.Error as exc:
            raise FileError(f"Line {reader.line_num}: {exc}") from exc

    return Table(header, rows(), encoding.replace("-sig", ""), delimiter, size)


def _open_xlsx(fileobj: BinaryIO, size: int) -> Table:
    if size > MAX_XLSX_BYTES:
        raise FileError(f"XLSX files may be at most {MAX_XLSX_BYTES // 2**20} MB; use CSV.")
    try:
        with zipfile.ZipFile(fileobj) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise FileError("This is not a valid .xlsx file.") from exc
    if unpacked > MAX_XLSX_UNCOMPRESSED:
        raise FileError("The XLSX file unpacks to too much data; export it as CSV.")
    fileobj.seek(0)
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(fileobj, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on damaged files
        raise FileError(f"The XLSX file cannot be read: {exc}") from exc
    sheet = workbook.worksheets[0]
    if sheet.max_row and sheet.max_row > MAX_ROWS + 1:
        raise FileError(f"More than {MAX_ROWS:,} rows: split the file.")
    if sheet.max_column and sheet.max_column > MAX_COLUMNS:
        raise FileError(f"More than {MAX_COLUMNS} columns: remove the ones not needed.")
    iterator = sheet.iter_rows(values_only=True)
    try:
        header = ["" if v is None else str(v) for v in next(iterator)]
    except StopIteration as exc:
        raise FileError("The sheet is empty.") from exc

    def rows() -> Iterator[tuple[int, list]]:
        for line, values in enumerate(iterator, start=2):
            if line > MAX_ROWS + 1:
                raise FileError(f"More than {MAX_ROWS:,} rows: split the file.")
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            yield line, ["" if v is None else v for v in values]
        workbook.close()

    return Table(header, rows(), None, None, size)
