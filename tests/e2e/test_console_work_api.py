"""Issue 31, the API under the console's daily work: the lists (imports, cases of a batch, drafts across cases,
reviews awaited), a draft discarded, notifications made from other services' events, and user administration
(disable with sign-in refused naming why, the lockout and its unlock, a temporary password changed at sign-in)."""

from __future__ import annotations

import uuid

import httpx

from tests.e2e.disclosure_steps import make_ready, supervisor_of
from tests.e2e.test_disclosure import _case_with_four_encounters, _seeded_recipient
from tests.support import Gateway, csv_bytes, wait_until
from tracs.stack import Stack

PASSWORD = "work-api-test-password"
HEADER = ["FIN", "Last Name", "First Name", "DOB", "Partner Country", "TCN"]


async def _post(gw: Gateway, path: str, body: dict | None = None) -> httpx.Response:
    return await gw.client.post(path, headers=gw.headers(), json=body)


async def _token(stack: Stack, username: str, password: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=stack.url("edge"), timeout=60) as c:
        return await c.post("/api/v1/auth/token", data={"username": username, "password": password})


async def _new_user(admin: Gateway, roles: list[str], programs: list[str]) -> str:
    name = f"work-{uuid.uuid4().hex[:8]}"
    body = {"username": name, "password": PASSWORD, "roles": roles, "programs": programs}
    r = await _post(admin, "/api/v1/users", body)
    assert r.status_code == 201, r.text
    return name


async def test_a_draft_is_discarded_by_its_drafter_only_while_a_draft_and_the_lists_find_it(
    gateway: Gateway, stack: Stack
) -> None:
    tag = uuid.uuid4().hex[:6]
    case = await _case_with_four_encounters(gateway, tag)
    admin = Gateway(stack.url("edge"))
    await admin.login("admin")
    _, recipient = await _seeded_recipient(admin, "PCSC Greece")
    other = Gateway(stack.url("edge"))
    await other.login(await _new_user(admin, ["analyst"], ["PCSC"]), PASSWORD)
    await make_ready(gateway, case["id"], finding=f"No derogatory information found {tag}")
    draft = {"case_id": case["id"], "recipient_id": recipient["id"], "purpose": "serious-crime"}

    async def drafted() -> dict | None:
        r = await _post(gateway, "/api/v1/disclosures", draft)
        return r.json() if r.status_code == 201 else None

    first = await wait_until(drafted, what="a draft of the ready case")
    second = (await _post(gateway, "/api/v1/disclosures", {**draft, "repeat_reason": None})).json()
    # Mine, by state: both drafts; another analyst's "mine" has neither, but "all I may see" has them.
    mine = (await gateway.get("/api/v1/disclosures", mine="true", status="draft", limit=200)).json()
    assert {first["id"], second["id"]} <= {d["id"] for d in mine}
    assert all(d["created_by"] == "analyst" and d["status"] == "draft" and d["program"] for d in mine)
    assert not {d["id"] for d in (await other.get("/api/v1/disclosures", mine="true")).json()}
    everyone = (await other.get("/api/v1/disclosures", status="draft", limit=200)).json()
    assert first["id"] in {d["id"] for d in everyone}

    # Another analyst may not discard it; its drafter may, once, and it can never be sent.
    url = f"/api/v1/disclosures/{first['id']}"
    refused = await _post(other, f"{url}/discard")
    assert refused.status_code == 403 and "only its drafter (analyst) or a supervisor" in refused.json()["detail"]
    done = await _post(gateway, f"{url}/discard")
    assert done.status_code == 200 and done.json()["status"] == "discarded", done.text
    assert done.json()["reviews"][-1]["step"] == "discarded"
    assert (await _post(gateway, f"{url}/discard")).status_code == 409
    assert (await _post(gateway, f"{url}/review")).status_code == 409
    # A draft in review is no longer a draft: not discarded, and it awaits a supervisor's review, not its drafter's.
    in_review = f"/api/v1/disclosures/{second['id']}"
    assert (await _post(gateway, f"{in_review}/review")).status_code == 200
    assert (await _post(gateway, f"{in_review}/discard")).status_code == 409
    supervisor = await supervisor_of(gateway)
    awaiting = (await supervisor.get("/api/v1/disclosures", awaiting_review="true", limit=200)).json()
    assert second["id"] in {d["id"] for d in awaiting}
    assert (await gateway.get("/api/v1/disclosures", awaiting_review="true")).json() == []  # an analyst reviews none
    # The supervisors of the program are told a draft awaits them (not the drafter).
    note = await wait_until(
        lambda: _notification(supervisor, second["id"]), what="the supervisor's review-requested notification"
    )
    assert note["kind"] == "review-requested" and note["link"] == f"/disclosures/{second['id']}"
    for gw in (admin, other, supervisor):
        await gw.aclose()


async def _notification(gw: Gateway, record_id: str) -> dict | None:
    items = (await gw.get("/api/v1/notifications", limit=200)).json()["items"]
    return next((n for n in items if n["record_id"] == record_id), None)


async def test_my_imports_the_cases_of_one_batch_and_the_assignee_told_of_a_case(
    gateway: Gateway, stack: Stack
) -> None:
    tag = uuid.uuid4().hex[:6]
    rows = [[f"B{tag}{n}", "Okafor", "Chidi", "1980-05-05", "AUS", f"B-{tag}-{n}"] for n in range(3)]
    up = await gateway.upload(csv_bytes(HEADER, rows), program="M5")
    assert up.status_code == 201, up.text
    batch = up.json()["id"]
    assert (await gateway.confirm(batch)).status_code == 200
    listed = (await gateway.get("/api/v1/intake/batches", limit=200)).json()
    assert batch in {b["id"] for b in listed["items"]} and listed["total"] >= 1
    assert {b["created_by"] for b in listed["items"]} == {"analyst"}  # an analyst sees only their own

    async def cases() -> list | None:
        items = (await gateway.get("/api/v1/cases", batch=batch)).json()["items"]
        return items if len(items) == 3 else None

    found = await wait_until(cases, what="the batch's three cases")
    assert {c["fin"] for c in found} == {f"B{tag}{n}" for n in range(3)}
    assert (await gateway.get("/api/v1/cases/count", batch=batch)).json()["total"] == 3

    supervisor = await supervisor_of(gateway)
    case_id = found[0]["id"]
    r = await _post(supervisor, f"/api/v1/cases/{case_id}/assign", {"assignee": "analyst"})
    assert r.status_code == 200, r.text
    note = await wait_until(lambda: _notification(gateway, case_id), what="the assignee's notification")
    assert note["kind"] == "case-assigned" and note["label"] == f"Case {case_id[:8]} was assigned to you by supervisor"
    assert note["read_at"] is None and note["mail_state"] == "none"
    assert "Okafor" not in str(note)  # ids and a label, no personal data
    assert (await _post(gateway, "/api/v1/notifications/read", {"ids": [note["id"]]})).json() == {"marked": 1}
    assert (await _notification(gateway, case_id))["read_at"] is not None  # type: ignore[index]
    await supervisor.aclose()


async def test_a_disabled_login_is_refused_naming_why_and_enabled_again(stack: Stack) -> None:
    admin = Gateway(stack.url("edge"))
    await admin.login("admin")
    name = await _new_user(admin, ["analyst"], ["M5"])
    assert (await _token(stack, name, PASSWORD)).status_code == 200
    r = await _post(admin, f"/api/v1/users/{name}/disable", {"reason": "left the unit"})
    assert r.status_code == 200 and r.json()["disabled_by"] == "admin", r.text
    refused = await _token(stack, name, PASSWORD)
    assert refused.status_code == 403 and "disabled by an administrator" in refused.json()["detail"]
    wrong = await _token(stack, name, "not the password")
    assert wrong.status_code == 401  # the reason is told only to someone who knows the password
    own = await _post(admin, "/api/v1/users/admin/disable")
    assert own.status_code == 422 and "your own login" in own.json()["detail"]
    assert (await _post(admin, f"/api/v1/users/{name}/enable")).status_code == 200
    assert (await _token(stack, name, PASSWORD)).status_code == 200
    trail = (await admin.get("/api/v1/users")).json()
    assert next(u for u in trail if u["username"] == name)["disabled_at"] is None
    await admin.aclose()


async def test_failed_sign_ins_lock_an_account_an_admin_unlocks_it_and_a_temporary_password_must_be_changed(
    stack: Stack,
) -> None:
    admin = Gateway(stack.url("edge"))
    await admin.login("admin")
    name = await _new_user(admin, ["analyst"], ["M5"])
    for _ in range(5):  # TRACS_GATEWAY_LOCKOUT_THRESHOLD's default
        assert (await _token(stack, name, "not the password")).status_code == 401
    assert (await _token(stack, name, PASSWORD)).status_code == 401  # locked: even the right one
    user = next(u for u in (await admin.get("/api/v1/users")).json() if u["username"] == name)
    assert user["locked_until"] is not None
    assert (await _post(admin, f"/api/v1/users/{name}/unlock")).status_code == 200
    assert (await _token(stack, name, PASSWORD)).status_code == 200
    assert (await _post(admin, f"/api/v1/users/{name}/unlock")).status_code == 409  # nothing left to unlock

    reset = await _post(admin, f"/api/v1/users/{name}/password", {"temporary_password": "temporary-password-1"})
    assert reset.status_code == 200 and reset.json()["must_change_password"] is True
    assert (await _token(stack, name, PASSWORD)).status_code == 401  # the old password is gone
    temporary = await _token(stack, name, "temporary-password-1")
    assert temporary.status_code == 403 and temporary.json()["must_change_password"] is True
    async with httpx.AsyncClient(base_url=stack.url("edge"), timeout=60) as c:
        body = {"username": name, "password": "temporary-password-1", "new_password": "my-own-password-2"}
        changed = await c.post("/api/v1/auth/password", json=body)
    assert changed.status_code == 200 and changed.json()["access_token"], changed.text
    assert (await _token(stack, name, "my-own-password-2")).status_code == 200
    await admin.aclose()
