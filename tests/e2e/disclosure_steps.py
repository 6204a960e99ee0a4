"""Steps every end-to-end test of a disclosure takes: make the case ready, have a second person approve.

Since issue 27 nothing leaves without the program's required searches, a finding, and a supervisor's approval
of the draft (never the drafter's); tests that send go through these steps rather than around them.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.support import Gateway, csv_bytes, wait_until


async def make_ready(gw: Gateway, case_id: str, finding: str = "No derogatory information found") -> None:
    """Log every search the case's program still requires and record a finding (as the signed-in analyst)."""
    view = (await gw.get(f"/api/v1/cases/{case_id}")).json()
    for system in view["missing_searches"]:
        r = await gw.client.post(
            f"/api/v1/cases/{case_id}/searches",
            headers=gw.headers(),
            json={"system": system, "result": "no-hit", "notes": ""},
        )
        assert r.status_code in (200, 201), r.text
    if not view["findings"]:
        r = await gw.client.post(
            f"/api/v1/cases/{case_id}/findings", headers=gw.headers(), json={"kind": "summary", "text": finding}
        )
        assert r.status_code in (200, 201), r.text


async def approve(gw: Gateway, supervisor: Gateway, draft_id: str) -> dict:
    """The drafter asks for review; the supervisor approves exactly what will leave."""
    r = await gw.client.post(f"/api/v1/disclosures/{draft_id}/review", headers=gw.headers())
    assert r.status_code == 200, r.text
    r = await supervisor.client.post(f"/api/v1/disclosures/{draft_id}/approve", headers=supervisor.headers())
    assert r.status_code == 200, r.text
    return r.json()


async def approve_and_send(gw: Gateway, supervisor: Gateway, draft_id: str) -> httpx.Response:
    await approve(gw, supervisor, draft_id)
    return await gw.client.post(f"/api/v1/disclosures/{draft_id}/send", headers=gw.headers())


async def supervisor_of(gw: Gateway) -> Gateway:
    sup = Gateway(gw.base_url)
    await sup.login("supervisor")
    return sup


async def sent_response(
    gw: Gateway,
    supervisor: Gateway,
    *,
    program: str,
    header: list[str],
    rows: list[list[str]],
    fin: str,
    recipient_id: str,
    purpose: str,
) -> dict[str, Any]:
    """Rows imported as one case (found by its FIN), made ready, drafted to the recipient, approved by a supervisor
    and sent: the case as `GET /api/v1/cases/{id}` shows it, its subject with one accounting row."""
    up = await gw.upload(csv_bytes(header, rows), program=program)
    assert up.status_code == 201, up.text
    confirmed = await gw.confirm(up.json()["id"])
    assert confirmed.status_code == 200, confirmed.text

    async def case() -> dict[str, Any] | None:
        items = (await gw.get("/api/v1/cases", fin=fin)).json()["items"]
        return (await gw.get(f"/api/v1/cases/{items[0]['id']}")).json() if items else None

    c = await wait_until(case, what=f"the case of {fin}")
    await make_ready(gw, c["id"])
    body = {"case_id": c["id"], "recipient_id": recipient_id, "purpose": purpose}

    async def draft() -> httpx.Response | None:
        r = await gw.client.post("/api/v1/disclosures", headers=gw.headers(), json=body)
        return None if r.status_code == 404 else r  # disclosure has not projected the case yet

    drafted = await wait_until(draft, what=f"a draft for {fin}")
    assert drafted.status_code == 201, drafted.text
    sent = await approve_and_send(gw, supervisor, drafted.json()["id"])
    assert sent.status_code == 200, sent.text
    return c


async def answered_case(
    gw: Gateway, supervisor: Gateway, recipient: dict[str, Any], *, header: list[str], rows: list[list[str]], fin: str
) -> dict[str, Any]:
    """An M5 case answered to `recipient` for immigration: the case, its FIN, its encounter ids by data owner and
    the response's accounting row (the record later corrections and notices refer to)."""
    answered = {"recipient_id": recipient["id"], "purpose": "immigration"}
    c = await sent_response(gw, supervisor, program="M5", header=header, rows=rows, fin=fin, **answered)
    accounting = (await gw.get("/api/v1/disclosures/accounting", subject=c["subject_id"])).json()
    return {
        "case": c,
        "fin": fin,
        "by_owner": {e["fields"]["data_owner"]: e["id"] for e in c["encounters"]},
        "response": next(a for a in accounting if a["referral_kind"] is None),
    }
