"""Intake rules: map spreadsheet columns to TRACS fields and read each row without altering it.

Plain Python: no framework imports. Raw cell text is always kept next to the parsed value.
"""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cache, lru_cache
from pathlib import Path

import pycountry

from shared.errors import Conflict, Invalid

CATALOGUE_FILE = Path(__file__).with_name("columns.csv")
PROGRAMS = ("UK-VISA", "M5", "PCSC", "KST")
UPLOAD_KINDS = ("partner-query", "partner-extract")
DATE_FIELDS = frozenset({"dob", "encounter_date"})
COUNTRY_FIELDS = frozenset({"country_of_birth", "nationality", "document_country", "partner_country"})
GENDERS = {"M": "M", "MALE": "M", "F": "F", "FEMALE": "F", "X": "X", "U": "U", "UNKNOWN": "U"}
PROTECTED_CLASSES = {"T", "U", "VAWA", "ASYLEE", "REFUGEE", "TPS"}
NO_MATCH = {"NOMATCH", "NOHIT", "NO", "N"}
MATCH = {"MATCH", "HIT", "YES", "Y"}
EXCEL_EPOCH = date(1899, 12, 30)
VERBATIM_FIELDS = frozenset(
    {
        "fin",
        "eid",
        "last_name",
        "first_name",
        "middle_name",
        "document_number",
        "passport_number",
        "alien_registration_number",
        "partner_unique_id",
        "partner_transaction_number",
        "notes",
        "di_description",
        "reason_fingerprinted",
        "location_fingerprinted",
        "ous",
        "data_owner",
        "document_type",
        "search_code",
        "fast_matcher_status",
        "derogatory_information",
        "trip_number",
    }
)


class BatchStatus(StrEnum):
    STAGED = "staged"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    required: str  # "yes", "no" or "one of fin/partner_unique_id"
    meaning: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Problem:
    """One row-level finding shown in the preview: where, what value, and why it is wrong."""

    row: int
    column: str | None
    value: str | None
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "value": self.value, "reason": self.reason}


@dataclass(frozen=True)
class ColumnMapping:
    """Header position -> TRACS field; unknown columns are listed and their values kept as extras."""

    headers: tuple[str, ...]
    fields: dict[int, str]
    unknown: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "columns": [{"header": h, "field": self.fields.get(i)} for i, h in enumerate(self.headers)],
            "unknown_columns": list(self.unknown),
        }


@dataclass
class ParsedRow:
    row_number: int
    raw: dict[str, str]
    values: dict[str, object]
    extra: dict[str, str]
    problems: list[Problem] = field(default_factory=list)
    encounter_id: uuid.UUID = field(default_factory=uuid.uuid4)

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def no_match(self) -> bool:
        result = self.values.get("match_result")
        return result == "NO MATCH"


def fold(text: str) -> str:
    """Case, space, punctuation and accent-insensitive form of a header or code."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\W_]+", "", stripped.casefold())


@cache
def catalogue() -> tuple[FieldSpec, ...]:
    with CATALOGUE_FILE.open(encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        return tuple(
            FieldSpec(name=r[0], required=r[1], meaning=r[2], aliases=tuple(a.strip() for a in r[3].split("|")))
            for r in reader
            if r
        )


def alias_index(extra_aliases: dict[str, str] | None = None) -> dict[str, str]:
    """Folded header -> field, from the catalogue plus a program's own aliases."""
    index: dict[str, str] = {}
    for spec in catalogue():
        index[fold(spec.name)] = spec.name
        for alias in spec.aliases:
            index[fold(alias)] = spec.name
    for alias, name in (extra_aliases or {}).items():
        index[fold(alias)] = name
    return index


def map_columns(headers: list[str], extra_aliases: dict[str, str] | None = None) -> ColumnMapping:
    clean = [h.strip() for h in headers]
    if not any(clean):
        raise Invalid("the file has no header row")
    index = alias_index(extra_aliases)
    fields: dict[int, str] = {}
    unknown: list[str] = []
    taken: dict[str, str] = {}
    for i, header in enumerate(clean):
        name = index.get(fold(header)) if header else None
        if name is None:
            if header:
                unknown.append(header)
            continue
        if name in taken:
            raise Invalid(f"columns {taken[name]!r} and {header!r} both map to field {name!r}")
        taken[name] = header
        fields[i] = name
    if "fin" not in taken and "partner_unique_id" not in taken:
        raise Invalid("no column maps to FIN or to partner unique ID; one of them identifies the subject")
    return ColumnMapping(headers=tuple(clean), fields=fields, unknown=tuple(unknown))


@lru_cache(maxsize=65536)
def parse_date(text: str, *, partial: bool) -> str:
    """ISO text for a cell: Excel serials, ISO, US and day-month-name forms; year(-month) if partial."""
    t = text.strip()
    if len(t) == 10 and t[4] == "-" and t[7] == "-":
        try:
            return date.fromisoformat(t).isoformat()  # the common case, without trying every format
        except ValueError:
            pass
    if re.fullmatch(r"\d+(\.\d+)?", t) and 1000 < float(t) < 2_958_466 and not re.fullmatch(r"(1[89]|20)\d\d", t):
        # An Excel serial: whole days since 1899-12-30, a fraction is the time of day.
        moment = datetime.combine(EXCEL_EPOCH, datetime.min.time()) + timedelta(days=float(t))
        moment = moment.replace(microsecond=0)
        return moment.date().isoformat() if moment.time() == datetime.min.time() else moment.isoformat()
    if partial and re.fullmatch(r"(1[89]|20)\d\d", t):
        return t
    if partial and (m := re.fullmatch(r"((?:1[89]|20)\d\d)-(\d{1,2})", t)):
        month = int(m.group(2))
        if not 1 <= month <= 12:
            raise ValueError("impossible date")
        return f"{m.group(1)}-{month:02d}"
    for fmt in ("%Y-%m-%d", "%Y%m%d", "%m/%d/%Y", "%d %b %Y", "%d-%b-%Y", "%d %B %Y", "%Y/%m/%d"):
        try:
            return datetime.strptime(t, fmt).date().isoformat()
        except ValueError:
            continue
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%m/%d/%Y %H:%M"):
        try:
            return datetime.strptime(t, fmt).isoformat()
        except ValueError:
            continue
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{4}|\d{8}", t):
        raise ValueError("impossible date")
    raise ValueError("unparseable date")


@cache
def _country_lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for c in pycountry.countries:
        for key in (
            c.alpha_3,
            c.alpha_2,
            c.name,
            getattr(c, "common_name", None),
            getattr(c, "official_name", None),
        ):
            if key:
                table[fold(key)] = c.alpha_3
    table.update({fold("UK"): "GBR", fold("USA"): "USA", fold("Great Britain"): "GBR"})
    return table


@lru_cache(maxsize=4096)
def parse_country(text: str) -> str:
    code = _country_lookup().get(fold(text))
    if code is None:
        raise ValueError("bad country code")
    return code


def parse_value(name: str, text: str) -> object:
    if name in VERBATIM_FIELDS:
        # Identifiers and names are kept exactly as written (leading zeros, script, accents).
        return text.strip()
    return _parse_coded(name, text)


@lru_cache(maxsize=65536)
def _parse_coded(name: str, text: str) -> object:
    """Coded values (dates, countries, flags) repeat a lot across a file: parse each distinct one once."""
    if name in DATE_FIELDS:
        return parse_date(text, partial=(name == "dob"))
    if name in COUNTRY_FIELDS:
        return parse_country(text)
    if name == "gender":
        g = GENDERS.get(text.strip().upper())
        if g is None:
            raise ValueError("gender must be M, F, X or U")
        return g
    if name == "di_shared":
        f = fold(text)
        if f in {"y", "yes", "true", "1"}:
            return True
        if f in {"n", "no", "false", "0"}:
            return False
        raise ValueError("DI shared must be Y or N")
    if name == "protected_class":
        f = fold(text).upper()
        if f not in PROTECTED_CLASSES:
            raise ValueError("protected class must be one of T, U, VAWA, ASYLEE, REFUGEE, TPS")
        return f
    if name == "match_result":
        f = fold(text).upper()
        if f not in MATCH | NO_MATCH:
            raise ValueError("match result must be MATCH or NO MATCH")
        return "MATCH" if f in MATCH else "NO MATCH"
    if name == "aliases":
        return tuple(a.strip() for a in re.split(r"[;|]", text) if a.strip())
    return text.strip()


def parse_row(row_number: int, cells: list[str], mapping: ColumnMapping) -> ParsedRow:
    raw = {
        mapping.headers[i] or f"column {i + 1}": cells[i] if i < len(cells) else "" for i in range(len(mapping.headers))
    }
    values: dict[str, object] = {}
    extra: dict[str, str] = {}
    problems: list[Problem] = []
    for i, header in enumerate(mapping.headers):
        cell = cells[i] if i < len(cells) else ""
        name = mapping.fields.get(i)
        if name is None:
            if header and cell:
                extra[header] = cell
            continue
        if not cell.strip():
            continue
        try:
            values[name] = parse_value(name, cell)
        except ValueError as exc:
            problems.append(Problem(row_number, header, cell, str(exc)))
    if not values.get("fin") and not values.get("partner_unique_id"):
        problems.append(Problem(row_number, None, None, "missing FIN and partner unique ID"))
    if not values.get("last_name"):
        problems.append(Problem(row_number, None, None, "missing last name"))
    return ParsedRow(row_number=row_number, raw=raw, values=values, extra=extra, problems=problems)


class DuplicateFinder:
    """Flags a row that repeats an earlier one cell for cell; remembers digests, not rows."""

    def __init__(self) -> None:
        self._first_seen: dict[bytes, int] = {}

    def check(self, row: ParsedRow) -> None:
        key = hashlib.blake2b("\x1f".join(v.strip() for v in row.raw.values()).encode(), digest_size=16).digest()
        first = self._first_seen.setdefault(key, row.row_number)
        if first != row.row_number:
            row.problems.append(Problem(row.row_number, None, None, f"duplicate of row {first}"))


@dataclass
class Tally:
    """Running counts of a batch as its rows stream past."""

    total: int = 0
    valid: int = 0
    invalid: int = 0
    no_match: int = 0

    def add(self, row: ParsedRow) -> None:
        self.total += 1
        if row.valid:
            self.valid += 1
            self.no_match += row.no_match
        else:
            self.invalid += 1

    @property
    def importable(self) -> int:
        return self.valid - self.no_match


def notices(formula_count: int, formula_cells: list[str]) -> list[str]:
    """What the analyst must know about how the file was read."""
    if not formula_count:
        return []
    shown = ", ".join(formula_cells)
    more = f" and {formula_count - len(formula_cells)} more" if formula_count > len(formula_cells) else ""
    return [f"{formula_count} cell(s) hold formulas; their cached values were imported as shown: {shown}{more}"]


def check_can_confirm(status: str, invalid_rows: int, *, block_on_invalid: bool) -> bool:
    """True when confirming should import now; False when it already happened (confirm is idempotent)."""
    if status == BatchStatus.CONFIRMED:
        return False
    if status == BatchStatus.REJECTED:
        raise Conflict("the batch was rejected; upload the file again to import it")
    if block_on_invalid and invalid_rows:
        raise Conflict(f"{invalid_rows} row(s) are invalid and block_on_invalid is set", invalid_rows=invalid_rows)
    return True


def check_can_reject(status: str) -> None:
    if status == BatchStatus.CONFIRMED:
        raise Conflict("the batch is already imported; it cannot be rejected")


def check_program(program: str, kind: str) -> None:
    if program not in PROGRAMS:
        raise Invalid(f"unknown program {program!r}; expected one of {', '.join(PROGRAMS)}")
    if kind not in UPLOAD_KINDS:
        raise Invalid(f"unknown upload kind {kind!r}; expected one of {', '.join(UPLOAD_KINDS)}")
