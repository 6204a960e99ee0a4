"""Intake rules: column mapping, reading values without altering them, row problems, batch transitions."""

from __future__ import annotations

import pytest

from services.intake import domain
from shared.errors import Conflict, Invalid


def test_headers_match_aliases_ignoring_case_space_punctuation_and_accents() -> None:
    mapping = domain.map_columns(
        ["fin number", "SURNAME", "Prenom", "fecha de nacimiento", "O/U/S", "Hit/No Hit", "Desk"]
    )
    assert [mapping.fields.get(i) for i in range(7)] == [
        "fin",
        "last_name",
        "first_name",
        "dob",
        "ous",
        "match_result",
        None,
    ]
    assert mapping.unknown == ("Desk",)


def test_a_program_can_add_its_own_header_aliases() -> None:
    mapping = domain.map_columns(["Ref UKVI", "Last Name"], extra_aliases={"Ref UKVI": "partner_unique_id"})
    assert mapping.fields == {0: "partner_unique_id", 1: "last_name"}


def test_a_sheet_without_fin_or_partner_id_column_is_refused() -> None:
    with pytest.raises(Invalid, match="FIN or to partner unique ID"):
        domain.map_columns(["Last Name", "DOB"])


def test_two_columns_for_one_field_are_refused() -> None:
    with pytest.raises(Invalid, match="both map to field 'fin'"):
        domain.map_columns(["FIN", "Fingerprint ID"])


def test_an_empty_header_row_is_refused() -> None:
    with pytest.raises(Invalid, match="no header row"):
        domain.map_columns(["", " "])


@pytest.mark.parametrize(
    ("cell", "partial", "expected"),
    [
        ("1980", True, "1980"),
        ("1980-5", True, "1980-05"),
        ("1980-05-17", False, "1980-05-17"),
        ("05/17/1980", False, "1980-05-17"),
        ("17 May 1980", False, "1980-05-17"),
        ("29221", False, "1980-01-01"),  # Excel serial date
        ("29221.0", False, "1980-01-01"),
        ("2019-03-04 13:45:00", False, "2019-03-04T13:45:00"),
    ],
)
def test_dates_from_text_and_excel_serials_become_iso(cell: str, partial: bool, expected: str) -> None:
    assert domain.parse_date(cell, partial=partial) == expected


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("02/30/1990", "impossible date"),
        ("1990-13", "impossible date"),
        ("1990-02-30", "impossible date"),
        ("next tuesday", "unparseable date"),
    ],
)
def test_wrong_dates_are_named(cell: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        domain.parse_date(cell, partial=True)


def test_a_year_alone_is_not_a_partial_date_for_encounter_dates() -> None:
    with pytest.raises(ValueError):
        domain.parse_date("1980", partial=False)


@pytest.mark.parametrize("cell", ["DEU", "de", "Germany", " deu "])
def test_countries_accept_alpha3_alpha2_and_names(cell: str) -> None:
    assert domain.parse_country(cell) == "DEU"


def test_unknown_country_is_a_problem_on_the_row() -> None:
    mapping = domain.map_columns(["FIN", "Last Name", "Nationality"])
    row = domain.parse_row(2, ["0012", "Doe", "Atlantis"], mapping)
    assert [(p.column, p.value, p.reason) for p in row.problems] == [("Nationality", "Atlantis", "bad country code")]
    assert not row.valid


def test_identifiers_and_names_are_kept_exactly_and_raw_cells_verbatim() -> None:
    mapping = domain.map_columns(["FIN", "Passport No", "Last Name", "First Name", "Aliases", "Comments x"])
    row = domain.parse_row(7, ["000123", "0099887", "  Ngũyễn ", "Þórr", "Tom; T. | Tommy", "seen twice"], mapping)
    assert row.values["fin"] == "000123" and row.values["passport_number"] == "0099887"
    assert row.values["last_name"] == "Ngũyễn" and row.values["first_name"] == "Þórr"
    assert row.values["aliases"] == ("Tom", "T.", "Tommy")
    assert row.raw["Last Name"] == "  Ngũyễn "  # verbatim, spaces and all
    assert row.extra == {"Comments x": "seen twice"}
    assert row.valid


def test_missing_subject_identifier_and_missing_name_are_reported() -> None:
    mapping = domain.map_columns(["FIN", "Partner ID", "Last Name"])
    row = domain.parse_row(3, ["", "", ""], mapping)
    assert {p.reason for p in row.problems} == {"missing FIN and partner unique ID", "missing last name"}


def test_partner_id_alone_identifies_the_subject() -> None:
    mapping = domain.map_columns(["Partner ID", "Last Name", "Partner Country"])
    assert domain.parse_row(2, ["UK-77", "Smith", "GBR"], mapping).valid


def test_duplicate_rows_are_flagged_with_the_first_occurrence() -> None:
    mapping = domain.map_columns(["FIN", "Last Name"])
    rows = [domain.parse_row(n, cells, mapping) for n, cells in [(2, ["1", "A"]), (3, ["2", "B"]), (4, ["1", " A"])]]
    finder = domain.DuplicateFinder()
    for row in rows:
        finder.check(row)
    assert [r.valid for r in rows] == [True, True, False]
    assert rows[2].problems[0].reason == "duplicate of row 2"


def test_no_match_rows_are_counted_but_not_importable() -> None:
    mapping = domain.map_columns(["FIN", "Last Name", "Result"])
    rows = [
        domain.parse_row(2, ["1", "A", "match"], mapping),
        domain.parse_row(3, ["2", "B", "No Match"], mapping),
        domain.parse_row(4, ["3", "C", "maybe"], mapping),
    ]
    tally = domain.Tally()
    for row in rows:
        tally.add(row)
    assert (tally.total, tally.valid, tally.invalid, tally.no_match, tally.importable) == (3, 2, 1, 1, 1)


def test_confirm_is_idempotent_and_rejected_batches_cannot_be_confirmed() -> None:
    assert domain.check_can_confirm("staged", 0, block_on_invalid=True) is True
    assert domain.check_can_confirm("confirmed", 0, block_on_invalid=False) is False
    with pytest.raises(Conflict, match="rejected"):
        domain.check_can_confirm("rejected", 0, block_on_invalid=False)
    with pytest.raises(Conflict, match="2 row"):
        domain.check_can_confirm("staged", 2, block_on_invalid=True)
    assert domain.check_can_confirm("staged", 2, block_on_invalid=False) is True


def test_imported_batches_cannot_be_rejected() -> None:
    with pytest.raises(Conflict):
        domain.check_can_reject("confirmed")
    domain.check_can_reject("staged")


def test_program_and_kind_are_checked() -> None:
    domain.check_program("PCSC", "partner-extract")
    with pytest.raises(Invalid, match="unknown program"):
        domain.check_program("NOPE", "partner-query")
    with pytest.raises(Invalid, match="unknown upload kind"):
        domain.check_program("M5", "guess")


def test_formula_notice_names_the_cells_and_how_many_more() -> None:
    assert domain.notices(0, []) == []
    (notice,) = domain.notices(3, ["F2", "F3"])
    assert "3 cell(s) hold formulas" in notice and "F2, F3 and 1 more" in notice
