"""The audit trail under crashes and tampering, end to end: real services, PostgreSQL and broker."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import httpx

from shared import audit
from tests.support import Gateway, asyncpg_dsn, db_fetchval, wait_until
from tracs.infra import free_port
from tracs.stack import Stack

BULLETIN = {
    "description": "Bus accident",
    "outcome": "",
    "case_summary": "Prints searched through IDENT; a match identified the person.",
    "services_provided": "Fingerprint search",
}


def _db(stack: Stack, service: str) -> str:
    return f"tracs_{service}{stack.database_suffix}"


def _cli(stack: Stack, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tracs.cli", "audit", *args],
        env=stack.env("gateway"),
        capture_output=True,
        text=True,
        timeout=120,
    )


async def _all_sequenced(stack: Stack, service: str) -> None:
    await wait_until(
        lambda: db_fetchval(
            stack.database_url, _db(stack, service), "SELECT count(*) = 0 FROM audit_trail WHERE seq IS NULL"
        ),
        timeout=30,
        what=f"{service}'s sequencer to link every entry",
    )


async def test_kill_9_during_a_burst_of_writes_leaves_every_committed_change_with_its_entry(
    gateway: Gateway, stack: Stack
) -> None:
    tag = f"k9-{uuid.uuid4().hex[:6]}"
    answers: dict[str, int] = {}
    done = asyncio.Event()

    async def writer(worker: int) -> None:
        for n in range(1000):
            if done.is_set():
                return
            cid = f"{tag}-{worker}-{n}"
            try:
                r = await gateway.client.post(
                    "/api/v1/bulletins",
                    json={**BULLETIN, "title": cid},
                    headers=gateway.headers(**{"X-Correlation-ID": cid}),
                )
                answers[cid] = r.status_code
            except httpx.HTTPError:
                answers[cid] = 0

    async def enough_committed() -> bool:
        return sum(1 for status in answers.values() if status == 201) >= 150

    workers = [asyncio.create_task(writer(w)) for w in range(16)]
    await wait_until(enough_committed, timeout=60, interval=0.02, what="the burst to get going")
    stack.kill("reporting")  # kill -9 mid-burst: no shutdown hook runs
    await asyncio.sleep(1)
    done.set()
    await asyncio.gather(*workers)
    stack.start("reporting")
    stack.wait_ready("reporting")
    await _all_sequenced(stack, "reporting")

    conn = await asyncpg.connect(asyncpg_dsn(stack.database_url, _db(stack, "reporting")))
    try:
        changed = {r["title"] for r in await conn.fetch("SELECT title FROM bulletins WHERE title LIKE $1", f"{tag}-%")}
        entries = await conn.fetch(
            "SELECT correlation_id, outcome, action FROM audit_trail WHERE correlation_id LIKE $1", f"{tag}-%"
        )
    finally:
        await conn.close()
    allowed = [e["correlation_id"] for e in entries if e["outcome"] == "allowed"]
    assert len(allowed) == len(set(allowed)), "one entry per call, never two"
    assert all(e["action"] == "bulletin:write POST /api/v1/bulletins" for e in entries)
    # Every committed change has its entry, and no entry says allowed without its change.
    assert changed == set(allowed)
    assert {cid for cid, status in answers.items() if status == 201} <= changed
    # What else is in the trail was refused or failed, and audited as such.
    assert {e["outcome"] for e in entries} <= {"allowed", "failed", "refused"}
    assert len(changed) >= 150 and any(status != 201 for status in answers.values())
    verdict = _cli(stack, "verify", "reporting")
    assert verdict.returncode == 0 and "reporting: intact" in verdict.stdout, verdict.stdout + verdict.stderr


async def test_checkpoints_reach_the_gateway_and_the_archive_and_catch_a_trail_rewritten_with_its_hashes(
    gateway: Gateway, stack: Stack
) -> None:
    for _ in range(3):
        assert (await gateway.get("/api/v1/bulletins")).status_code == 200
    await _all_sequenced(stack, "reporting")
    size = await db_fetchval(stack.database_url, _db(stack, "reporting"), "SELECT max(seq) FROM audit_trail")

    async def signed() -> bool:
        return bool(
            await db_fetchval(
                stack.database_url,
                _db(stack, "gateway"),
                "SELECT count(*) FROM audit_checkpoints WHERE service = 'reporting' AND size >= $1",
                size,
            )
        )

    await wait_until(signed, timeout=30, what="a checkpoint of reporting's head at the gateway")
    archive = Path(stack.env("gateway")["TRACS_AUDIT_CHECKPOINT_FILE"])
    assert any(json.loads(line)["service"] == "reporting" for line in archive.read_text().splitlines())
    printed = _cli(stack, "checkpoint", "reporting")
    assert printed.returncode == 0, printed.stderr
    latest = json.loads(printed.stdout)
    assert latest["service"] == "reporting" and latest["signature_holds"] is True and latest["size"] >= size

    last_good = await db_fetchval(
        stack.database_url,
        _db(stack, "gateway"),
        "SELECT max(size) FROM audit_checkpoints WHERE service = 'reporting' AND size < $1",
        size,
    )
    assert last_good, "an earlier checkpoint exists"
    # Someone who can write the database rewrites the entry at `size` and recomputes every hash ...
    await _rewrite(stack, size, actor="nobody")
    caught = _cli(stack, "verify", "reporting")
    assert caught.returncode == 1, caught.stdout + caught.stderr
    # The chain alone would say "somewhere after entry {last_good}"; the tree's checkpoints and the leaf hashes
    # they carried to the archive name the entry itself.
    assert f"reporting: BROKEN at entry {size}:" in caught.stdout and "committed to" in caught.stdout, caught.stdout
    # ... and putting the original back restores every hash, so the trail agrees with its checkpoints again.
    await _rewrite(stack, size, actor=None)
    healed = _cli(stack, "verify", "reporting")
    assert healed.returncode == 0 and "reporting: intact" in healed.stdout, healed.stdout


async def test_two_replicas_of_a_service_writing_at_once_give_one_intact_trail(gateway: Gateway, stack: Stack) -> None:
    tag = f"r2-{uuid.uuid4().hex[:6]}"
    stack.add_instance("reporting", "reporting-2", free_port())
    stack.start("reporting-2")
    await asyncio.to_thread(stack.wait_ready, "reporting-2", 120)
    try:
        async with httpx.AsyncClient(timeout=30) as client:

            async def write(instance: str, n: int) -> int:
                cid = f"{tag}-{instance}-{n}"
                r = await client.post(
                    f"{stack.url(instance)}/api/v1/bulletins",
                    json={**BULLETIN, "title": cid},
                    headers=gateway.headers(**{"X-Correlation-ID": cid}),
                )
                return r.status_code

            statuses = await asyncio.gather(
                *(write(instance, n) for n in range(60) for instance in ("reporting", "reporting-2"))
            )
    finally:
        stack.stop("reporting-2")
    assert statuses == [201] * 120
    await _all_sequenced(stack, "reporting")
    entries = await db_fetchval(
        stack.database_url,
        _db(stack, "reporting"),
        "SELECT count(DISTINCT seq) FROM audit_trail WHERE correlation_id LIKE $1 AND outcome = 'allowed'",
        f"{tag}-%",
    )
    assert entries == 120  # both replicas' sequencers ran; each entry was linked once
    verdict = _cli(stack, "verify", "reporting")
    assert verdict.returncode == 0 and "reporting: intact" in verdict.stdout, verdict.stdout + verdict.stderr


_ORIGINAL: dict[int, str] = {}


async def _rewrite(stack: Stack, seq: int, *, actor: str | None) -> None:
    """Change one entry's actor (None: back to what it was) and recompute every hash, as an attacker would."""
    conn = await asyncpg.connect(asyncpg_dsn(stack.database_url, _db(stack, "reporting")))
    try:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", audit.SEQUENCER_LOCK_KEY)  # the sequencer waits
            await conn.execute("SET LOCAL session_replication_role = replica")
            if actor is not None:
                _ORIGINAL[seq] = await conn.fetchval("SELECT actor FROM audit_trail WHERE seq = $1", seq)
            await conn.execute("UPDATE audit_trail SET actor = $1 WHERE seq = $2", actor or _ORIGINAL[seq], seq)
            prev = audit.GENESIS
            for row in await conn.fetch("SELECT * FROM audit_trail WHERE seq IS NOT NULL ORDER BY seq"):
                new = audit.digest(prev, dict(row))
                if new != row["hash"] or prev != row["prev_hash"]:
                    await conn.execute(
                        "UPDATE audit_trail SET prev_hash = $1, hash = $2 WHERE seq = $3", prev, new, row["seq"]
                    )
                prev = new
    finally:
        await conn.close()
