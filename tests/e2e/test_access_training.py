"""Access follows training (PIA 8.2): a lapsed user is refused at sign-in and at refresh, naming training;
admins see who lapses soon; a role change names who approved it, in the gateway's trail."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt

from tests.support import Gateway
from tracs.stack import Stack

PASSWORD = "correct-horse-battery"


async def _signed_in(stack: Stack, username: str, password: str = "tracs-dev") -> Gateway:
    gw = Gateway(stack.url("edge"))
    await gw.login(username, password)
    return gw


async def test_a_lapsed_user_is_refused_at_sign_in_and_at_refresh_naming_training(stack: Stack) -> None:
    name = f"tr-{uuid.uuid4().hex[:6]}"
    today = datetime.now(UTC).date()
    admin = await _signed_in(stack, "admin")
    body = {
        "username": name,
        "password": PASSWORD,
        "roles": ["analyst"],
        "programs": ["M5"],
        "training_completed_on": (today - timedelta(days=360)).isoformat(),
    }
    assert (r := await admin.client.post("/api/v1/users", json=body, headers=admin.headers())).status_code == 201, (
        r.text
    )
    user = await _signed_in(stack, name, PASSWORD)
    claims = jwt.decode(user.token or "", options={"verify_signature": False})
    assert claims["trn"] == (today + timedelta(days=5)).isoformat()
    refreshed = await user.client.post("/api/v1/auth/refresh", headers=user.headers())
    assert refreshed.status_code == 200, refreshed.text

    lapsing = (await admin.get("/api/v1/users/lapsing")).json()
    mine = next(u for u in lapsing if u["username"] == name)
    assert mine["training_lapses_on"] == (today + timedelta(days=5)).isoformat() and mine["lapsed"] is False

    # The admin records the real date: a year and a day ago. The token in hand is still signed and valid...
    old = {"training_completed_on": (today - timedelta(days=366)).isoformat()}
    r = await admin.client.patch(f"/api/v1/users/{name}", json=old, headers=admin.headers())
    assert r.status_code == 200 and r.json()["training_completed_on"] == old["training_completed_on"]
    # ...but it is not renewed, and signing in again is refused: both say why.
    refused = await user.client.post("/api/v1/auth/refresh", headers=user.headers())
    assert refused.status_code == 403 and "privacy training" in refused.json()["detail"], refused.text
    login = await user.client.post("/api/v1/auth/token", data={"username": name, "password": PASSWORD})
    assert login.status_code == 403 and "privacy training" in login.json()["detail"], login.text
    assert "lapsed on" in login.json()["detail"]
    # A wrong password still learns nothing about training.
    wrong = await user.client.post("/api/v1/auth/token", data={"username": name, "password": "not-the-password"})
    assert wrong.status_code == 401 and "training" not in wrong.text

    # Training completed today: access is back.
    r = await admin.client.patch(
        f"/api/v1/users/{name}", json={"training_completed_on": today.isoformat()}, headers=admin.headers()
    )
    assert r.status_code == 200
    again = await _signed_in(stack, name, PASSWORD)
    assert (await again.client.post("/api/v1/auth/refresh", headers=again.headers())).status_code == 200

    auditor = await _signed_in(stack, "auditor")
    trail = (await auditor.get("/api/v1/audit", record=f"user:{name}")).json()
    logins = [(e["action"], e["outcome"], e.get("detail")) for e in trail if e["action"] == "login"]
    assert ("login", "denied", "training lapsed") in logins
    for gw in (admin, user, again, auditor):
        await gw.aclose()


async def test_a_role_change_names_its_approver_and_takes_effect_at_the_next_refresh(stack: Stack) -> None:
    name = f"rc-{uuid.uuid4().hex[:6]}"
    admin = await _signed_in(stack, "admin")
    body = {"username": name, "password": PASSWORD, "roles": ["analyst"], "programs": ["M5"]}
    assert (await admin.client.post("/api/v1/users", json=body, headers=admin.headers())).status_code == 201
    user = await _signed_in(stack, name, PASSWORD)
    change = {"roles": ["analyst", "supervisor"], "programs": ["M5", "PCSC"]}
    r = await admin.client.patch(f"/api/v1/users/{name}", json=change, headers=admin.headers())
    assert r.status_code == 422 and "approved_by" in r.text
    r = await admin.client.patch(
        f"/api/v1/users/{name}", json={**change, "approved_by": "admin"}, headers=admin.headers()
    )
    assert r.status_code == 422 and "other than its maker" in r.text
    r = await admin.client.patch(
        f"/api/v1/users/{name}", json={**change, "approved_by": "privacy"}, headers=admin.headers()
    )
    assert r.status_code == 200 and r.json()["roles"] == ["analyst", "supervisor"], r.text
    unknown = await admin.client.patch("/api/v1/users/nobody-here", json=change, headers=admin.headers())
    assert unknown.status_code == 404

    refreshed = await user.client.post("/api/v1/auth/refresh", headers=user.headers())
    claims = jwt.decode(refreshed.json()["access_token"], options={"verify_signature": False})
    assert claims["roles"] == ["analyst", "supervisor"] and claims["programs"] == ["M5", "PCSC"]

    # Only admins manage users; the privacy officer exists as a development login.
    privacy = await _signed_in(stack, "privacy")
    assert (
        await privacy.client.patch(f"/api/v1/users/{name}", json=change, headers=privacy.headers())
    ).status_code == 403
    auditor = await _signed_in(stack, "auditor")
    trail = (await auditor.get("/api/v1/audit", record=f"user:{name}")).json()
    [entry] = [e for e in trail if e["action"] == "user:change"]
    assert entry["actor"] == "admin"
    assert entry["detail"] == "roles analyst -> analyst,supervisor; programs M5 -> M5,PCSC; approved by privacy"
    for gw in (admin, user, privacy, auditor):
        await gw.aclose()
