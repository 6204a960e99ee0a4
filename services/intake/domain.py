"""Intake rules: map spreadsheet columns to TRACS fields and read each row without altering it.

Plain Python: no framework imports. Raw cell text is always kept next to the parsed value; a cell that
says its value is unknown is stored as missing, and a row is invalid only when nothing identifies its
subject or a cell holds a value its column cannot take.
"""

from __future__ import annotations

import csv
import hashlib
import uuid
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path

from services.intake.cells import fold, parse_country
from shared.errors import Conflict, Invalid

CATALOGUE_FILE = Path(__file__).with_name("columns.csv")
PROGRAMS = ("UK-VISA", "M5", "PCSC", "KST")
UPLOAD_KINDS = ("partner-query", "partner-extract")
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


def batch_partner(text: str | None) -> str | None:
    """The partner country named for a whole upload (alpha-3, alpha-2 or English name), or None."""
    if text is None or not text.strip():
        return None
    try:
        return parse_country(text)
    except ValueError:
        raise Invalid(
            f"unknown partner country {text!r}; expected an ISO 3166 alpha-3 code such as GBR "
            "(alpha-2 codes and English names are accepted)"
        ) from None


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
    """Running counts of a batch as its rows stream past (importable rows also by partner country)."""

    total: int = 0
    valid: int = 0
    invalid: int = 0
    no_match: int = 0
    partners: Counter[str] = field(default_factory=Counter)
    no_partner: int = 0

    def add(self, row: ParsedRow, sign: int = 1) -> None:
        self.total += sign
        if not row.valid:
            self.invalid += sign
            return
        self.valid += sign
        if row.no_match:
            self.no_match += sign
        elif partner := row.values.get("partner_country"):
            self.partners[str(partner)] += sign
        else:
            self.no_partner += sign

    def remove(self, row: ParsedRow) -> None:
        self.add(row, -1)

    @property
    def importable(self) -> int:
        return self.valid - self.no_match


def formula_notices(formula_count: int, formula_cells: list[str]) -> list[str]:
    """Formula cells: their cached values are what gets imported."""
    if not formula_count:
        return []
    shown = ", ".join(formula_cells)
    more = f" and {formula_count - len(formula_cells)} more" if formula_count > len(formula_cells) else ""
    return [f"{formula_count} cell(s) hold formulas; their cached values were imported as shown: {shown}{more}"]


def partner_coverage(
    program: str, partners: dict[str, int], no_partner: int, covered: set[str]
) -> tuple[list[dict[str, object]], list[str]]:
    """Which partners of a batch's importable rows an agreement of its program covers, and the warnings.

    A case whose partner no agreement covers (or that has none) can never be answered.
    """
    rows = [
        {"partner_country": c, "rows": n, "covered": c in covered}
        for c, n in sorted(partners.items(), key=lambda kv: (-kv[1], kv[0]))
        if n > 0
    ]
    warnings = [
        f"no agreement of program {program} covers partner {r['partner_country']} ({r['rows']} row(s)); "
        "no response can be drafted for these cases"
        for r in rows
        if not r["covered"]
    ]
    if no_partner > 0:
        who = (
            "neither the upload nor any row names a partner country"
            if not rows
            else f"{no_partner} row(s) name no partner country and the upload names none"
        )
        warnings.append(
            f"{who}: these cases belong to no partner and no response can be drafted for them "
            "(name the batch's partner with partner_country, or tracs import --partner)"
        )
    return rows, warnings


def check_can_confirm(status: str, invalid_rows: int, *, block_on_invalid: bool) -> bool:
    """True when confirming should import now; False when it already happened (confirm is idempotent)."""
    if status == BatchStatus.CONFIRMED:
        return False
    if status == BatchStatus.REJECTED:
        raise Conflict("the batch was rejected; upload the file again to import it")
    if block_on_invalid and invalid_rows:
        raise Conflict(f"{invalid_rows} row(s) are invalid and block_on_invalid is set", invalid_rows=invalid_rows)
    return True


def progress(status: str, *, dispatched: bool, imported: int, answered: int) -> str:
    """Where a batch is on its way into cases, as an analyst reads it.

    staged (awaiting a decision), rejected, sending (chunks still being cut), attaching (cases has not
    answered for every row yet), done (every row attached or named as failed).
    """
    if status != BatchStatus.CONFIRMED:
        return status
    if not dispatched:
        return "sending"
    return "done" if answered >= imported else "attaching"


def check_can_reject(status: str) -> None:
    if status == BatchStatus.CONFIRMED:
        raise Conflict("the batch is already imported; it cannot be rejected")


def check_program(program: str, kind: str) -> None:
    if program not in PROGRAMS:
        raise Invalid(f"unknown program {program!r}; expected one of {', '.join(PROGRAMS)}")
    if kind not in UPLOAD_KINDS:
        raise Invalid(f"unknown upload kind {kind!r}; expected one of {', '.join(UPLOAD_KINDS)}")
