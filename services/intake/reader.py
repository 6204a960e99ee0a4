"""Turn an uploaded file into header + rows of cell text (an adapter: file formats live here)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from shared.errors import Invalid, TooLarge, Unsupported

CSV_SUFFIXES = {".csv", ".txt"}


@dataclass(frozen=True)
class Sheet:
    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (1-based spreadsheet row number, cells)


def read_sheet(path: Path, file_name: str, *, max_rows: int, max_columns: int) -> Sheet:
    suffix = Path(file_name).suffix.lower()
    if suffix not in CSV_SUFFIXES:
        raise Unsupported(f"{file_name!r} is not a supported spreadsheet (expected .csv)")
    return _read_csv(path, max_rows=max_rows, max_columns=max_columns)


def _read_csv(path: Path, *, max_rows: int, max_columns: int) -> Sheet:
    raw = path.read_bytes()
    if b"\x00" in raw[:4096]:
        raise Unsupported("the file is binary, not CSV text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(f"the CSV is not UTF-8 text (byte {exc.start})") from exc
    lines: Iterator[list[str]] = csv.reader(io.StringIO(text, newline=""))
    headers: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    try:
        for number, cells in enumerate(lines, start=1):
            if headers is None:
                if not any(c.strip() for c in cells):
                    continue  # leading blank lines before the header
                if len(cells) > max_columns:
                    raise TooLarge(f"{len(cells)} columns exceed the limit of {max_columns}")
                headers = cells
                continue
            if not any(c.strip() for c in cells):
                continue  # blank rows are not data
            if len(rows) >= max_rows:
                raise TooLarge(f"more than {max_rows} data rows")
            rows.append((number, cells))
    except csv.Error as exc:
        raise Invalid(f"malformed CSV: {exc}") from exc
    if headers is None:
        raise Invalid("the sheet is empty")
    if not rows:
        raise Invalid("the sheet has a header row but no data rows")
    return Sheet(headers=headers, rows=rows)
