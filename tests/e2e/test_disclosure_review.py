"""Issue 27: nothing leaves before the work is done. Readiness before a draft (a supervisor's override audited),
the two-person rule, no-match responses accounted as such, and the case that knows its disclosures."""

from __future__ import annotations

import uuid

import httpx

from tests.e2e.disclosure_steps import make_ready, supervisor_of
from tests.e2e.test_disclosure import _case_with_four_encounters, _seeded_recipient
from tests.support import Gateway, db_fetchval, wait_until
from tracs.stack import Stack


async def _post(gw: Gateway, path: str, body: dict | None = None, **headers: str) -> httpx.Response:
    return await gw.client.post(path, headers=gw.headers(**headers), json=body)


async def test_a_response_leaves_only_from_a_ready_case_approved_by_a_second_person_and_shows_on_the_case(
    gateway: Gateway, stack: Stack
) -> None:
    tag = uuid.uuid4().hex[:6]
    case = await _case_with_four_encounters(gateway, tag)
    admin = Gateway(stack.url("edge"))
    await admin.login("admin")
    _, recipient = await _seeded_recipient(admin, "PCSC Greece")
    await admin.aclose()
    draft = {"case_id": case["id"], "recipient_id": recipient["id"], "purpose": "serious-crime"}

    # A fresh case: the draft is refused, naming the missing searches and the missing finding.
    async def refused() -> dict | None:
        r = await _post(gateway, "/api/v1/disclosures", draft)
        return None if r.status_code == 404 else {"status": r.status_code, **r.json()}

    first = await wait_until(refused, what="disclosure to know the case")
    assert first["status"] == 409, first
    assert "required searches not recorded: IDENT-SIT, INTERPOL-EASF2" in first["detail"]
    assert "no finding recorded" in first["detail"]
    # An analyst may not override; a supervisor may, with a reason, and the override is audited and shown.
    denied = await _post(gateway, "/api/v1/disclosures", {**draft, "override_reason": "deadline"})
    assert denied.status_code == 403 and "supervisor" in denied.json()["detail"]
    supervisor = await supervisor_of(gateway)
    correlation = f"override-{tag}"
    body = {**draft, "override_reason": f"partner deadline today {tag}"}
    overridden = await _post(supervisor, "/api/v1/disclosures", body, **{"X-Correlation-ID": correlation})
    assert overridden.status_code == 201, overridden.text
    override = overridden.json()["readiness_override"]
    assert override["by"] == "supervisor" and override["reason"] == f"partner deadline today {tag}"
    assert override["missing"][0].startswith("required searches not recorded")
    audited = await db_fetchval(
        stack.database_url,
        f"tracs_disclosure{stack.database_suffix}",
        "SELECT string_agg(actor || ' ' || outcome || ' ' || array_to_string(fields, ','), ';') FROM audit_trail "
        "WHERE correlation_id = $1",
        correlation,
    )
    assert audited is not None and "supervisor allowed" in audited and "override_reason" in audited

    # The supervisor's own draft: they may ask for review, never approve it themselves.
    own = overridden.json()["id"]
    assert (await _post(supervisor, f"/api/v1/disclosures/{own}/review")).status_code == 200
    self_approval = await _post(supervisor, f"/api/v1/disclosures/{own}/approve")
    assert self_approval.status_code == 403 and "drafter cannot review" in self_approval.json()["detail"]

    # The analyst does the work, drafts; nothing leaves without a second person's approval.
    await make_ready(gateway, case["id"], finding=f"No derogatory information found {tag}")
    made = await _post(gateway, "/api/v1/disclosures", draft)
    assert made.status_code == 201 and made.json()["readiness_override"] is None, made.text
    d = made.json()
    assert "Findings accurate as of: " in d["body"]
    url = f"/api/v1/disclosures/{d['id']}"
    unapproved = await _post(gateway, f"{url}/send")
    assert unapproved.status_code == 409 and "approval" in unapproved.json()["detail"]
    assert (await _post(gateway, f"{url}/review")).status_code == 200
    assert (await _post(gateway, f"{url}/approve")).status_code == 403  # an analyst approves nothing
    assert (await _post(supervisor, f"{url}/send-back", {"comment": ""})).status_code == 422
    back = await _post(supervisor, f"{url}/send-back", {"comment": f"cite the TECS search {tag}"})
    assert back.status_code == 200 and back.json()["status"] == "draft"
    assert (await _post(gateway, f"{url}/review")).status_code == 200
    approved = await _post(supervisor, f"{url}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved", approved.text
    steps = [(s["step"], s["actor"]) for s in approved.json()["reviews"]]
    assert steps == [
        ("review-requested", "analyst"),
        ("sent-back", "supervisor"),
        ("review-requested", "analyst"),
        ("approved", "supervisor"),
    ]
    sent = await _post(gateway, f"{url}/send")
    assert sent.status_code == 200 and sent.json()["status"] == "sent", sent.text

    # The case knows: its timeline shows every step, its status moved, its disclosures list the sent one.
    async def moved() -> dict | None:
        view = (await gateway.get(f"/api/v1/cases/{case['id']}")).json()
        return view if view["status"] == "response-sent" else None

    view = await wait_until(moved, what="the case to move to response-sent")
    actions = [t["action"] for t in view["timeline"]]
    for step in ("disclosure-drafted", "disclosure-review-requested", "disclosure-sent-back", "disclosure-approved"):
        assert step in actions, actions
    assert "disclosure-sent" in actions
    sent_entry = next(t for t in view["timeline"] if t["action"] == "disclosure-sent")
    assert sent_entry["detail"]["draft_id"] == d["id"]
    listed = (await gateway.get("/api/v1/disclosures", case=case["id"])).json()
    mine = next(x for x in listed if x["id"] == d["id"])
    assert mine["status"] == "sent" and mine["accounting_state"] == "sent"
    assert next(x for x in listed if x["id"] == own)["readiness_override"]["by"] == "supervisor"

    # A further disclosure to the same partner asks for a reason; a no-match response is accounted as such.
    again = {**draft, "matched": False}
    no_reason = await _post(gateway, "/api/v1/disclosures", again)
    assert no_reason.status_code == 409 and no_reason.json()["detail"].startswith("repeat_reason:")
    reason = f"the partner asked again after a new query {tag}"
    nomatch = await _post(gateway, "/api/v1/disclosures", {**again, "repeat_reason": reason})
    assert nomatch.status_code == 201, nomatch.text
    n = nomatch.json()
    assert "Result: NO MATCH" in n["body"] and n["released"]["encounters"] == {} and "Karagiannis" not in n["body"]
    assert (await _post(gateway, f"/api/v1/disclosures/{n['id']}/review")).status_code == 200
    assert (await _post(supervisor, f"/api/v1/disclosures/{n['id']}/approve")).status_code == 200
    assert (await _post(gateway, f"/api/v1/disclosures/{n['id']}/send")).status_code == 200
    records = (await gateway.get("/api/v1/disclosures/accounting", subject=case["subject_id"])).json()
    by_draft = {r["draft_id"]: r for r in records}
    assert by_draft[d["id"]]["matched"] is True and by_draft[d["id"]]["approved_by"] == ["supervisor"]
    assert by_draft[n["id"]]["matched"] is False and by_draft[n["id"]]["encounter_ids"] == []
    assert by_draft[n["id"]]["repeat_reason"] == reason
    await supervisor.aclose()
