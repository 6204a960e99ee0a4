"""Reading one cell: unknown markers, dates of any precision and either day/month order, coded values."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.intake import cells
from services.intake.cells import TWO_DIGIT_YEAR, UNKNOWN, DateValue

MARKERS = cells.marker_set()
ISSUE_MARKERS = [
    "UNKNOWN",
    "UNK",
    "N/A",
    "NA",
    "NONE",
    "NULL",
    "-",
    "?",
    "XX",
    "00/00/0000",
    "0000-00-00",
    "XX/XX/XXXX",
]


def spellings(marker: str) -> list[str]:
    """The marker as partner files write it: any case, spaces around."""
    return [marker, marker.lower(), marker.title(), f"  {marker} ", f"\t{marker.lower()}  "]


@pytest.mark.parametrize("marker", [*ISSUE_MARKERS, "Not Known", "n.a.", "N / A", "#N/A", "--", "XXX", "0000/00/00"])
def test_every_marker_in_any_case_and_with_spaces_says_unknown(marker: str) -> None:
    for text in spellings(marker):
        assert cells.says_unknown(text.strip(), MARKERS), text


@pytest.mark.parametrize("text", ["Smith", "Ngô", "Иванова", "0012345", "U", "X", "N", "NO", "NAM", "Nada", "1980"])
def test_real_values_are_not_markers(text: str) -> None:
    assert not cells.says_unknown(text, MARKERS)


@pytest.mark.parametrize("name", ["dob", "encounter_date"])
@pytest.mark.parametrize("marker", ISSUE_MARKERS)
def test_a_date_cell_that_says_unknown_is_missing(name: str, marker: str) -> None:
    for text in spellings(marker):
        assert cells.read_coded(name, text, MARKERS, "MDY") is UNKNOWN, text


@pytest.mark.parametrize(
    "name",
    [
        "country_of_birth",
        "nationality",
        "document_country",
        "partner_country",
        "di_shared",
        "match_result",
        "protected_class",
        "aliases",
    ],
)
@pytest.mark.parametrize("marker", ISSUE_MARKERS)
def test_a_coded_cell_that_says_unknown_is_missing(name: str, marker: str) -> None:
    for text in spellings(marker):
        assert cells.read_coded(name, text, MARKERS, "") is UNKNOWN, (name, text)


def test_na_in_a_country_column_is_unknown_not_namibia() -> None:
    assert cells.read_coded("nationality", "NA", MARKERS, "") is UNKNOWN
    assert cells.read_coded("nationality", "NAM", MARKERS, "") == "NAM"
    assert cells.read_coded("nationality", "Namibia", MARKERS, "") == "NAM"


def test_a_columns_own_codes_beat_the_markers() -> None:
    # U and X are genders and UNKNOWN is how some files spell U; NO and N are match results.
    assert [cells.read_coded("gender", t, MARKERS, "") for t in ("U", "X", " unknown ")] == ["U", "X", "U"]
    assert cells.read_coded("gender", "UNK", MARKERS, "") is UNKNOWN
    assert cells.read_coded("match_result", "NO", MARKERS, "") == "NO MATCH"
    assert cells.read_coded("di_shared", "N", MARKERS, "") is False
    assert cells.read_coded("protected_class", "U", MARKERS, "") == "U"


def test_a_program_adds_its_own_markers() -> None:
    markers = cells.marker_set(["NG", "Not Given"])
    assert cells.says_unknown("ng", markers) and cells.says_unknown("NOT  GIVEN", markers)
    assert not cells.says_unknown("NG", MARKERS) and not cells.says_unknown("not given", MARKERS)
    # One object per list, so the per-value caches keyed by it never compare two equal sets.
    assert cells.marker_set(["NG", "Not Given"]) is markers and cells.marker_set() is MARKERS


@pytest.mark.parametrize(
    ("text", "iso", "precision"),
    [
        ("1980", "1980", "year"),
        ("1980-05", "1980-05", "month"),
        ("1980-5", "1980-05", "month"),
        ("05/1980", "1980-05", "month"),
        ("May 1980", "1980-05", "month"),
        ("SEPT. 1980", "1980-09", "month"),
        ("17/05/1980", "1980-05-17", "day"),
        ("05/17/1980", "1980-05-17", "day"),
        ("17.05.1980", "1980-05-17", "day"),
        ("1980-05-17", "1980-05-17", "day"),
        ("19800517", "1980-05-17", "day"),
        ("17 May 1980", "1980-05-17", "day"),
        ("17-MAY-1980", "1980-05-17", "day"),
        ("May 17, 1980", "1980-05-17", "day"),
        ("29221", "1980-01-01", "day"),  # an Excel serial
        ("29221.0", "1980-01-01", "day"),
        ("00/05/1980", "1980-05", "month"),  # day unknown
        ("05/00/1980", "1980-05", "month"),
        ("XX/05/1980", "1980-05", "month"),
        ("00/00/1980", "1980", "year"),
        ("xx/xx/1980", "1980", "year"),
        ("1980-00-00", "1980", "year"),
        ("19800500", "1980-05", "month"),
        ("2019-03-04 13:45:00", "2019-03-04T13:45:00", "time"),
        ("2019-03-04T13:45", "2019-03-04T13:45:00", "time"),
        ("43528.5", "2019-03-04T12:00:00", "time"),
    ],
)
def test_dates_keep_the_precision_they_were_written_with(text: str, iso: str, precision: str) -> None:
    for order in ("MDY", "DMY"):
        value = cells.read_date(text, order)
        assert isinstance(value, DateValue) and (value.iso, value.precision) == (iso, precision), (text, order)


def test_an_ambiguous_date_follows_the_order_and_says_so() -> None:
    md, dm = cells.read_date("05/06/1980", "MDY"), cells.read_date("05/06/1980", "DMY")
    assert (md.iso, dm.iso) == ("1980-05-06", "1980-06-05")  # type: ignore[union-attr]
    assert md.hint == dm.hint == "either"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "hint"), [("17/05/1980", "DMY"), ("05/17/1980", "MDY"), ("05/05/1980", None), ("1980-05-06", None)]
)
def test_a_date_says_which_order_it_can_only_be_read_in(text: str, hint: str | None) -> None:
    assert cells.read_date(text, "MDY").hint == hint  # type: ignore[union-attr]


@pytest.mark.parametrize("text", ["05/17/80", "17/05/80", "17.05.80", "17-MAY-80", "May 80", "05/80", "xx/xx/80"])
def test_a_two_digit_year_is_never_given_a_century(text: str) -> None:
    assert cells.read_coded("dob", text, MARKERS, "MDY") is TWO_DIGIT_YEAR


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("02/30/1990", "impossible date"),
        ("31/02/1990", "impossible date"),
        ("13/13/1990", "impossible date"),
        ("1990-13", "impossible date"),
        ("1990-02-30", "impossible date"),
        ("0990-01-01", "impossible date"),
        ("next tuesday", "not a date"),
        ("Smarch 1980", "not a date"),
        ("2019-03-04 25:00", "impossible time"),
    ],
)
def test_wrong_dates_are_named(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        cells.read_coded("dob", text, MARKERS, "MDY")


def test_a_date_of_birth_in_the_future_is_refused_and_a_partial_one_from_this_year_is_not() -> None:
    tomorrow = date.today() + timedelta(days=1)
    with pytest.raises(ValueError, match="a date in the future"):
        cells.read_coded("dob", tomorrow.isoformat(), MARKERS, "MDY")
    with pytest.raises(ValueError, match="a date in the future"):
        cells.read_coded("dob", str(date.today().year + 1), MARKERS, "MDY")
    assert cells.read_coded("dob", str(date.today().year), MARKERS, "MDY") == DateValue(str(date.today().year), "year")
    # An encounter may be dated a day ahead of us (time zones), not more.
    assert isinstance(cells.read_coded("encounter_date", tomorrow.isoformat(), MARKERS, "MDY"), DateValue)
    with pytest.raises(ValueError, match="a date in the future"):
        cells.read_coded("encounter_date", (tomorrow + timedelta(days=1)).isoformat(), MARKERS, "MDY")


@pytest.mark.parametrize("text", ["DEU", "de", "Germany", " deu "])
def test_countries_accept_alpha3_alpha2_and_names(text: str) -> None:
    assert cells.parse_country(text) == "DEU"


def test_a_wrong_country_is_named() -> None:
    with pytest.raises(ValueError, match="not a country"):
        cells.read_coded("nationality", "Atlantis", MARKERS, "")
