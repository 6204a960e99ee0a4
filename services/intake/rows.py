"""Reading the rows of one file: each cell by its column's rules, and what the file as a whole shows.

Plain Python. A file's rows share one RowReader, which counts per column what the analyst must be told
(cells stored as missing, the day/month order its dates showed, rows without a last name).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from services.intake.cells import DATE_FIELDS, DateValue, Missing, marker_set, read_coded, says_unknown
from services.intake.domain import VERBATIM_FIELDS, ColumnMapping, ParsedRow, Problem

# IDENT's FINs are digits; partners transcribe some with a prefix, so letters are accepted unless a
# deployment sets TRACS_INTAKE_FIN_PATTERN (e.g. '[0-9]+'). Spaces, punctuation and other scripts never are.
FIN_PATTERN = r"[0-9A-Za-z][0-9A-Za-z-]*"
FIN_FORMS = {FIN_PATTERN: "letters, digits and hyphens only", "[0-9]+": "digits only"}  # said to the analyst
PRECISION = {name: f"{name}_precision" for name in DATE_FIELDS}  # the field that says how precise a date is
ORDER_NAMES = {"MDY": "month-first (M/D/Y)", "DMY": "day-first (D/M/Y)"}


@dataclass(frozen=True)
class ReadingRules:
    """How a program's files are read: its unknown markers (folded), its day/month order, the FIN form."""

    markers: frozenset[str] = field(default_factory=marker_set)
    date_order: str = "MDY"
    fin_pattern: str = FIN_PATTERN


@dataclass(frozen=True)
class ColumnNotice:
    """What the analyst must know about one column of the file (counted, with examples)."""

    column: str | None
    field: str | None
    kind: str  # unknown, two-digit year, date order, no last name, batch partner
    cells: int
    examples: tuple[str, ...]
    text: str

    def as_dict(self) -> dict[str, object]:
        return {
            "column": self.column,
            "field": self.field,
            "kind": self.kind,
            "cells": self.cells,
            "examples": list(self.examples),
            "text": self.text,
        }


@dataclass
class _Evidence:
    """Dates of one column that only one day/month order can read."""

    count: int
    row: int
    text: str


class RowReader:
    """Reads the rows of one file, counting what the analyst must be told about its columns.

    Day/month order: a date whose first number exceeds 12 shows its column is day-first (and the reverse);
    until a column shows it, ambiguous dates are read in the program's order and remembered, so the few
    read before the evidence appeared can be read again (`rereads`).
    """

    def __init__(
        self, mapping: ColumnMapping, *, rules: ReadingRules | None = None, partner_country: str | None = None
    ) -> None:
        rules = rules or ReadingRules()
        self.markers = rules.markers
        self.default_order = rules.date_order
        self.partner_country = partner_country
        self._fin = re.compile(rules.fin_pattern)
        self._not_a_fin = f"not a FIN ({FIN_FORMS.get(rules.fin_pattern, f'expected {rules.fin_pattern}')})"
        self._columns = [(i, name, mapping.headers[i]) for i, name in sorted(mapping.fields.items())]
        self._unmapped = [(i, h) for i, h in enumerate(mapping.headers) if i not in mapping.fields and h]
        self._raw_keys = [h or f"column {i + 1}" for i, h in enumerate(mapping.headers)]
        self.headers = {name: header for _, name, header in self._columns}
        self._order: dict[str, str] = {}
        self._missing: dict[tuple[str, str], Counter[str]] = {}
        self._evidence: dict[str, dict[str, _Evidence]] = {}
        self._ambiguous: dict[str, list[tuple[int, str, str]]] = {}
        self._no_last_name = 0
        self._partner_filled = 0
        ids = [self.headers[n] for n in ("fin", "partner_unique_id") if n in self.headers]
        self._no_identity = (
            f"neither {ids[0]} nor {ids[1]} holds a value (blank or unknown); one of them identifies the subject"
            if len(ids) == 2
            else f"{ids[0]} holds no value (blank or unknown); it identifies the subject"
        )

    def read(self, row_number: int, cells: list[str]) -> ParsedRow:
        n = len(cells)
        raw = {key: cells[i] if i < n else "" for i, key in enumerate(self._raw_keys)}
        values: dict[str, object] = {}
        problems: list[Problem] = []
        markers = self.markers
        for i, name, header in self._columns:
            cell = cells[i] if i < n else ""
            text = cell.strip()
            if not text:
                continue
            if name in VERBATIM_FIELDS:
                # Identifiers and names are kept exactly as written (leading zeros, script, accents).
                # says_unknown, with its plain-ASCII case inlined: this runs for every name and number.
                if text.lower() in markers if text.isascii() and text.isalnum() else says_unknown(text, markers):
                    self._count_missing(name, "unknown", text)
                elif name == "fin" and not self._fin.fullmatch(text):
                    problems.append(Problem(row_number, header, cell, f"{header}: {self._not_a_fin}"))
                else:
                    values[name] = text
                continue
            order = self._order.get(name, self.default_order) if name in DATE_FIELDS else ""
            try:
                value = read_coded(name, cell, markers, order)
            except ValueError as exc:
                problems.append(Problem(row_number, header, cell, f"{header}: {exc}"))
                continue
            if isinstance(value, DateValue):
                values[name] = value.iso
                values[PRECISION[name]] = value.precision
                if value.hint:
                    self._observe(row_number, name, cell, value.hint, order)
            elif isinstance(value, Missing):
                self._count_missing(name, value.kind, text)
            else:
                values[name] = value
        if self.partner_country:
            self._fill_partner(values, problems)
        if "fin" not in values and "partner_unique_id" not in values and not self._has_problem(problems, "fin"):
            problems.append(Problem(row_number, None, None, self._no_identity))
        if "last_name" not in values:
            self._no_last_name += 1
        extra = {h: cells[i] for i, h in self._unmapped if i < n and cells[i]}
        return ParsedRow(row_number=row_number, raw=raw, values=values, extra=extra, problems=problems)

    def _has_problem(self, problems: list[Problem], name: str) -> bool:
        header = self.headers.get(name)
        return header is not None and any(p.column == header for p in problems)

    def _fill_partner(self, values: dict[str, object], problems: list[Problem]) -> None:
        """The batch's partner stands in for a blank or unknown partner-country cell (not for a wrong one)."""
        if "partner_country" not in values and not self._has_problem(problems, "partner_country"):
            values["partner_country"] = self.partner_country
            self._partner_filled += 1

    def _count_missing(self, name: str, kind: str, text: str) -> None:
        self._missing.setdefault((name, kind), Counter())[text] += 1

    def _observe(self, row_number: int, name: str, cell: str, hint: str, order: str) -> None:
        if hint == "either":
            self._ambiguous.setdefault(name, []).append((row_number, cell, order))
            return
        seen = self._evidence.setdefault(name, {})
        if hint in seen:
            seen[hint].count += 1
            return
        seen[hint] = _Evidence(1, row_number, cell.strip())
        self._order[name] = hint if len(seen) == 1 else self.default_order

    def final_order(self, name: str) -> str:
        """The column's order: what its dates showed, else (no evidence, or both orders) the program's."""
        seen = self._evidence.get(name, {})
        return next(iter(seen)) if len(seen) == 1 else self.default_order

    def rereads(self) -> dict[int, list[tuple[str, str]]]:
        """Rows with an ambiguous date read before its column showed its order: row -> [(field, cell)]."""
        out: dict[int, list[tuple[str, str]]] = {}
        for name, seen in self._ambiguous.items():
            final = self.final_order(name)
            for row_number, cell, order in seen:
                if order != final:
                    out.setdefault(row_number, []).append((name, cell))
        return out

    def reread(self, row: ParsedRow, dates: list[tuple[str, str]]) -> None:
        """Read a staged row's ambiguous dates again in their column's final order."""
        for name, cell in dates:
            header = self.headers[name]
            row.problems = [p for p in row.problems if p.column != header]
            row.values.pop(name, None)
            row.values.pop(PRECISION[name], None)
            try:
                value = read_coded(name, cell, self.markers, self.final_order(name))
            except ValueError as exc:  # e.g. the other reading is a date in the future
                row.problems.append(Problem(row.row_number, header, cell, f"{header}: {exc}"))
                continue
            if isinstance(value, DateValue):  # always: an ambiguous date is a full date either way
                row.values[name] = value.iso
                row.values[PRECISION[name]] = value.precision

    def notices(self) -> list[ColumnNotice]:
        """Per column: cells stored as missing, the day/month order read, rows without a last name."""
        out: list[ColumnNotice] = []
        for (name, kind), texts in self._missing.items():
            header, n = self.headers[name], sum(texts.values())
            examples = tuple(t for t, _ in texts.most_common(6 if kind == "unknown" else 3))
            shown = ", ".join(examples) + (", ..." if len(texts) > len(examples) else "")
            if kind == "unknown":
                text = f"{header}: {n} cell(s) say the value is unknown ({shown}); stored as missing"
            else:
                text = (
                    f"{header}: {n} date(s) have a two-digit year ({shown}); "
                    "the century is not guessed, stored as missing"
                )
            out.append(ColumnNotice(header, name, kind, n, examples, text))
        for name in sorted(set(self._evidence) | set(self._ambiguous), key=lambda f: self.headers[f]):
            out.append(self._order_notice(name))
        if self._no_last_name:
            out.append(
                self._rows_notice(
                    "last_name",
                    "no last name",
                    self._no_last_name,
                    with_column="{header}: {n} row(s) have no last name (blank or unknown); imported without one",
                    without_column="no column holds last names; rows are imported without one",
                )
            )
        if self._partner_filled:
            out.append(
                self._rows_notice(
                    "partner_country",
                    "batch partner",
                    self._partner_filled,
                    with_column="{n} row(s) name no partner country; the batch's partner {partner} is used",
                    without_column="the file has no partner-country column; the batch's partner {partner} is used",
                )
            )
        return out

    def _rows_notice(self, name: str, kind: str, n: int, *, with_column: str, without_column: str) -> ColumnNotice:
        """A count of rows, worded for whether the file has the field's column at all."""
        header = self.headers.get(name)
        text = (with_column if header else without_column).format(header=header, n=n, partner=self.partner_country)
        return ColumnNotice(header, name, kind, n, (), text)

    def _order_notice(self, name: str) -> ColumnNotice:
        header, seen = self.headers[name], self._evidence.get(name, {})
        ambiguous = len(self._ambiguous.get(name, ()))
        final = self.final_order(name)
        examples = tuple(e.text for e in seen.values())
        if len(seen) == 1:
            (e,) = seen.values()
            text = f"{header}: dates read {ORDER_NAMES[final]}: {e.text!r} on row {e.row} can be read no other way"
        elif seen:
            dm, md = seen["DMY"], seen["MDY"]
            text = (
                f"{header}: the column mixes day-first ({dm.text!r}, row {dm.row}) and month-first "
                f"({md.text!r}, row {md.row}) dates; ambiguous ones read {ORDER_NAMES[final]}, the program's order"
            )
        else:
            (first, *_) = self._ambiguous[name]
            examples = (first[1].strip(),)
            text = (
                f"{header}: no date shows whether the column is D/M or M/D; ambiguous ones such as "
                f"{first[1].strip()!r} read {ORDER_NAMES[final]}, the program's order"
            )
        if ambiguous:
            text += f" ({ambiguous} ambiguous date(s))"
        return ColumnNotice(header, name, "date order", ambiguous, examples, text)


def parse_row(
    row_number: int,
    cells: list[str],
    mapping: ColumnMapping,
    *,
    rules: ReadingRules | None = None,
    partner_country: str | None = None,
) -> ParsedRow:
    """One row read on its own (a file's rows share a RowReader)."""
    return RowReader(mapping, rules=rules, partner_country=partner_country).read(row_number, cells)
