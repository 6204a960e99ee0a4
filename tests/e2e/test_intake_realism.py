"""Spreadsheets as partners send them, through the gateway: unknown cells, partial dates, the file's partner.

Workbooks (xlsx with typed date cells, and csv) hold every unknown marker in every column, dates of every
precision in both day/month orders, rows that are really invalid, and rows of a partner no agreement covers.
"""

from __future__ import annotations

import asyncio
import random
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import files
from tests.e2e.test_import_cli import _tracs
from tests.support import Gateway, csv_bytes, wait_until
from tracs.stack import Stack

HEADER = [
    "FIN",
    "Partner Reference",
    "Surname",
    "Given Names",
    "DOB",
    "Nationality",
    "Gender",
    "Encounter Date",
    "Data Owner",
    "Partner Country",
    "TCN",
    "Notes",
]
MARKERS = ["UNKNOWN", "UNK", "N/A", "NA", "NONE", "NULL", "-", "?", "XX", "00/00/0000", "0000-00-00", "XX/XX/XXXX"]
MARKED = HEADER[2:]  # every column but the identifiers holds the marker
NOT_A_FIN = "FIN: not a FIN (letters, digits and hyphens only)"


def _spelled(marker: str, i: int) -> str:
    """The marker as partners write it: lower case with spaces around, or title case."""
    return f"  {marker.lower()} " if i % 2 == 0 else marker.title()


def _upload_partner_file(fmt: str, tag: str) -> tuple[bytes, dict[str, Any]]:
    """An M5 partner-query file and what each of its rows must become."""
    excel = fmt == "xlsx"
    rows: list[list[Any]] = []
    expect: dict[str, Any] = {"markers": {}, "dates": {}, "invalid": {}}

    def add(cells: list[Any]) -> int:
        rows.append(cells)
        return len(rows) + 1  # spreadsheet row number (the header is row 1)

    for i, marker in enumerate(MARKERS):
        a, b = _spelled(marker, 0), _spelled(marker, 1)
        # Row A: the FIN says unknown, the partner's reference identifies the subject.
        n = add([a, f"PR-{tag}-{i}", *[a] * len(MARKED)])
        expect["markers"][n] = ({"partner_unique_id": f"PR-{tag}-{i}"}, a)
        # Row B: the partner's reference says unknown, the FIN identifies the subject.
        n = add([f"{tag}{i:02d}", b, *[b] * len(MARKED)])
        expect["markers"][n] = ({"fin": f"{tag}{i:02d}"}, b)

    names = [("Иванова", "Анна"), ("حسن", "أحمد"), ("李", "小龙"), ("Trần", "Văn An"), ("Παπαδόπουλος", "Γιώργος")]
    excel_dob = date(1975, 12, 1) if excel else "1975-12-01"
    excel_encounter = datetime(2021, 1, 5, 14, 30) if excel else "2021-01-05 14:30"
    dates = [
        # (DOB cell, expected DOB and precision, encounter cell, expected encounter date and precision)
        ("05/06/1980", ("1980-06-05", "day"), "03/04/2020", ("2020-03-04", "day")),  # read again: D/M below
        ("1980", ("1980", "year"), "12/31/2019", ("2019-12-31", "day")),  # the encounter column is M/D
        ("1980-05", ("1980-05", "month"), excel_encounter, ("2021-01-05T14:30:00", "time")),
        ("05/1980", ("1980-05", "month"), "2019", ("2019", "year")),
        ("May 1980", ("1980-05", "month"), "2019-07", ("2019-07", "month")),
        ("17/05/1980", ("1980-05-17", "day"), "2021-01-05", ("2021-01-05", "day")),  # a day over 12: D/M
        ("17.05.1980", ("1980-05-17", "day"), "2021-01-05", ("2021-01-05", "day")),
        ("1980-05-17", ("1980-05-17", "day"), "2021-01-05", ("2021-01-05", "day")),
        (excel_dob, ("1975-12-01", "day"), "2021-01-05", ("2021-01-05", "day")),
        ("00/05/1980", ("1980-05", "month"), "2021-01-05", ("2021-01-05", "day")),  # day unknown
        ("00/00/1980", ("1980", "year"), "2021-01-05", ("2021-01-05", "day")),
        ("05/17/80", None, "2021-01-05", ("2021-01-05", "day")),  # two-digit year: missing
        ("08/09/1981", ("1981-09-08", "day"), "2021-01-05", ("2021-01-05", "day")),  # after the evidence
    ]
    for i, (dob, dob_expected, encounter, encounter_expected) in enumerate(dates):
        last, first = names[i % len(names)]
        fin = f"{tag}5{i:02d}"
        n = add([fin, "", last, first, dob, "RUS", "F", encounter, "CBP", "", f"T-{tag}-{i}", ""])
        expect["dates"][n] = (fin, dob_expected, encounter_expected)

    invalid = [
        (["", " n/a ", "Nobody", "", "1970", "", "", "", "", "", "", ""], None, None),
        ([f"{tag}901", "", "Future", "", "2091-01-01", "", "", "", "", "", "", ""], "DOB", "DOB: a date in the future"),
        ([f"{tag}902", "", "Feb", "", "31/02/1990", "", "", "", "", "", "", ""], "DOB", "DOB: impossible date"),
        (["12/34 56", "", "Slash", "", "", "", "", "", "", "", "", ""], "FIN", NOT_A_FIN),
        (
            [f"{tag}904", "", "Nowhere", "", "", "Atlantis", "", "", "", "", "", ""],
            "Nationality",
            "Nationality: not a country (expected ISO 3166 alpha-3, alpha-2 or an English name)",
        ),
    ]
    no_identity = (
        "neither FIN nor Partner Reference holds a value (blank or unknown); one of them identifies the subject"
    )
    for cells, column, reason in invalid:
        n = add(cells)
        expect["invalid"][n] = (column, reason or no_identity)

    # A partner-country column overrides the batch's partner: FRA has no M5 agreement, NZL has one.
    expect["fra"] = add([f"{tag}801", "", "Dupont", "Marie", "1970", "FRA", "F", "", "", "FRA", "", ""])
    expect["nzl"] = add([f"{tag}802", "", "Ngata", "Hemi", "1970", "NZL", "M", "", "", "nz", "", ""])
    expect["rows"] = len(rows)
    content = files.xlsx(HEADER, rows) if excel else csv_bytes(HEADER, [[str(c) for c in r] for r in rows])
    return content, expect


async def _upload(
    gateway: Gateway, content: bytes, name: str, *, program: str = "M5", partner: str | None = None
) -> httpx.Response:
    data = {"program": program, "kind": "partner-query"} | ({"partner_country": partner} if partner else {})
    return await gateway.client.post(
        "/api/v1/intake/batches", files={"file": (name, content)}, data=data, headers=gateway.headers()
    )


async def _coverage_known(gateway: Gateway, batch_id: str, covered: str) -> dict[str, Any]:
    """The preview once intake has heard of the seeded agreements (they reach it as events)."""

    async def view() -> dict[str, Any] | None:
        batch = (await gateway.get(f"/api/v1/intake/batches/{batch_id}")).json()
        known = any(p["partner_country"] == covered and p["covered"] for p in batch["partner_coverage"])
        return batch if known else None

    return await wait_until(view, what=f"the preview to know an agreement covers {covered}")


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
async def test_unknown_is_missing_partial_dates_keep_their_precision_and_the_partner_is_checked(
    gateway: Gateway, fmt: str
) -> None:
    tag = f"{random.randrange(10**6):06d}"
    content, expect = _upload_partner_file(fmt, tag)
    up = await _upload(gateway, content, f"au-matches.{fmt}", partner="Australia")
    assert up.status_code == 201, up.text
    batch = up.json()
    invalid = len(expect["invalid"])
    assert batch["partner_country"] == "AUS"
    assert (batch["rows_total"], batch["rows_invalid"], batch["rows_valid"]) == (
        expect["rows"],
        invalid,
        expect["rows"] - invalid,
    )

    # Which row is invalid, and why: the column and what it cannot take.
    problems = (await gateway.get(f"/api/v1/intake/batches/{batch['id']}/problems")).json()
    assert {p["row"]: (p["column"], p["reason"]) for p in problems} == expect["invalid"]

    # Per column: the cells that said unknown, the day/month order each date column showed, two-digit years.
    by_kind: dict[tuple[str | None, str], dict[str, Any]] = {
        (n["column"], n["kind"]): n for n in batch["column_notices"]
    }
    counts = {"FIN": len(MARKERS), "Partner Reference": len(MARKERS) + 1, "Gender": 2 * len(MARKERS) - 2}
    for column in HEADER:
        count = counts.get(column, 2 * len(MARKERS))  # Gender: UNKNOWN is the code U there
        notice = by_kind[(column, "unknown")]
        assert notice["cells"] == count, column
        assert notice["text"].startswith(f"{column}: {count} cell(s) say the value is unknown (")
        assert notice["text"] in batch["notices"]
    assert by_kind[("DOB", "date order")]["text"].startswith("DOB: dates read day-first (D/M/Y): '17/05/1980' on row ")
    assert by_kind[("DOB", "date order")]["cells"] == 2  # 05/06/1980 and 08/09/1981
    assert by_kind[("Encounter Date", "date order")]["text"].startswith(
        "Encounter Date: dates read month-first (M/D/Y): '12/31/2019' on row "
    )
    assert by_kind[("DOB", "two-digit year")]["text"] == (
        "DOB: 1 date(s) have a two-digit year (05/17/80); the century is not guessed, stored as missing"
    )
    assert by_kind[("Partner Country", "batch partner")]["cells"] == expect["rows"] - 2

    # The partner: the batch's AUS and the rows' own NZL are covered by M5 agreements, FRA is not.
    batch = await _coverage_known(gateway, batch["id"], "AUS")
    coverage = {p["partner_country"]: (p["rows"], p["covered"]) for p in batch["partner_coverage"]}
    assert coverage == {"AUS": (expect["rows"] - invalid - 2, True), "NZL": (1, True), "FRA": (1, False)}
    assert [n for n in batch["notices"] if "no response can be drafted" in n] == [
        "no agreement of program M5 covers partner FRA (1 row(s)); no response can be drafted for these cases"
    ]

    confirmed = (await gateway.confirm(batch["id"])).json()
    assert confirmed["rows_imported"] == expect["rows"] - invalid

    async def imported() -> bool:
        return await gateway.encounter_total(batch["id"]) == confirmed["rows_imported"]

    await wait_until(imported, what="every valid row in cases")
    items = (await gateway.get("/api/v1/encounters", batch_id=batch["id"], limit=500)).json()["items"]
    by_row = {e["row_number"]: e for e in items}
    assert set(by_row) == set(range(2, expect["rows"] + 2)) - set(expect["invalid"])

    for n, (identity, spelled) in expect["markers"].items():
        fields, raw = by_row[n]["fields"], by_row[n]["raw"]
        gender = {"gender": "U"} if spelled.strip().upper() == "UNKNOWN" else {}
        assert {k: v for k, v in fields.items() if v is not None} == identity | {"partner_country": "AUS"} | gender
        assert all(raw[column] == spelled for column in MARKED), n  # the cell, verbatim, spaces and all
    for n, (fin, dob, encounter) in expect["dates"].items():
        fields = by_row[n]["fields"]
        assert fields["fin"] == fin and fields["partner_country"] == "AUS"
        assert (fields.get("dob"), fields.get("dob_precision")) == (dob or (None, None)), n
        assert (fields["encounter_date"], fields["encounter_date_precision"]) == encounter, n
    assert by_row[expect["fra"]]["fields"]["partner_country"] == "FRA"
    assert by_row[expect["nzl"]]["fields"]["partner_country"] == "NZL"


async def test_a_file_that_names_no_partner_is_warned_about_and_a_wrong_partner_is_refused(gateway: Gateway) -> None:
    tag = f"{random.randrange(10**6):06d}"
    content = csv_bytes(["FIN", "Surname", "DOB"], [[f"{tag}{i}", "Okafor", "1970"] for i in range(3)])
    refused = await _upload(gateway, content, "m.csv", partner="Atlantis")
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("unknown partner country 'Atlantis'")

    up = await _upload(gateway, content, "m.csv")
    assert up.status_code == 201, up.text
    batch = up.json()
    assert batch["partner_country"] is None and batch["partner_coverage"] == []
    assert (
        "neither the upload nor any row names a partner country: these cases belong to no partner and no response "
        "can be drafted for them (name the batch's partner with partner_country, or tracs import --partner)"
    ) in batch["notices"]
    await gateway.client.post(f"/api/v1/intake/batches/{batch['id']}/reject", headers=gateway.headers())

    named = await _upload(gateway, content, "m.csv", partner="nz")
    assert named.status_code == 201, named.text
    batch = await _coverage_known(gateway, named.json()["id"], "NZL")
    assert batch["partner_country"] == "NZL"
    assert not [n for n in batch["notices"] if "no response can be drafted" in n]


async def test_tracs_import_names_the_partner_and_a_programs_own_date_order_and_markers_apply(
    gateway: Gateway, stack: Stack, tmp_path: Path
) -> None:
    tag = f"{random.randrange(10**6):06d}"
    path = tmp_path / "uk.csv"
    path.write_bytes(
        csv_bytes(
            ["FIN", "Surname", "DOB", "Nationality"],
            [[f"{tag}1", "Mensah", "05/06/1980", "not given"], [f"{tag}2", "Not Given", "NOT GIVEN", "GHA"]],
        )
    )
    result = await asyncio.to_thread(
        _tracs, stack, "import", str(path), "--program", "UK-VISA", "--partner", "GBR", "--confirm"
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "2 rows, 2 valid, 0 invalid" in result.stdout
    assert "the batch's partner GBR is used" in result.stdout
    batch_id = result.stdout.split("batch ")[1].split(":")[0]
    items = (await gateway.get("/api/v1/encounters", batch_id=batch_id)).json()["items"]
    by_fin = {e["fields"]["fin"]: e["fields"] for e in items}
    # UK-VISA reads an ambiguous date day-first, and says "NOT GIVEN" for what it does not know.
    assert by_fin[f"{tag}1"]["dob"] == "1980-06-05" and by_fin[f"{tag}1"].get("nationality") is None
    assert by_fin[f"{tag}2"].get("last_name") is None and by_fin[f"{tag}2"].get("dob") is None
    assert {f["partner_country"] for f in by_fin.values()} == {"GBR"}
