"""Proof-carrying audit end to end, on the shared stack: proofs through the gateway, the witness's
cosignatures, bundles checked offline, a rewrite named at its entry, split views and kill -9."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import httpx

from shared import audit, audit_proofs, audit_tree, merkle
from shared.audit_sequencer import default_origin, load_signing_key, sign_note
from shared.signed_note import Checkpoint, Note, Signer, Verifier
from tests.support import Gateway, asyncpg_dsn, db_fetchval, wait_until
from tracs.stack import Stack

BULLETIN = {
    "description": "Bus accident",
    "outcome": "",
    "case_summary": "Prints searched through IDENT; a match identified the person.",
    "services_provided": "Fingerprint search",
}
ORIGIN = default_origin("reporting")


def _db(stack: Stack) -> str:
    return asyncpg_dsn(stack.database_url, f"tracs_reporting{stack.database_suffix}")


def _cli(stack: Stack, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tracs.cli", "audit", *args],
        env=env if env is not None else stack.env("gateway"),
        capture_output=True,
        text=True,
        timeout=180,
    )


def _log(stack: Stack) -> Signer:
    key = load_signing_key(stack.env("gateway")["TRACS_AUDIT_SIGNING_KEY"])
    assert key is not None
    return Signer(ORIGIN, key)


def _witness_key(stack: Stack) -> Verifier:
    return Verifier.parse(json.loads(stack.env("gateway")["TRACS_AUDIT_WITNESS_KEYS"])[0])


async def _witnessed(stack: Stack, at_least: int) -> Note:
    """Wait until the witness has cosigned a checkpoint of reporting covering `at_least` entries."""
    found: list[Note] = []

    async def cosigned() -> bool:
        async with httpx.AsyncClient() as client:
            r = await client.get(f"{stack.url('witness')}/checkpoint", params={"origin": ORIGIN})
        if r.status_code != 200:
            return False
        note = Note.parse(r.text)
        found[:] = [note]
        return Checkpoint.parse(note.text).size >= at_least

    await wait_until(cosigned, timeout=60, what=f"the witness to cosign reporting's trail up to {at_least}")
    return found[0]


async def _entries_about(stack: Stack, record_id: str) -> list[int]:
    async def linked() -> bool:
        return bool(
            await db_fetchval(
                stack.database_url,
                f"tracs_reporting{stack.database_suffix}",
                "SELECT count(*) = 0 FROM audit_trail WHERE seq IS NULL",
            )
        )

    await wait_until(linked, timeout=30, what="reporting's sequencer")
    conn = await asyncpg.connect(_db(stack))
    try:
        rows = await conn.fetch("SELECT seq FROM audit_trail WHERE record_id = $1 ORDER BY seq", record_id)
    finally:
        await conn.close()
    return [r["seq"] for r in rows]


async def _rewrite(stack: Stack, seq: int, actor: str) -> str:
    """As a superuser would: change entry `seq`'s actor, recompute the chain and rebuild the whole tree."""
    conn = await asyncpg.connect(_db(stack))
    try:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", audit.SEQUENCER_LOCK_KEY)  # the sequencer waits
            await conn.execute("SET LOCAL session_replication_role = replica")
            before = await conn.fetchval("SELECT actor FROM audit_trail WHERE seq = $1", seq)
            await conn.execute("UPDATE audit_trail SET actor = $1 WHERE seq = $2", actor, seq)
            prev, tree, nodes = audit.GENESIS, merkle.Frontier(), []
            for row in await conn.fetch("SELECT * FROM audit_trail WHERE seq IS NOT NULL ORDER BY seq"):
                new = audit.digest(prev, dict(row))
                if new != row["hash"] or prev != row["prev_hash"]:
                    await conn.execute(
                        "UPDATE audit_trail SET prev_hash = $1, hash = $2 WHERE seq = $3", prev, new, row["seq"]
                    )
                prev = new
                nodes += tree.append(audit_tree.leaf_hash(dict(row)))
            await conn.execute("DELETE FROM audit_tree")
            await conn.copy_records_to_table(
                "audit_tree", records=[(n.level, n.index, h) for n, h in nodes], columns=["level", "idx", "hash"]
            )
    finally:
        await conn.close()
    return before


async def _proof_states(auditor: Gateway, record_id: str) -> dict[int, dict]:
    """Reporting's entries about the record in the merged trail, by seq, with the proof status the gateway gave."""
    r = await auditor.get("/api/v1/audit", record=record_id, proofs="true")
    assert r.status_code == 200, r.text
    return {e["seq"]: e["proof"] for e in r.json() if e["service"] == "reporting" and e["seq"] is not None}


async def test_an_entry_is_proven_in_a_witnessed_checkpoint_and_a_bundle_checks_offline(
    gateway: Gateway, stack: Stack, tmp_path: Path
) -> None:
    created = await gateway.client.post(
        "/api/v1/bulletins", json={**BULLETIN, "title": "proof"}, headers=gateway.headers()
    )
    bulletin = created.json()["id"]
    for _ in range(3):
        assert (await gateway.get(f"/api/v1/bulletins/{bulletin}")).status_code == 200
    seqs = await _entries_about(stack, bulletin)
    assert len(seqs) >= 3
    note = await _witnessed(stack, max(seqs))
    assert note.signed_by(_log(stack).verifier) and note.cosigned_at(_witness_key(stack)) is not None
    cp = Checkpoint.parse(note.text)

    auditor = Gateway(stack.url("edge"))
    await auditor.login("auditor")
    try:
        r = await auditor.get(f"/api/v1/audit/entries/{seqs[-1]}/proof", service="reporting", size=cp.size)
        assert r.status_code == 200, r.text
        audit_proofs.check_inclusion(r.json(), cp.root)  # checked here, against the witnessed root
        assert r.json()["entry"]["record_id"] == bulletin
        r = await auditor.get("/api/v1/audit/consistency", service="reporting", first=seqs[0], second=cp.size)
        assert r.status_code == 200 and r.json()["second"] == cp.size
        assert (
            await auditor.get(f"/api/v1/audit/entries/{cp.size + 10**6}/proof", service="reporting")
        ).status_code == 404
        assert (await auditor.get("/api/v1/audit/entries/1/proof", service="nowhere")).status_code == 422
        assert (
            await auditor.get("/api/v1/audit/consistency", service="reporting", first=5, second=2)
        ).status_code == 422
        # The merged trail with each entry's proof status, checked by the gateway against the witnessed root.
        states = await _proof_states(auditor, bulletin)
        assert all(states[s]["state"] == "proven" and states[s]["cosigned"] for s in seqs), states
        # Proofs cost every service a proof per entry: a page with proofs is capped, and says so.
        too_many = await auditor.get("/api/v1/audit", record=bulletin, proofs="true", limit=201)
        assert too_many.status_code == 422 and "at most 200 with proofs=true" in too_many.text, too_many.text
        assert (await auditor.get("/api/v1/audit", record=bulletin, limit=1000)).status_code == 200
    finally:
        await auditor.aclose()
    refused = await gateway.get(f"/api/v1/audit/entries/{seqs[-1]}/proof", service="reporting")
    assert refused.status_code == 403  # the analyst is not an auditor

    verdict = _cli(stack, "verify", "reporting")
    assert verdict.returncode == 0 and "reporting: intact" in verdict.stdout, verdict.stdout + verdict.stderr
    bundle = tmp_path / "bundle.json"
    exported = _cli(stack, "export", "--case", bulletin, "--out", str(bundle))
    assert exported.returncode == 0, exported.stdout + exported.stderr
    # Offline: no TRACS setting at all, so no database, no broker, no witness to ask; the keys are given.
    bare = {k: v for k, v in os.environ.items() if not k.startswith("TRACS_")}
    bare["TRACS_VAR_DIR"] = str(tmp_path / "nowhere")
    trust = ["--trust", _log(stack).verifier.vkey(), "--trust", _witness_key(stack).vkey()]
    offline = _cli(stack, "verify", "--bundle", str(bundle), *trust, env=bare)
    assert offline.returncode == 0 and "bundle intact" in offline.stdout, offline.stdout + offline.stderr
    untrusted = _cli(stack, "verify", "--bundle", str(bundle), env=bare)
    assert untrusted.returncode == 1 and "not signed by a trusted log key" in untrusted.stdout
    cut = tmp_path / "cut.json"
    cut.write_bytes(bundle.read_bytes()[:-200])
    truncated = _cli(stack, "verify", "--bundle", str(cut), *trust, env=bare)
    assert truncated.returncode == 1 and "bundle refused" in truncated.stdout

    # A superuser rewrites one of those entries, recomputing every hash and the whole tree ...
    target = seqs[1]
    original = await _rewrite(stack, target, "nobody")
    try:
        caught = _cli(stack, "verify", "reporting")
        assert caught.returncode == 1 and f"reporting: BROKEN at entry {target}:" in caught.stdout, caught.stdout
        # ... the bundle exported before still proves what the trail said, and names the entry now changed ...
        against = _cli(stack, "verify", "--bundle", str(bundle), "--against-trail")
        assert against.returncode == 1 and f"entry {target} differs from the bundle's (actor)" in against.stdout
        # ... and no new bundle can be exported from the rewritten trail.
        again = _cli(stack, "export", "--case", bulletin, "--out", str(tmp_path / "after.json"))
        assert again.returncode == 1 and "export refused" in again.stdout, again.stdout
        # Nothing here goes through reporting's API while its trail is rewritten: each such call is itself an
        # audited entry, which the sequencer would chain onto the rewritten hashes and sign into a checkpoint,
        # and the trail could then never be healed. The failed proof status is shown by
        # tests/unit/gateway/test_proof_status.py.
    finally:
        await _rewrite(stack, target, original)
    healed = _cli(stack, "verify", "reporting")
    assert healed.returncode == 0, healed.stdout


async def test_the_witness_refuses_a_split_view_and_verify_reports_one(gateway: Gateway, stack: Stack) -> None:
    assert (await gateway.get("/api/v1/bulletins")).status_code == 200
    note = await _witnessed(stack, 1)
    cp = Checkpoint.parse(note.text)
    # The operator signs a second history of the same size with the log key and offers it to the witness.
    forged = sign_note(_log(stack).key, origin=ORIGIN, tree_size=cp.size, root=bytes(32))
    async with httpx.AsyncClient() as client:
        r = await client.post(f"{stack.url('witness')}/add-checkpoint", content=f"old {cp.size}\n\n{forged}")
    assert r.status_code == 409, r.text
    archive = Path(stack.env("gateway")["TRACS_AUDIT_CHECKPOINT_FILE"])
    split = archive.parent / "split-view.jsonl"  # e.g. found on another gateway replica's volume
    line = {"service": "reporting", "size": cp.size, "head_hash": "0" * 64, "signed_at": "2026-12-04T00:00:00+00:00"}
    split.write_text(json.dumps({**line, "key_id": "x", "signature": "AA==", "note": forged}) + "\n")
    try:
        caught = _cli(stack, "verify", "reporting")
        assert caught.returncode == 1 and "split view" in caught.stdout, caught.stdout
    finally:
        split.unlink()


async def test_kill_9_of_the_witness_and_of_the_sequencer_mid_run_loses_nothing(gateway: Gateway, stack: Stack) -> None:
    tag = f"w9-{uuid.uuid4().hex[:6]}"
    done = asyncio.Event()
    written: list[int] = []

    async def writer(worker: int) -> None:
        for n in range(400):
            if done.is_set():
                return
            try:
                r = await gateway.client.post(
                    "/api/v1/bulletins", json={**BULLETIN, "title": f"{tag}-{worker}-{n}"}, headers=gateway.headers()
                )
                written.append(r.status_code)
            except httpx.HTTPError:
                written.append(0)

    workers = [asyncio.create_task(writer(w)) for w in range(6)]
    await wait_until(lambda: _count(written, 60), timeout=60, interval=0.05, what="writes to begin")
    stack.kill("witness")  # kill -9 mid-run: cosigning stops, writing and signing go on
    await wait_until(lambda: _count(written, 120), timeout=60, interval=0.05, what="writes while the witness is down")
    stack.kill("reporting")  # and the sequencer with its service
    await asyncio.sleep(0.5)
    done.set()
    await asyncio.gather(*workers)
    stack.start("witness")
    stack.start("reporting")
    await asyncio.to_thread(stack.wait_ready, "witness")
    await asyncio.to_thread(stack.wait_ready, "reporting")
    total = await db_fetchval(
        stack.database_url, f"tracs_reporting{stack.database_suffix}", "SELECT count(*) FROM audit_trail"
    )
    note = await _witnessed(stack, total)  # the witness went on from the size it had stored
    size = Checkpoint.parse(note.text).size
    linked = await db_fetchval(
        stack.database_url,
        f"tracs_reporting{stack.database_suffix}",
        "SELECT count(*) FROM audit_trail WHERE seq <= $1",
        size,
    )
    assert linked == size  # no gap, no duplicate under the cosigned size
    verdict = _cli(stack, "verify", "reporting")
    assert verdict.returncode == 0 and "reporting: intact" in verdict.stdout, verdict.stdout + verdict.stderr


async def _count(statuses: list[int], n: int) -> bool:
    return sum(1 for s in statuses if s == 201) >= n
