"""Who may see what, through the gateway: program scoping (BOLA), audit of every call, tampering caught,
subject access export, retention with holds, user administration."""

from __future__ import annotations

import subprocess
import sys
import uuid

import asyncpg

from tests.support import Gateway, asyncpg_dsn, csv_bytes, db_fetchval, wait_until
from tracs.stack import Stack

HEADER = ["FIN", "Last Name", "First Name", "DOB", "Partner Country", "TCN", "Data Owner"]
PASSWORD = "correct-horse-battery"


async def login_as(stack: Stack, username: str, password: str = "tracs-dev") -> Gateway:
    gw = Gateway(stack.url("edge"))
    await gw.login(username, password)
    return gw


async def make_user(admin: Gateway, username: str, roles: list[str], programs: list[str]) -> None:
    body = {"username": username, "password": PASSWORD, "roles": roles, "programs": programs}
    r = await admin.client.post("/api/v1/users", json=body, headers=admin.headers())
    assert r.status_code == 201, r.text
    assert r.json()["updated_by"] == "admin" and "password_hash" not in r.json()


async def import_case(gw: Gateway, tag: str, program: str, rows: int = 1) -> dict:
    fin = f"A{tag}"
    lines = [[fin, "Nakamura", "Yūko", "1980-02-02", "JPN", f"T-{tag}", "CBP"] for _ in range(rows)]
    lines = [[*line[:5], f"T-{tag}-{i}", line[6]] for i, line in enumerate(lines)]
    up = await gw.upload(csv_bytes(HEADER, lines), program=program)
    assert up.status_code == 201, up.text
    assert (await gw.confirm(up.json()["id"])).status_code == 200

    async def case() -> dict | None:
        items = (await gw.get("/api/v1/cases", fin=fin)).json()["items"]
        return (await gw.get(f"/api/v1/cases/{items[0]['id']}")).json() if len(items) == rows else None

    view = await wait_until(case, what=f"the {program} case")
    return {**view, "batch_id": up.json()["id"]}


def cases_db(stack: Stack) -> str:
    return f"tracs_cases{stack.database_suffix}"


async def test_records_of_other_programs_answer_404_everywhere_and_the_attempt_is_audited(
    gateway: Gateway, stack: Stack
) -> None:
    tag = uuid.uuid4().hex[:6]
    admin = await login_as(stack, "admin")
    await make_user(admin, f"m5-{tag}", ["analyst"], ["M5"])
    m5 = await login_as(stack, f"m5-{tag}", PASSWORD)
    pcsc_case = await import_case(gateway, tag, "PCSC")
    encounter = pcsc_case["encounters"][0]
    unknown = str(uuid.uuid4())

    # Guessing ids of another program's records: answered exactly like an id that does not exist.
    for path in (
        "/api/v1/cases/{}",
        "/api/v1/encounters/{}",
        "/api/v1/subjects/{}",
        "/api/v1/intake/batches/{}",
        "/api/v1/intake/batches/{}/problems",
    ):
        real_id = {
            "cases": pcsc_case["id"],
            "encounters": encounter["id"],
            "subjects": pcsc_case["subject_id"],
            "intake": pcsc_case["batch_id"],
        }[path.split("/")[3]]
        hidden, missing = await m5.get(path.format(real_id)), await m5.get(path.format(unknown))
        assert hidden.status_code == missing.status_code == 404, path
        assert hidden.json()["error"] == missing.json()["error"] == "NotFound"
        assert hidden.json()["detail"].replace(real_id, "X") == missing.json()["detail"].replace(unknown, "X")
        assert (await gateway.get(path.format(real_id))).status_code == 200  # a PCSC member sees it
    # ... and writing to it is no different.
    r = await m5.client.post(
        f"/api/v1/cases/{pcsc_case['id']}/searches", json={"system": "TECS", "result": "no-hit"}, headers=m5.headers()
    )
    assert r.status_code == 404
    # Lists, searches and counts leave it out as if it did not exist.
    fin = encounter["fields"]["fin"]
    assert (await m5.get("/api/v1/cases", fin=fin)).json()["items"] == []
    assert (await m5.get("/api/v1/cases", program="PCSC")).json()["items"] == []
    assert (await m5.get("/api/v1/cases/count", fin=fin)).json()["total"] == 0
    assert (await m5.get("/api/v1/cases/count", program="PCSC")).json()["total"] == 0
    assert (await gateway.get("/api/v1/cases/count", fin=fin)).json()["total"] == 1
    assert (await m5.get("/api/v1/encounters", fin=fin)).json()["total"] == 0
    assert (await gateway.get("/api/v1/encounters", fin=fin)).json()["total"] == 1
    # Importing into a program one is not a member of is refused outright.
    up = await m5.upload(csv_bytes(HEADER, [[f"B{tag}", "X", "Y", "1990", "JPN", "T", "CBP"]]), program="PCSC")
    assert up.status_code == 403 and "PCSC" in up.json()["detail"]
    # Re-uploading a file another program holds is still a duplicate, but which batch holds it stays hidden.
    content = csv_bytes(HEADER, [[f"C{tag}", "Ortiz", "Inés", "1990", "MEX", f"T-C{tag}", "CBP"]])
    assert (await gateway.upload(content, program="PCSC")).status_code == 201
    again = await m5.upload(content, program="M5")
    assert again.status_code == 409 and "a program you do not belong to" in again.json()["detail"]
    assert "existing_batch_id" not in again.json()

    # The auditor sees the denied attempts, with who, what, from where and the correlation id.
    auditor = await login_as(stack, "auditor")
    trail = (await auditor.get("/api/v1/audit", record=f"case:{pcsc_case['id']}")).json()
    denied = [e for e in trail if e["actor"] == f"m5-{tag}" and e["outcome"] == "denied"]
    assert {e["service"] for e in denied} == {"cases"} and len(denied) == 2  # the read and the write
    assert all(e["client"] and e["correlation_id"] and e["action"].startswith("case:") for e in denied)
    write = next(e for e in denied if e["action"].startswith("case:work"))
    assert write["fields"] == ["result", "system"]  # names of the fields sent, never their values
    allowed = [e for e in trail if e["actor"] == "analyst" and e["outcome"] == "allowed"]
    assert allowed, "the PCSC analyst's own reads are audited too"
    # Analysts do not read audit trails; nobody reads them without a token.
    assert (await gateway.get("/api/v1/audit")).status_code == 403
    assert (await gateway.client.get("/api/v1/audit")).status_code == 401
    logins = (await auditor.get("/api/v1/audit", record=f"user:m5-{tag}")).json()
    assert [e["outcome"] for e in logins if e["action"] == "login"] == ["allowed"]
    for gw in (admin, m5, auditor):
        await gw.aclose()


async def test_failed_logins_are_audited_and_lock_the_account(stack: Stack) -> None:
    tag = uuid.uuid4().hex[:6]
    admin = await login_as(stack, "admin")
    await make_user(admin, f"lock-{tag}", ["analyst"], ["M5"])
    gw = Gateway(stack.url("edge"))
    for _ in range(5):
        r = await gw.client.post("/api/v1/auth/token", data={"username": f"lock-{tag}", "password": "wrong"})
        assert r.status_code == 401
    r = await gw.client.post("/api/v1/auth/token", data={"username": f"lock-{tag}", "password": PASSWORD})
    assert r.status_code == 401  # locked now, even with the right password
    auditor = await login_as(stack, "auditor")
    entries = (await auditor.get("/api/v1/audit", record=f"user:lock-{tag}")).json()
    outcomes = [(e["outcome"], e["detail"]) for e in reversed(entries) if e["action"] == "login"]
    assert outcomes == [
        *[("denied", "bad password")] * 4,
        ("denied", "bad password, now locked"),
        ("denied", "locked"),
    ]
    assert all(e["service"] == "gateway" and e["client"] for e in entries)
    users = (await admin.get("/api/v1/users")).json()
    assert next(u for u in users if u["username"] == f"lock-{tag}")["locked_until"] is not None
    assert (await auditor.get("/api/v1/users")).status_code == 403  # only admins manage users
    for g in (admin, gw, auditor):
        await g.aclose()


async def test_an_edited_audit_row_is_refused_and_tampering_behind_the_app_is_caught(
    gateway: Gateway, stack: Stack
) -> None:
    tag = uuid.uuid4().hex[:6]
    case = await import_case(gateway, tag, "M5")
    # The sequencer links entries within about a second of their commit.
    await wait_until(
        lambda: db_fetchval(
            stack.database_url, cases_db(stack), "SELECT count(*) = 0 FROM audit_trail WHERE seq IS NULL"
        ),
        timeout=15,
    )
    seq = await db_fetchval(
        stack.database_url,
        cases_db(stack),
        "SELECT max(seq) FROM audit_trail WHERE record_id = $1",
        case["id"],
    )
    assert seq is not None
    env = stack.env("cases")

    def verify() -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "tracs.cli", "audit", "verify", "cases"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    before = verify()
    assert before.returncode == 0 and "cases: intact" in before.stdout, before.stdout + before.stderr
    # The application's database role cannot change the trail ...
    try:
        await db_fetchval(
            stack.database_url, cases_db(stack), "UPDATE audit_trail SET outcome = 'allowed' WHERE seq = $1", seq
        )
        raise AssertionError("the update should have been refused")
    except Exception as exc:  # asyncpg raises its own error type
        assert "append-only" in str(exc)
    # ... and someone who switches the guard off is caught by the verifier at that exact entry.
    conn = await asyncpg.connect(asyncpg_dsn(stack.database_url, cases_db(stack)))
    try:
        await conn.execute("SET session_replication_role = replica")
        await conn.execute("UPDATE audit_trail SET actor = 'nobody' WHERE seq = $1", seq)
    finally:
        await conn.close()
    after = verify()
    assert after.returncode == 1, after.stdout + after.stderr
    assert f"cases: BROKEN at entry {seq}" in after.stdout


async def test_subject_export_assembles_every_service_for_auditors_only(gateway: Gateway, stack: Stack) -> None:
    tag = uuid.uuid4().hex[:6]
    case = await import_case(gateway, tag, "KST", rows=2)
    subject_id = case["subject_id"]
    auditor = await login_as(stack, "auditor")
    r = await auditor.get(f"/api/v1/subjects/{subject_id}/export")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["subject_id"] == subject_id and doc["generated_for"] == "auditor"
    assert len(doc["encounters"]) == 2 and {e["raw"]["First Name"] for e in doc["encounters"]} == {"Yūko"}
    assert sorted(c["id"] for c in doc["cases"]) == sorted(
        c["id"] for c in (await gateway.get("/api/v1/cases", subject=subject_id)).json()["items"]
    )
    assert all(c["searches"] == [] and "timeline" in c for c in doc["cases"])
    assert doc["accounting_of_disclosures"] == [] and doc["redress"] == []
    assert (await gateway.get(f"/api/v1/subjects/{subject_id}/export")).status_code == 403
    assert (await auditor.get(f"/api/v1/subjects/{uuid.uuid4()}/export")).status_code == 404
    trail = (await auditor.get("/api/v1/audit", record=f"subject:{subject_id}")).json()
    assert any(e["service"] == "gateway" and e["action"].startswith("subject:export") for e in trail)
    await auditor.aclose()
