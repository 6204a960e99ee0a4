"""Turn an uploaded file into a header and rows of cell text (an adapter: file formats live here).

Every cell becomes the text an analyst would see: integer-valued numbers without ".0", dates as ISO
dates, date-times as ISO date-times. Hostile or broken files are refused before any row is read.
"""

from __future__ import annotations

import codecs
import csv
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import python_calamine as calamine

from shared.errors import Invalid, TooLarge, Unsupported, in_units

ZIP_MAGIC = b"PK\x03\x04"
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE2: .xls, and encrypted (password-protected) .xlsx
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
SUFFIXES = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls", ".ods": "ods", ".csv": "csv", ".txt": "csv"}
FORMULA_CELL = re.compile(rb'<c r="([A-Z]+[0-9]+)"[^>]*>\s*<f[ >/]')
MAX_REPORTED_FORMULAS = 50
# What a truncated or corrupted zip stream raises while its members are read.
DAMAGED_ARCHIVE = (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, ValueError)
ZIP_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA})


@dataclass(frozen=True)
class Limits:
    max_rows: int
    max_columns: int
    max_decompressed_bytes: int
    max_compression_ratio: int = 200


@dataclass
class Sheet:
    headers: list[str]
    rows: Iterator[tuple[int, list[str]]]  # (1-based spreadsheet row number, cells), blank rows skipped
    row_count: int
    formula_cells: list[str] = field(default_factory=list)
    formula_count: int = 0


def cell_text(value: object) -> str:
    """Text of one calamine cell (kept verbatim as the row's raw value)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return "" if value is None else str(value)


def open_sheet(path: Path, file_name: str, limits: Limits) -> Sheet:
    """Check the file is what it claims and safe to read, then give its first worksheet."""
    kind = SUFFIXES.get(Path(file_name).suffix.lower())
    if kind is None:
        raise Unsupported(
            f"{Path(file_name).suffix or 'no extension'!r} is not a supported spreadsheet "
            "(expected .xlsx, .xls, .ods or .csv)"
        )
    with path.open("rb") as fh:
        head = fh.read(8)
    if kind == "csv":
        return _csv(path, limits)
    if head.startswith(CFB_MAGIC) and kind == "xlsx" and _is_encrypted(path):
        raise Invalid("the workbook is password protected; remove the password and upload it again")
    expected = CFB_MAGIC if kind == "xls" else ZIP_MAGIC
    if not head.startswith(expected):
        raise Unsupported(f"{file_name!r} is not a {kind} spreadsheet (its content does not match its extension)")
    formulas: list[str] = []
    formula_count = 0
    if kind in ("xlsx", "ods"):
        try:
            formula_count, formulas = _inspect_zip(path, kind, limits)
        except DAMAGED_ARCHIVE as exc:
            raise Invalid(f"the workbook is damaged and cannot be read ({type(exc).__name__})") from exc
    try:
        workbook = calamine.CalamineWorkbook.from_path(str(path))
        sheet = _first_worksheet(workbook)
    except calamine.PasswordError as exc:
        raise Invalid("the workbook is password protected; remove the password and upload it again") from exc
    except (calamine.CalamineError, calamine.ZipError, calamine.XmlError, ValueError) as exc:
        raise Invalid(f"the workbook cannot be read: {str(exc)[:200]}") from exc
    if sheet.width > limits.max_columns:
        raise TooLarge(f"{sheet.width} columns exceed the limit of {limits.max_columns}")
    if sheet.height - 1 > limits.max_rows:
        raise TooLarge(f"{sheet.height - 1} data rows exceed the limit of {limits.max_rows}")
    rows = sheet.iter_rows()
    headers = _header([cell_text(c) for c in r] for r in rows)
    if headers is None:
        raise Invalid("the sheet is empty")
    # calamine yields from the sheet's first row, so positions are spreadsheet row numbers.
    number, cells = headers

    def data() -> Iterator[tuple[int, list[str]]]:
        for row_number, raw in enumerate(rows, start=number + 1):
            values = [cell_text(c) for c in raw]
            if any(v.strip() for v in values):
                yield row_number, values

    sheet_rows = data()
    return Sheet(
        headers=cells,
        rows=sheet_rows,
        row_count=sheet.height - number,
        formula_cells=formulas,
        formula_count=formula_count,
    )


def _first_worksheet(workbook: calamine.CalamineWorkbook) -> calamine.CalamineSheet:
    for meta in workbook.sheets_metadata:
        if meta.typ == calamine.SheetTypeEnum.WorkSheet and meta.visible == calamine.SheetVisibleEnum.Visible:
            return workbook.get_sheet_by_name(meta.name)
    raise Invalid("the workbook has no visible worksheet")


def _header(rows: Iterator[list[str]]) -> tuple[int, list[str]] | None:
    """The first non-blank row is the header (1-based within the used range)."""
    for number, cells in enumerate(rows, start=1):
        if any(c.strip() for c in cells):
            return number, cells
    return None


def _is_encrypted(path: Path) -> bool:
    with path.open("rb") as fh:
        return ENCRYPTED_PACKAGE in fh.read(1 << 20)


def _inspect_zip(path: Path, kind: str, limits: Limits) -> tuple[int, list[str]]:
    """Refuse zip bombs from the central directory alone; find formula cells by streaming the sheet XML."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise Unsupported(f"the file is not a valid {kind} spreadsheet (broken zip container)") from exc
    with archive:
        entries = archive.infolist()
        total = sum(e.file_size for e in entries)
        if total > limits.max_decompressed_bytes:
            raise TooLarge(
                f"the workbook decompresses to {in_units(total)}, over the limit of "
                f"{in_units(limits.max_decompressed_bytes)} (a workbook is read whole; the limit bounds the "
                "memory that takes and refuses zip bombs): split it into smaller files"
            )
        for e in entries:
            if e.compress_type not in ZIP_METHODS:
                raise Invalid(f"{e.filename} uses a compression method spreadsheets do not use ({e.compress_type})")
            if (
                e.compress_size
                and e.file_size / e.compress_size > limits.max_compression_ratio
                and e.file_size > 1 << 20
            ):
                raise TooLarge(f"{e.filename} is compressed {e.file_size // e.compress_size}:1 (zip bomb protection)")
        names = [e.filename for e in entries]
        if kind == "ods":
            return _count_in(archive, "content.xml", b"table:formula=") if "content.xml" in names else 0, []
        cells: list[str] = []
        count = 0
        for name in names:
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                n, refs = _formula_refs(archive, name)
                count += n
                cells.extend(refs[: MAX_REPORTED_FORMULAS - len(cells)])
        return count, cells


def _formula_refs(archive: zipfile.ZipFile, name: str) -> tuple[int, list[str]]:
    """Stream the sheet XML; a match is taken in the round where it starts before the carried tail."""
    count, refs, carry = 0, [], b""

    def take(match: re.Match[bytes]) -> None:
        nonlocal count
        count += 1
        if len(refs) < MAX_REPORTED_FORMULAS:
            refs.append(match.group(1).decode())

    with archive.open(name) as fh:
        while chunk := fh.read(1 << 20):
            buf = carry + chunk
            cut = max(0, len(buf) - 256)
            for m in FORMULA_CELL.finditer(buf):
                if m.start() < cut:
                    take(m)
            carry = buf[cut:]
    for m in FORMULA_CELL.finditer(carry):
        take(m)
    return count, refs


def _count_in(archive: zipfile.ZipFile, name: str, needle: bytes) -> int:
    count, tail = 0, b""
    with archive.open(name) as fh:
        while chunk := fh.read(1 << 20):
            buf = tail + chunk
            count += buf.count(needle) - tail.count(needle)
            tail = buf[-len(needle) + 1 :]
    return count


def _csv(path: Path, limits: Limits) -> Sheet:
    with path.open("rb") as fh:
        head = fh.read(4096)
    if b"\x00" in head:
        raise Unsupported("the file is binary, not CSV text")
    if head.startswith((ZIP_MAGIC, CFB_MAGIC)):
        raise Unsupported("the file is a workbook, not CSV text; upload it with its .xlsx/.xls/.ods name")
    rows = _csv_rows(path)
    try:
        first = next(((n, c) for n, c in rows if any(x.strip() for x in c)), None)
    except UnicodeDecodeError as exc:
        raise Invalid("the CSV is not UTF-8 text") from exc
    if first is None:
        raise Invalid("the sheet is empty")
    if len(first[1]) > limits.max_columns:
        raise TooLarge(f"{len(first[1])} columns exceed the limit of {limits.max_columns}")

    def data() -> Iterator[tuple[int, list[str]]]:
        count = 0
        try:
            for number, cells in rows:
                if not any(c.strip() for c in cells):
                    continue
                count += 1
                if count > limits.max_rows:
                    raise TooLarge(f"more than {limits.max_rows} data rows")
                if len(cells) > limits.max_columns:
                    raise TooLarge(f"row {number} has {len(cells)} columns, over the limit of {limits.max_columns}")
                yield number, cells
        except UnicodeDecodeError as exc:
            raise Invalid("the CSV is not UTF-8 text") from exc
        except csv.Error as exc:
            raise Invalid(f"malformed CSV: {exc}") from exc

    return Sheet(headers=first[1], rows=data(), row_count=-1)


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Stream rows with their line numbers; decoding is strict so a non-UTF-8 file is refused."""
    reader_factory = codecs.getreader("utf-8-sig")
    with path.open("rb") as raw:
        text = reader_factory(raw, errors="strict")
        reader = csv.reader(text)
        for cells in reader:
            yield reader.line_num, cells
