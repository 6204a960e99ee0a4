"""A disclosure is accounted before it leaves: the disclosure service killed just before and just after the
SMTP hand-off, restarted, leaves every message in the mail sink with its accounting, sent, and any
re-delivery is the same message (same Message-ID)."""

from __future__ import annotations

import email
import subprocess
import uuid
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import running_stack
from tests.e2e.disclosure_steps import approve, make_ready, supervisor_of
from tests.e2e.test_disclosure import _case_with_four_encounters, _seeded_recipient
from tests.infra import Infra
from tests.support import Gateway, db_fetchval, wait_until
from tracs.stack import Stack


def _mails(stack: Stack, tag: str) -> list[bytes]:
    return [raw for p in (stack.var / "mail").glob("*.eml") if f"D-{tag}".encode() in (raw := p.read_bytes())]


def _message_id(raw: bytes) -> str:
    return str(email.message_from_bytes(raw)["Message-ID"])


async def _val(stack: Stack, query: str, *args: object) -> object:
    return await db_fetchval(stack.database_url, f"tracs_disclosure{stack.database_suffix}", query, *args)


async def _exited(proc: subprocess.Popen) -> bool:
    return proc.poll() is not None


async def _draft(gw: Gateway, stack: Stack, tag: str) -> dict:
    """A draft the supervisor approved (the two-person rule), ready to be sent."""
    case = await _case_with_four_encounters(gw, tag)
    await make_ready(gw, case["id"])
    admin = Gateway(stack.url("edge"))
    await admin.login("admin")
    _, recipient = await _seeded_recipient(admin, "PCSC Greece")
    await admin.aclose()

    async def draft() -> dict | None:
        r = await gw.client.post(
            "/api/v1/disclosures",
            headers=gw.headers(),
            json={"case_id": case["id"], "recipient_id": recipient["id"], "purpose": "serious-crime"},
        )
        return r.json() if r.status_code == 201 and r.json()["released"]["encounters"] else None

    made = await wait_until(draft, what="a sendable draft")
    supervisor = await supervisor_of(gw)
    await approve(gw, supervisor, made["id"])
    await supervisor.aclose()
    return made


async def _send_and_crash(gw: Gateway, stack: Stack, draft_id: str, fault: str) -> None:
    stack.kill("disclosure")
    crashing = stack.start("disclosure", {fault: "true"})
    stack.wait_ready("disclosure")
    r = await gw.client.post(f"/api/v1/disclosures/{draft_id}/send", headers=gw.headers())
    assert r.status_code >= 500, r.text  # the service died mid-request
    await wait_until(lambda: _exited(crashing), timeout=30, what="disclosure's crash at the hand-off")
    assert crashing.returncode == 137
    state = await _val(stack, "SELECT state FROM accounting WHERE draft_id = $1", uuid.UUID(draft_id))
    assert state == "pending"  # accounted before the hand-off, not yet confirmed
    stack.processes.pop("disclosure", None)


async def _restart_and_check(gw: Gateway, stack: Stack, draft: dict) -> dict:
    stack.start("disclosure")
    stack.wait_ready("disclosure")  # pending disclosures are resolved before the service serves
    (record,) = (await gw.get("/api/v1/disclosures/accounting", subject=draft["subject_id"])).json()
    assert record["state"] == "sent" and record["delivered_at"] and record["draft_id"] == draft["id"]
    assert (await gw.get(f"/api/v1/disclosures/{draft['id']}")).json()["status"] == "sent"
    # Announced once (DisclosureSent) and its owners told once, however many hand-offs it took.
    announced = await _val(
        stack,
        "SELECT count(*) FROM outbox WHERE event_type = 'DisclosureSent' AND "
        "convert_from(body, 'UTF8')::jsonb -> 'payload' ->> 'accounting_id' = $1",
        record["id"],
    )
    assert announced == 1
    assert (
        await _val(stack, "SELECT count(*) FROM owner_notifications WHERE accounting_id = $1", uuid.UUID(record["id"]))
        == 1
    )
    return record


@pytest.fixture(scope="module")
def crash_stack(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack of its own: this test kills its disclosure service."""
    with running_stack(infra, tmp_path_factory.mktemp("disclosure-crash")) as s:
        yield s


async def test_a_disclosure_killed_around_the_smtp_hand_off_is_delivered_and_accounted_at_restart(
    crash_stack: Stack,
) -> None:
    stack = crash_stack
    gw = Gateway(stack.url("edge"))
    await gw.login("analyst")

    # 1. Killed after the pending commit, before SMTP: nothing left; the restart delivers it once.
    before = uuid.uuid4().hex[:6]
    d = await _draft(gw, stack, before)
    case = (await gw.get(f"/api/v1/cases/{d['case_id']}")).json()
    d["subject_id"] = case["subject_id"]
    await _send_and_crash(gw, stack, d["id"], "TRACS_DISCLOSURE_FAULT_CRASH_BEFORE_DELIVER")
    assert _mails(stack, before) == []
    record = await _restart_and_check(gw, stack, d)
    (raw,) = _mails(stack, before)
    assert _message_id(raw) == record["message_id"]

    # 2. Killed after SMTP took it, before the sent commit: delivered again at start (the relay took it, but
    # nothing says so), the very same message, so the recipient sees one Message-ID twice.
    after = uuid.uuid4().hex[:6]
    d = await _draft(gw, stack, after)
    case = (await gw.get(f"/api/v1/cases/{d['case_id']}")).json()
    d["subject_id"] = case["subject_id"]
    await _send_and_crash(gw, stack, d["id"], "TRACS_DISCLOSURE_FAULT_CRASH_AFTER_DELIVER")
    (first,) = _mails(stack, after)  # it left while its accounting was pending
    record = await _restart_and_check(gw, stack, d)
    copies = _mails(stack, after)
    assert len(copies) == 2 and {_message_id(m) for m in copies} == {record["message_id"]}
    assert all(m == first for m in copies)  # a re-delivery is byte for byte the same message

    # No message in the sink without its accounting record, and nothing left pending.
    in_sink = {_message_id(p.read_bytes()) for p in (stack.var / "mail").glob("*.eml")}
    for message_id in in_sink:
        state = await _val(stack, "SELECT state FROM accounting WHERE message_id = $1", message_id)
        assert state == "sent", message_id
    assert await _val(stack, "SELECT count(*) FROM accounting WHERE state <> 'sent'") == 0
    # The accounting API keeps working: the draft cannot be sent twice.
    again = await gw.client.post(f"/api/v1/disclosures/{d['id']}/send", headers=gw.headers())
    assert again.status_code == 409 and "already sent" in again.json()["detail"]
    await gw.aclose()
