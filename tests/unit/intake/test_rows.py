"""Reading a file's rows: missing is not invalid, what makes a row invalid, day/month order from the file."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.intake import domain
from services.intake.rows import ColumnNotice, ReadingRules, RowReader, parse_row
from tests.unit.intake.test_cells import ISSUE_MARKERS, spellings

ALL_FIELDS = [spec.name for spec in domain.catalogue()]


def _reader(header: list[str], **kwargs: object) -> RowReader:
    return RowReader(domain.map_columns(header), **kwargs)  # type: ignore[arg-type]


def _notice(reader: RowReader, column: str, kind: str) -> ColumnNotice:
    (found,) = [n for n in reader.notices() if n.column == column and n.kind == kind]
    return found


@pytest.mark.parametrize("marker", ISSUE_MARKERS)
def test_a_marker_in_every_column_is_stored_as_missing_with_its_raw_cell_and_a_notice_per_column(marker: str) -> None:
    reader = _reader(ALL_FIELDS)
    texts = spellings(marker)
    rows = [reader.read(n, [text] * len(ALL_FIELDS)) for n, text in enumerate(texts, start=2)]
    for row, text in zip(rows, texts, strict=True):
        # UNKNOWN is also the long form of the gender code U; nothing else survives.
        expected = {"gender": "U"} if marker == "UNKNOWN" else {}
        assert row.values == expected, text
        assert row.raw["dob"] == text and row.raw["last_name"] == text  # verbatim, spaces and all
        assert [p.reason for p in row.problems] == [
            "neither fin nor partner_unique_id holds a value (blank or unknown); one of them identifies the subject"
        ]
    unknown = {n.field: n for n in reader.notices() if n.kind == "unknown"}
    columns = set(ALL_FIELDS) - ({"gender"} if marker == "UNKNOWN" else set())
    assert set(unknown) == columns
    for name in columns:
        assert unknown[name].cells == len(texts)
        assert unknown[name].text.startswith(f"{name}: {len(texts)} cell(s) say the value is unknown (")
        assert unknown[name].text.endswith("); stored as missing")


def test_a_row_with_an_unknown_date_of_birth_and_no_last_name_is_valid() -> None:
    reader = _reader(["FIN", "Last Name", "DOB", "Nationality"])
    row = reader.read(2, ["0012", "unknown", " UNK ", "n/a"])
    blank = reader.read(3, ["0013", "", "00/00/0000", "-"])
    assert row.valid and blank.valid
    assert row.values == {"fin": "0012"} and blank.values == {"fin": "0013"}
    assert (
        _notice(reader, "DOB", "unknown").text
        == "DOB: 2 cell(s) say the value is unknown (UNK, 00/00/0000); stored as missing"
    )
    assert _notice(reader, "Last Name", "no last name").text == (
        "Last Name: 2 row(s) have no last name (blank or unknown); imported without one"
    )


def test_a_row_is_invalid_only_when_nothing_identifies_it_and_the_reason_names_the_columns() -> None:
    reader = _reader(["Fingerprint ID", "Partner Reference", "Surname"])
    assert reader.read(2, ["", "UK-1", "Doe"]).valid
    assert reader.read(3, ["0099", "N/A", ""]).valid
    (problem,) = reader.read(4, ["UNK", "  ", "Doe"]).problems
    assert (problem.row, problem.column, problem.reason) == (
        4,
        None,
        "neither Fingerprint ID nor Partner Reference holds a value (blank or unknown); "
        "one of them identifies the subject",
    )


@pytest.mark.parametrize(
    ("header", "cell", "reason"),
    [
        ("DOB", "2090-01-01", "DOB: a date in the future"),
        ("DOB", "02/30/1990", "DOB: impossible date"),
        ("DOB", "the 5th", "DOB: not a date"),
        ("Encounter Date", "1990-13-01", "Encounter Date: impossible date"),
        (
            "Nationality",
            "Atlantis",
            "Nationality: not a country (expected ISO 3166 alpha-3, alpha-2 or an English name)",
        ),
        ("Gender", "Q", "Gender: gender must be M, F, X or U"),
        ("Match", "maybe", "Match: match result must be MATCH or NO MATCH"),
    ],
)
def test_a_value_its_column_cannot_take_makes_the_row_invalid_and_says_which(
    header: str, cell: str, reason: str
) -> None:
    row = parse_row(7, ["0012", "Doe", cell], domain.map_columns(["FIN", "Last Name", header]))
    assert [(p.row, p.column, p.value, p.reason) for p in row.problems] == [(7, header, cell, reason)]


@pytest.mark.parametrize("fin", ["12 34", "0012/5", "Иван", "12.5x"])
def test_a_fin_with_spaces_punctuation_or_another_script_is_invalid(fin: str) -> None:
    row = parse_row(2, [fin, "Doe"], domain.map_columns(["FIN", "Last Name"]))
    assert [(p.column, p.reason) for p in row.problems] == [
        ("FIN", "FIN: not a FIN (letters, digits and hyphens only)")
    ]


def test_letters_in_a_fin_are_invalid_where_fins_are_digits() -> None:
    mapping = domain.map_columns(["FIN", "Last Name"])
    digits = ReadingRules(fin_pattern="[0-9]+")
    assert parse_row(2, ["00123", "Doe"], mapping, rules=digits).valid
    row = parse_row(3, ["00A123", "Doe"], mapping, rules=digits)
    assert [p.reason for p in row.problems] == ["FIN: not a FIN (digits only)"]
    assert parse_row(3, ["A-00123", "Doe"], mapping).valid  # the default accepts a partner's prefix
    eight = parse_row(4, ["1234567", "Doe"], mapping, rules=ReadingRules(fin_pattern="[0-9]{8}"))
    assert [p.reason for p in eight.problems] == ["FIN: not a FIN (expected [0-9]{8})"]


def test_partial_dates_are_stored_with_their_precision() -> None:
    reader = _reader(["FIN", "DOB", "Encounter Date"])
    cells = [("1980", "2019-03-04 13:45"), ("05/1980", "2019-03-04"), ("May 1980", "2019-03"), ("00/00/1980", "2019")]
    values = [reader.read(n, ["1", dob, enc]).values for n, (dob, enc) in enumerate(cells, start=2)]
    assert [(v["dob"], v["dob_precision"]) for v in values] == [
        ("1980", "year"),
        ("1980-05", "month"),
        ("1980-05", "month"),
        ("1980", "year"),
    ]
    assert [(v["encounter_date"], v["encounter_date_precision"]) for v in values] == [
        ("2019-03-04T13:45:00", "time"),
        ("2019-03-04", "day"),
        ("2019-03", "month"),
        ("2019", "year"),
    ]


def test_a_two_digit_year_is_kept_raw_stored_as_missing_and_told() -> None:
    reader = _reader(["FIN", "Last Name", "DOB"])
    row = reader.read(2, ["1", "Doe", "05/17/80"])
    assert row.valid and "dob" not in row.values and row.raw["DOB"] == "05/17/80"
    notice = _notice(reader, "DOB", "two-digit year")
    assert (
        notice.text == "DOB: 1 date(s) have a two-digit year (05/17/80); the century is not guessed, stored as missing"
    )


def test_a_day_over_12_anywhere_in_a_column_makes_the_whole_column_day_first() -> None:
    reader = _reader(["FIN", "DOB"])
    early = reader.read(2, ["1", "05/06/1980"])  # ambiguous, read month-first (the program's order) for now
    evidence = reader.read(3, ["2", "17/05/1980"])
    late = reader.read(4, ["3", "07/08/1981"])  # read day-first: the column has shown its order
    assert (early.values["dob"], evidence.values["dob"], late.values["dob"]) == (
        "1980-05-06",
        "1980-05-17",
        "1981-08-07",
    )
    assert reader.final_order("dob") == "DMY"
    assert reader.rereads() == {2: [("dob", "05/06/1980")]}
    reader.reread(early, reader.rereads()[2])
    assert early.values["dob"] == "1980-06-05" and early.valid
    assert _notice(reader, "DOB", "date order").text == (
        "DOB: dates read day-first (D/M/Y): '17/05/1980' on row 3 can be read no other way (2 ambiguous date(s))"
    )


def test_evidence_is_per_column_and_a_month_over_12_keeps_the_us_order() -> None:
    reader = _reader(["FIN", "DOB", "Encounter Date"])
    reader.read(2, ["1", "05/06/1980", "03/04/2019"])
    reader.read(3, ["2", "25/12/1970", "12/31/2019"])
    assert (reader.final_order("dob"), reader.final_order("encounter_date")) == ("DMY", "MDY")
    assert reader.rereads() == {2: [("dob", "05/06/1980")]}


def test_without_evidence_the_programs_order_reads_ambiguous_dates() -> None:
    mapping = domain.map_columns(["FIN", "DOB"])
    us, uk = RowReader(mapping), RowReader(mapping, rules=ReadingRules(date_order="DMY"))
    assert us.read(2, ["1", "05/06/1980"]).values["dob"] == "1980-05-06"
    assert uk.read(2, ["1", "05/06/1980"]).values["dob"] == "1980-06-05"
    assert us.rereads() == uk.rereads() == {}
    assert _notice(uk, "DOB", "date order").text == (
        "DOB: no date shows whether the column is D/M or M/D; ambiguous ones such as '05/06/1980' read "
        "day-first (D/M/Y), the program's order (1 ambiguous date(s))"
    )


def test_a_column_mixing_both_orders_reads_ambiguous_dates_in_the_programs_order() -> None:
    reader = _reader(["FIN", "DOB"])
    reader.read(2, ["1", "17/05/1980"])
    after = reader.read(3, ["2", "05/06/1980"])  # read day-first: only day-first evidence so far
    reader.read(4, ["3", "05/17/1980"])
    assert reader.final_order("dob") == "MDY" and reader.rereads() == {3: [("dob", "05/06/1980")]}
    reader.reread(after, [("dob", "05/06/1980")])
    assert after.values["dob"] == "1980-05-06"
    assert "mixes day-first ('17/05/1980', row 2) and month-first ('05/17/1980', row 4)" in (
        _notice(reader, "DOB", "date order").text
    )


def test_reading_again_can_make_a_row_invalid_when_the_other_reading_is_in_the_future() -> None:
    today = date.today()
    late = today + timedelta(days=1)  # an encounter may be a day ahead of us, no more
    pairs = [
        (a, b)
        for a in range(1, 13)
        for b in range(1, 13)
        if a != b and date(today.year, b, a) <= today and date(today.year, a, b) > late
    ]
    if not pairs:
        pytest.skip("no day/month pair this year has one reading past and the other in the future")
    a, b = pairs[0]
    ambiguous = f"{a:02d}/{b:02d}/{today.year}"  # day-first: past; month-first: in the future
    reader = _reader(["FIN", "Encounter Date"], rules=ReadingRules(date_order="DMY"))
    row = reader.read(2, ["1", ambiguous])
    assert row.valid
    reader.read(3, ["2", "01/31/2019"])  # the column is month-first after all
    reader.reread(row, reader.rereads()[2])
    assert [p.reason for p in row.problems] == ["Encounter Date: a date in the future"]
    assert "encounter_date" not in row.values and not row.valid


def test_the_batch_partner_fills_blank_and_unknown_cells_but_never_overrides_or_hides_a_wrong_one() -> None:
    reader = _reader(["FIN", "Partner Country"], partner_country="GBR")
    rows = [reader.read(n, ["1", cell]) for n, cell in enumerate(["", "N/A", "nz", "Atlantis"], start=2)]
    assert [r.values.get("partner_country") for r in rows] == ["GBR", "GBR", "NZL", None]
    assert not rows[3].valid
    assert _notice(reader, "Partner Country", "batch partner").text == (
        "2 row(s) name no partner country; the batch's partner GBR is used"
    )


def test_a_file_without_a_partner_column_takes_the_batch_partner() -> None:
    reader = _reader(["FIN", "Last Name"], partner_country="AUS")
    assert reader.read(2, ["1", "Doe"]).values["partner_country"] == "AUS"
    assert [n.text for n in reader.notices() if n.kind == "batch partner"] == [
        "the file has no partner-country column; the batch's partner AUS is used"
    ]


def test_a_programs_markers_date_order_and_the_fin_form_come_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from services.intake.settings import Settings

    monkeypatch.setenv("TRACS_INTAKE_PROGRAM_UNKNOWN_MARKERS", '{"UK-VISA": ["NOT GIVEN"]}')
    monkeypatch.setenv("TRACS_INTAKE_PROGRAM_DATE_ORDER", '{"UK-VISA": "DMY"}')
    monkeypatch.setenv("TRACS_INTAKE_FIN_PATTERN", "[0-9]+")
    settings = Settings()
    uk, m5 = settings.reading_rules("UK-VISA"), settings.reading_rules("M5")
    assert (uk.date_order, m5.date_order) == ("DMY", "MDY")
    assert "notgiven" in uk.markers and "notgiven" not in m5.markers and "unk" in m5.markers
    assert uk.fin_pattern == m5.fin_pattern == "[0-9]+"
    monkeypatch.setenv("TRACS_INTAKE_PROGRAM_DATE_ORDER", '{"UK-VISA": "YMD"}')
    with pytest.raises(ValueError, match="DMY"):
        Settings()


def test_a_file_with_one_identifier_column_names_it_alone() -> None:
    (problem,) = parse_row(2, ["-", "Doe"], domain.map_columns(["FIN", "Last Name"])).problems
    assert problem.reason == "FIN holds no value (blank or unknown); it identifies the subject"
