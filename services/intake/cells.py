"""Reading one cell: unknown markers, dates with their precision, countries and other coded values.

Plain Python. The readers are cached per distinct text (a column repeats its values); a reader answers a
value, `UNKNOWN` or `TWO_DIGIT_YEAR` (both stored as missing), or raises ValueError naming what is wrong.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from pathlib import Path

import pycountry

from shared.events import intake as intake_events

MARKERS_FILE = Path(__file__).with_name("unknown_markers.csv")
DATE_FIELDS = frozenset({"dob", "encounter_date"})
COUNTRY_FIELDS = frozenset({"country_of_birth", "nationality", "document_country", "partner_country"})
GENDERS = {"M": "M", "MALE": "M", "F": "F", "FEMALE": "F", "X": "X", "U": "U", "UNKNOWN": "U"}
# A column's own code beats an unknown marker: "UNKNOWN" in a gender column is the code U, not a blank.
OWN_CODES = {"gender": frozenset(g.casefold() for g in GENDERS)}
PROTECTED_CLASSES = frozenset(intake_events.PROTECTED_CLASSES)
NO_MATCH = {"NOMATCH", "NOHIT", "NO", "N"}
MATCH = {"MATCH", "HIT", "YES", "Y"}
EXCEL_EPOCH = date(1899, 12, 30)
EXCEL_LAST = 73051  # 2100-01-01: a larger number in a date column is not a date
YEARS = range(1800, 2200)
DATE_ORDERS = ("MDY", "DMY")
MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}

_PART = r"(\d{1,2}|xx?)"  # a day or month; 00, X or XX when the writer did not know it
_SEP = r"[-/. ]"
_TIME = re.compile(r"(.+?)[ t](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?")
_YEAR_FIRST = re.compile(rf"(\d{{4}}){_SEP}{_PART}(?:{_SEP}{_PART})?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_MONTH_YEAR = re.compile(rf"{_PART}{_SEP}(\d{{4}})")
_DAY_MONTH_YEAR = re.compile(rf"{_PART}{_SEP}{_PART}{_SEP}(\d{{4}})")
_NAMED = re.compile(r"(?:(\d{1,2}|xx?)(?:st|nd|rd|th)?[-/. ]+)?([a-z]{3,9})\.?[-/., ]+(\d{4}|\d{2})")
_NAMED_US = re.compile(r"([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4}|\d{2})")
_TWO_DIGIT_YEAR = re.compile(rf"{_PART}{_SEP}{_PART}{_SEP}\d{{2}}|{_PART}[-/.]\d{{2}}")


class Missing:
    """A cell that holds no value: stored as missing, its raw text kept, counted in a notice."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __repr__(self) -> str:
        return f"Missing({self.kind!r})"


UNKNOWN = Missing("unknown")
TWO_DIGIT_YEAR = Missing("two-digit year")


@dataclass(frozen=True, slots=True)
class DateValue:
    """A date as ISO text with its precision; `hint` is what the text says about its day/month order.

    hint: "DMY" (the first number exceeds 12), "MDY" (the second does), "either" (both could be the
    day: the value depends on the order), None (the order does not matter).
    """

    iso: str  # "1980", "1980-05", "1980-05-17" or "1980-05-17T13:45:00"
    precision: str  # "year", "month", "day" or "time"
    hint: str | None = None


def fold(text: str) -> str:
    """Case, space, punctuation and accent-insensitive form of a header, code or marker."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\W_]+", "", stripped.casefold())


@cache
def standard_markers() -> tuple[str, ...]:
    """The unknown markers as listed in unknown_markers.csv."""
    with MARKERS_FILE.open(encoding="utf-8") as fh:
        rows = csv.reader(fh)
        next(rows)
        return tuple(r[0] for r in rows if r)


def marker_set(extra: Iterable[str] = ()) -> frozenset[str]:
    """Folded markers: the standard list plus a program's own."""
    return _marker_set(tuple(extra))


@cache
def _marker_set(extra: tuple[str, ...]) -> frozenset[str]:
    # One object per list: the readers' caches are keyed by it, and an equal but distinct set would be
    # compared element by element on every cache hit.
    return frozenset(fold(m) for m in (*standard_markers(), *extra))


def says_unknown(text: str, markers: frozenset[str]) -> bool:
    """True when a non-blank cell only says that its value is unknown (UNK, N/A, -, 00/00/0000...)."""
    if text.isascii() and text.isalnum():
        return text.lower() in markers  # fold() of plain ASCII letters and digits, without its cost
    return _folds_into(text, markers)


@lru_cache(maxsize=65536)
def _folds_into(text: str, markers: frozenset[str]) -> bool:
    return fold(text) in markers


@lru_cache(maxsize=65536)
def read_coded(name: str, text: str, markers: frozenset[str], order: str = "MDY") -> object:
    """A coded cell (date, country, flag...) read once per distinct text; `order` matters to dates only."""
    own = OWN_CODES.get(name)
    if not (own and fold(text) in own) and says_unknown(text.strip(), markers):
        return UNKNOWN
    if name in DATE_FIELDS:
        value = read_date(text, order)
        if isinstance(value, DateValue):
            _check_not_future(name, value)
        return value
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


def _check_not_future(name: str, value: DateValue) -> None:
    # An encounter's date-time may be a day ahead of ours (time zones); a birth may not be.
    limit = date.today() + timedelta(days=0 if name == "dob" else 1)
    if value.iso[:10] > limit.isoformat()[: len(value.iso[:10])]:
        raise ValueError("a date in the future")


@lru_cache(maxsize=65536)
def read_date(text: str, order: str = "MDY") -> DateValue | Missing:
    """ISO text and precision of a date cell; ambiguous day/month numbers are read in `order`."""
    t = text.strip().lower()
    if len(t) == 10 and t[4] == "-" and t[7] == "-":
        try:
            day = date.fromisoformat(t)  # the common case, at once
            if day.year in YEARS:
                return DateValue(day.isoformat(), "day")
        except ValueError:
            pass
    if m := _TIME.fullmatch(t):
        day = read_date(m.group(1), order)
        if isinstance(day, Missing):
            return day
        if day.precision != "day":
            raise ValueError("not a date")
        hour, minute, second = int(m.group(2)), int(m.group(3)), int(m.group(4) or 0)
        if hour > 23 or minute > 59 or second > 59:
            raise ValueError("impossible time")
        return DateValue(f"{day.iso}T{hour:02d}:{minute:02d}:{second:02d}", "time", day.hint)
    if re.fullmatch(r"\d{4}", t):
        return _build(int(t), None, None)  # a year (as a serial it would be a date in 1902-1927)
    if re.fullmatch(r"\d{5}(\.\d+)?|\d{4}\.\d+", t) and float(t) < EXCEL_LAST:
        # An Excel serial: whole days since 1899-12-30, a fraction is the time of day.
        moment = datetime.combine(EXCEL_EPOCH, datetime.min.time()) + timedelta(days=float(t))
        moment = moment.replace(microsecond=0)
        if moment.time() == datetime.min.time():
            return DateValue(moment.date().isoformat(), "day")
        return DateValue(moment.isoformat(), "time")
    if m := _COMPACT.fullmatch(t) or _YEAR_FIRST.fullmatch(t):
        return _build(int(m.group(1)), _number(m.group(2)), _number(m.group(3)))
    if m := _MONTH_YEAR.fullmatch(t):
        return _build(int(m.group(2)), _number(m.group(1)), None)
    if m := _DAY_MONTH_YEAR.fullmatch(t):
        return _day_month(int(m.group(3)), _number(m.group(1)), _number(m.group(2)), order)
    if m := _NAMED.fullmatch(t):
        return _named(m.group(3), m.group(2), m.group(1))
    if m := _NAMED_US.fullmatch(t):
        return _named(m.group(3), m.group(1), m.group(2))
    if _TWO_DIGIT_YEAR.fullmatch(t):
        return TWO_DIGIT_YEAR
    raise ValueError("not a date")


def _number(part: str | None) -> int | None:
    """A day or month number; None when the writer marked it unknown (0, 00, X, XX) or left it out."""
    if part is None or part.startswith("x"):
        return None
    return int(part) or None


def _day_month(year: int, first: int | None, second: int | None, order: str) -> DateValue | Missing:
    """n/n/yyyy: a number over 12 can only be the day; otherwise the column's order decides."""
    if first is None or second is None:
        # One of them unknown: a day without its month says nothing, so the known one is the month.
        return _build(year, first or second, None)
    if first > 12 and second > 12:
        raise ValueError("impossible date")
    if first > 12:
        return _with_hint(_build(year, second, first), "DMY")
    if second > 12:
        return _with_hint(_build(year, first, second), "MDY")
    if first == second:
        return _build(year, first, second)
    day, month = (first, second) if order == "DMY" else (second, first)
    return _with_hint(_build(year, month, day), "either")


def _named(year_text: str, month_name: str, day_text: str | None) -> DateValue | Missing:
    month = MONTHS.get(month_name)
    if month is None:
        raise ValueError("not a date")
    if len(year_text) == 2:
        return TWO_DIGIT_YEAR
    return _build(int(year_text), month, _number(day_text))


def _with_hint(value: DateValue | Missing, hint: str) -> DateValue | Missing:
    return DateValue(value.iso, value.precision, hint) if isinstance(value, DateValue) else value


def _build(year: int, month: int | None, day: int | None) -> DateValue | Missing:
    if year == 0 and month is None:
        return UNKNOWN  # 0000-00-00 and the like, also with a time of day
    if year not in YEARS:
        raise ValueError("impossible date")
    if month is None:
        return DateValue(f"{year:04d}", "year")  # a day without its month is dropped with it
    if not 1 <= month <= 12:
        raise ValueError("impossible date")
    if day is None:
        return DateValue(f"{year:04d}-{month:02d}", "month")
    try:
        return DateValue(date(year, month, day).isoformat(), "day")
    except ValueError:
        raise ValueError("impossible date") from None


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
    """ISO 3166 alpha-3 of a code (alpha-3 or alpha-2) or English name."""
    code = _country_lookup().get(fold(text))
    if code is None:
        raise ValueError("not a country (expected ISO 3166 alpha-3, alpha-2 or an English name)")
    return code
