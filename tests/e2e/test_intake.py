"""Intake through the gateway: real workbooks in, preview, confirm/reject, hostile files refused cleanly."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import pytest

from tests import files
from tests.support import Gateway, csv_bytes, db_fetchval, wait_until
from tracs.stack import Stack

HEADER = [
    "Fingerprint ID",
    "Apellido",
    "Prénom",
    "Date of Birth",
    "Encounter Date",
    "COB",
    "Data Owner",
    "Protected Class",
    "Hit/No Hit",
    "Partner Country",
    "TCN",
    "Analyst Desk",
]


def _workbook(tag: str) -> bytes:
    rows = [
        [
            f"00{tag}01",
            "Ибрагимов",
            "Рустам",
            "1983",
            date(2019, 7, 1),
            "UZB",
            "CBP",
            None,
            "MATCH",
            "GBR",
            "T-1",
            "d1",
        ],
        [
            f"00{tag}02",
            "Ngô",
            "Bảo Châu",
            date(1972, 6, 28),
            "03/04/2020",
            "VNM",
            "USCIS",
            "TPS",
            "MATCH",
            "GBR",
            "T-2",
            None,
        ],
        [None] * 12,  # a blank row in the middle
        [
            f"00{tag}03",
            "Al-Hassan",
            "نور",
            "1990-07",
            datetime(2021, 1, 5, 14, 30),
            "Jordan",
            "DOS",
            None,
            "MATCH",
            "GBR",
            "T-3",
            None,
        ],
        [f"00{tag}04", "García", "Zoë", "1990-02-30", "2021-01-01", "ESP", "ICE", None, "MATCH", "GBR", "T-4", None],
        [f"00{tag}05", "Smith", "Jo", "1960", "2021-01-01", "Narnia", "ICE", None, "MATCH", "GBR", "T-5", None],
        [f"00{tag}06", "Nomatch", "Nil", "1960", "2021-01-01", "FRA", "ICE", None, "NO HIT", "GBR", "T-6", None],
        [
            f"00{tag}01",
            "Ибрагимов",
            "Рустам",
            "1983",
            date(2019, 7, 1),
            "UZB",
            "CBP",
            None,
            "MATCH",
            "GBR",
            "T-1",
            "d1",
        ],
    ]
    return files.xlsx(HEADER, rows, formulas={(1, 11): ('="d"&"2"', "d2")})


async def _batches(stack: Stack) -> tuple[int, int]:
    db = f"tracs_intake{stack.database_suffix}"
    b = await db_fetchval(stack.database_url, db, "SELECT count(*) FROM batches")
    r = await db_fetchval(stack.database_url, db, "SELECT count(*) FROM staged_rows")
    return b, r


async def test_a_workbook_is_previewed_with_every_problem_then_confirmed_without_manipulating_data(
    gateway: Gateway,
) -> None:
    tag = uuid.uuid4().hex[:6]
    up = await gateway.upload(_workbook(tag), name="ident-matches.xlsx", program="PCSC")
    assert up.status_code == 201, up.text
    batch = up.json()
    assert (batch["rows_total"], batch["rows_valid"], batch["rows_invalid"], batch["rows_no_match"]) == (7, 4, 3, 1)
    fields = {c["header"]: c["field"] for c in batch["mapping"]["columns"]}
    assert (
        fields["Fingerprint ID"] == "fin"
        and fields["Apellido"] == "last_name"
        and fields["TCN"] == ("partner_transaction_number")
    )
    assert batch["mapping"]["unknown_columns"] == ["Analyst Desk"]
    problems = {(p["row"], p["column"], p["value"], p["reason"]) for p in batch["problems"]}
    assert problems == {
        (6, "Date of Birth", "1990-02-30", "Date of Birth: impossible date"),
        (7, "COB", "Narnia", "COB: not a country (expected ISO 3166 alpha-3, alpha-2 or an English name)"),
        (9, None, None, "duplicate of row 2"),
    }
    assert "1 cell(s) hold formulas" in batch["notices"][0] and "L3" in batch["notices"][0]
    assert [r["row_number"] for r in batch["preview"]] == [2, 3, 5, 6, 7, 8, 9]  # blank row 4 skipped
    assert (await gateway.get(f"/api/v1/intake/batches/{batch['id']}/problems")).json() == batch["problems"]

    confirmed = (await gateway.confirm(batch["id"])).json()
    assert confirmed["status"] == "confirmed" and confirmed["rows_imported"] == 3

    async def imported() -> bool:
        return await gateway.encounter_total(batch["id"]) == 3

    await wait_until(imported, what="3 encounters")
    items = (await gateway.get("/api/v1/encounters", batch_id=batch["id"])).json()["items"]
    by_row = {e["row_number"]: e for e in items}
    assert set(by_row) == {2, 3, 5}
    assert by_row[2]["fields"]["fin"] == f"00{tag}01" and by_row[2]["fields"]["last_name"] == "Ибрагимов"
    assert by_row[2]["fields"]["dob"] == "1983" and by_row[2]["raw"]["Date of Birth"] == "1983"
    assert by_row[2]["fields"]["encounter_date"] == "2019-07-01"  # an Excel date cell
    assert by_row[3]["fields"]["encounter_date"] == "2020-03-04"  # a US text date
    assert by_row[3]["fields"]["protected_class"] == "TPS" and by_row[3]["fields"]["first_name"] == "Bảo Châu"
    assert by_row[5]["fields"]["first_name"] == "نور" and by_row[5]["fields"]["dob"] == "1990-07"
    assert by_row[5]["fields"]["country_of_birth"] == "JOR" and by_row[5]["raw"]["COB"] == "Jordan"
    assert by_row[5]["fields"]["encounter_date"] == "2021-01-05T14:30:00"


async def test_an_invalid_row_blocks_the_batch_when_asked_and_a_rejected_batch_imports_nothing(
    gateway: Gateway,
) -> None:
    content = _workbook(uuid.uuid4().hex[:6])
    up = await gateway.upload(content, name="m.xlsx")
    assert up.status_code == 201, up.text
    batch = up.json()
    blocked = await gateway.client.post(
        f"/api/v1/intake/batches/{batch['id']}/confirm", params={"block_on_invalid": "true"}, headers=gateway.headers()
    )
    assert blocked.status_code == 409 and "3 row(s) are invalid" in blocked.json()["detail"]
    rejected = await gateway.client.post(f"/api/v1/intake/batches/{batch['id']}/reject", headers=gateway.headers())
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert (await gateway.confirm(batch["id"])).status_code == 409
    assert await gateway.encounter_total(batch["id"]) == 0
    # A rejected file may be uploaded again as a new batch.
    again = await gateway.upload(content, name="m.xlsx")
    assert again.status_code == 201 and again.json()["id"] != batch["id"]


async def test_xls_ods_and_program_specific_aliases(gateway: Gateway) -> None:
    tag = uuid.uuid4().hex[:6]
    header = ["GWF Reference", "Partner Country", "Surname"]
    for name, content in (
        ("a.xls", files.xls(header, [[f"{tag}-x", "GBR", "Ó Briain"]])),
        ("a.ods", files.ods(header, [[f"{tag}-o", "GBR", "Ó Briain"]])),
    ):
        up = await gateway.upload(content, name=name, program="UK-VISA", kind="partner-extract")
        assert up.status_code == 201, (name, up.text)
        assert up.json()["rows_valid"] == 1
    # Without the UK-VISA alias the same header is unknown, so no column identifies the subject.
    other = await gateway.upload(files.xls(header, [[f"{tag}-y", "GBR", "X"]]), name="b.xls", program="M5")
    assert other.status_code == 422 and "FIN or to partner unique ID" in other.json()["detail"]


@pytest.mark.parametrize(
    ("name", "content", "status", "message"),
    [
        ("a.xlsx", files.encrypted_xlsx(["FIN", "Last Name"], [["1", "A"]]), 422, "password protected"),
        ("a.xlsx", files.zip_bomb_xlsx(), 413, "zip bomb"),
        ("a.xlsx", b"%PDF-1.7 not a workbook", 415, "does not match its extension"),
        ("a.docx", b"PK\x03\x04", 415, "not a supported spreadsheet"),
        ("a.csv", b"", 422, "empty"),
        ("a.xlsx", files.xlsx([""], []), 422, "empty"),
        ("a.csv", b"Last Name,DOB\nSmith,1970\n", 422, "FIN or to partner unique ID"),
        ("a.csv", b"FIN,Last Name\n", 422, "no data rows"),
        ("a.csv", csv_bytes([f"C{i}" for i in range(61)], [["x"] * 61]), 413, "61 columns"),
        ("a.csv", csv_bytes(["FIN", "Last Name"], [[str(i), "N"] for i in range(6001)]), 413, "more than 6000"),
        ("a.csv", b"FIN,Last Name\n" + b"1,N\n" * 800_000, 413, "upload limit"),
    ],
    ids=[
        "password",
        "zip-bomb",
        "not-a-workbook",
        "wrong-type",
        "empty-file",
        "empty-sheet",
        "no-id-column",
        "header-only",
        "too-many-columns",
        "too-many-rows",
        "too-large",
    ],
)
async def test_hostile_or_broken_files_get_their_own_error_and_leave_nothing_behind(
    gateway: Gateway, stack: Stack, name: str, content: bytes, status: int, message: str
) -> None:
    before = await _batches(stack)
    r = await gateway.upload(content, name=name)
    assert r.status_code == status, r.text
    assert message in r.json()["detail"]
    assert await _batches(stack) == before


async def test_unknown_batch_and_bad_form_fields_are_named(gateway: Gateway) -> None:
    assert (await gateway.get(f"/api/v1/intake/batches/{uuid.uuid4()}")).status_code == 404
    r = await gateway.upload(csv_bytes(["FIN", "Last Name"], [["1", "A"]]), program="NOPE")
    assert r.status_code == 422 and "unknown program 'NOPE'" in r.json()["detail"]
    r = await gateway.upload(csv_bytes(["FIN", "Last Name"], [["1", "A"]]), kind="guess")
    assert r.status_code == 422 and "unknown upload kind" in r.json()["detail"]
    r = await gateway.client.post(
        "/api/v1/intake/batches", data={"program": "M5", "kind": "partner-query"}, headers=gateway.headers()
    )
    assert r.status_code == 422
