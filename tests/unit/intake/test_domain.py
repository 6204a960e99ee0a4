"""Intake rules: column mapping, duplicates, counts, the partner warnings and batch transitions."""

from __future__ import annotations

import pytest

from services.intake import domain
from services.intake.rows import parse_row
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


def test_duplicate_rows_are_flagged_with_the_first_occurrence() -> None:
    mapping = domain.map_columns(["FIN", "Last Name"])
    rows = [parse_row(n, cells, mapping) for n, cells in [(2, ["1", "A"]), (3, ["2", "B"]), (4, ["1", " A"])]]
    finder = domain.DuplicateFinder()
    for row in rows:
        finder.check(row)
    assert [r.valid for r in rows] == [True, True, False]
    assert rows[2].problems[0].reason == "duplicate of row 2"


def test_no_match_rows_are_counted_but_not_importable() -> None:
    mapping = domain.map_columns(["FIN", "Last Name", "Result"])
    rows = [
        parse_row(2, ["1", "A", "match"], mapping),
        parse_row(3, ["2", "B", "No Match"], mapping),
        parse_row(4, ["3", "C", "maybe"], mapping),
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
    assert domain.formula_notices(0, []) == []
    (notice,) = domain.formula_notices(3, ["F2", "F3"])
    assert "3 cell(s) hold formulas" in notice and "F2, F3 and 1 more" in notice


def test_importable_rows_are_counted_by_partner_and_a_reread_row_can_be_taken_back() -> None:
    mapping = domain.map_columns(["FIN", "Last Name", "Partner Country", "Result"])
    rows = [
        parse_row(2, ["1", "A", "GBR", "hit"], mapping),
        parse_row(3, ["2", "B", "gb", "hit"], mapping),
        parse_row(4, ["3", "C", "", "hit"], mapping),
        parse_row(5, ["4", "D", "NZL", "no hit"], mapping),  # not imported: not counted by partner
        parse_row(6, ["5", "E", "Atlantis", "hit"], mapping),  # invalid
    ]
    tally = domain.Tally()
    for row in rows:
        tally.add(row)
    assert (dict(tally.partners), tally.no_partner, tally.invalid) == ({"GBR": 2}, 1, 1)
    tally.remove(rows[0])
    assert (tally.total, tally.valid, dict(tally.partners)) == (4, 3, {"GBR": 1})


def test_partners_no_agreement_covers_and_rows_without_a_partner_are_warned_about() -> None:
    coverage, warnings = domain.partner_coverage("M5", {"AUS": 5, "NZL": 2, "FRA": 3}, 0, covered={"AUS", "NZL"})
    assert coverage == [
        {"partner_country": "AUS", "rows": 5, "covered": True},
        {"partner_country": "FRA", "rows": 3, "covered": False},
        {"partner_country": "NZL", "rows": 2, "covered": True},
    ]
    assert warnings == [
        "no agreement of program M5 covers partner FRA (3 row(s)); no response can be drafted for these cases"
    ]
    _, warnings = domain.partner_coverage("M5", {}, 4, covered=set())
    assert warnings == [
        "neither the upload nor any row names a partner country: these cases belong to no partner and no "
        "response can be drafted for them (name the batch's partner with partner_country, or tracs import --partner)"
    ]
    _, warnings = domain.partner_coverage("M5", {"AUS": 1}, 2, covered={"AUS"})
    assert len(warnings) == 1 and warnings[0].startswith("2 row(s) name no partner country and the upload names none")


@pytest.mark.parametrize(("named", "code"), [("GBR", "GBR"), ("gb", "GBR"), ("United Kingdom", "GBR"), (" nz ", "NZL")])
def test_the_partner_of_a_batch_is_a_country_code_alpha2_or_name(named: str, code: str) -> None:
    assert domain.batch_partner(named) == code


@pytest.mark.parametrize("named", ["Atlantis", "UNKNOWN", "ZZZ"])
def test_an_unknown_partner_for_a_batch_is_refused_by_name(named: str) -> None:
    with pytest.raises(Invalid, match=f"unknown partner country {named!r}"):
        domain.batch_partner(named)


def test_no_partner_named_for_a_batch_is_none() -> None:
    assert domain.batch_partner(None) is None and domain.batch_partner("  ") is None


def test_a_batch_shows_where_it_is_on_its_way_into_cases() -> None:
    assert domain.progress("staged", dispatched=False, imported=0, answered=0) == "staged"
    assert domain.progress("rejected", dispatched=False, imported=0, answered=0) == "rejected"
    assert domain.progress("confirmed", dispatched=False, imported=10, answered=3) == "sending"
    assert domain.progress("confirmed", dispatched=True, imported=10, answered=9) == "attaching"
    assert domain.progress("confirmed", dispatched=True, imported=10, answered=10) == "done"
    assert domain.progress("confirmed", dispatched=True, imported=0, answered=0) == "done"  # nothing to import
