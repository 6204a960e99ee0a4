"""Never lose, never duplicate: crashes, redelivery, poison messages and replays against real infrastructure."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid

import httpx
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared.events import topics, wrap
from tests.support import Gateway, csv_bytes, db_fetchval, one_row_chunk, wait_until
from tracs.stack import Stack

HEADER = ["FIN", "Last Name", "First Name", "DOB", "Match"]


def _file(n: int) -> bytes:
    tag = uuid.uuid4().hex[:6]
    return csv_bytes(HEADER, [[f"{tag}{i:06d}", f"Ñame{i}", "Zoë", "1981-02-03", "MATCH"] for i in range(n)])


def _db(stack: Stack, service: str) -> str:
    return f"tracs_{service}{stack.database_suffix}"


async def _encounters(stack: Stack, batch_id: str) -> int:
    return await db_fetchval(
        stack.database_url,
        _db(stack, "cases"),
        "SELECT count(*) FROM encounters WHERE batch_id = $1",
        uuid.UUID(batch_id),
    )


async def _attached_events(stack: Stack, batch_id: str) -> int:
    """Rows cases answered as attached for a batch (over its EncountersAttached chunk answers): one per
    encounter unless an effect doubled."""
    return await db_fetchval(
        stack.database_url,
        _db(stack, "cases"),
        "SELECT coalesce(sum(jsonb_array_length(convert_from(body, 'UTF8')::jsonb -> 'payload' -> 'rows')), 0)"
        " FROM outbox WHERE event_type = 'EncountersAttached' AND convert_from(body, 'UTF8')::jsonb"
        " -> 'payload' ->> 'batch_id' = $1",
        batch_id,
    )


async def _upload_and_confirm(gateway: Gateway, n: int) -> str:
    up = await gateway.upload(_file(n))
    assert up.status_code == 201, up.text
    batch_id = up.json()["id"]
    confirmed = await gateway.confirm(batch_id)
    assert confirmed.status_code == 200 and confirmed.json()["rows_imported"] == n, confirmed.text
    return batch_id


async def test_killing_cases_in_the_middle_of_6000_rows_in_chunks_leaves_exactly_6000_encounters(
    gateway: Gateway, stack: Stack
) -> None:
    n = 6000  # six chunks (the shared stack takes up to 6,000 rows a file): the kill lands between chunks
    batch_id = await _upload_and_confirm(gateway, n)
    seen = await wait_until(lambda: _encounters(stack, batch_id), interval=0.02, what="the first encounters")
    stack.kill("cases")  # kill -9, mid-stream
    at_kill = await _encounters(stack, batch_id)
    assert 0 < seen <= at_kill < n, f"the kill must land mid-stream (saw {seen}, then {at_kill})"
    stack.start("cases")
    stack.wait_ready("cases")
    await wait_until(lambda: _count_is(stack, batch_id, n), timeout=180, what=f"{n} encounters")
    await wait_until(lambda: _progress_done(gateway, batch_id, n), timeout=60, what="every row attached")
    await asyncio.sleep(1.0)  # a late duplicate would show up here
    assert await _encounters(stack, batch_id) == n
    assert await _attached_events(stack, batch_id) == n  # no effect applied twice


async def _progress_done(gateway: Gateway, batch_id: str, n: int) -> bool:
    batch = (await gateway.get(f"/api/v1/intake/batches/{batch_id}")).json()
    return batch["progress"] == "done" and batch["rows_attached"] == n and batch["rows_failed"] == 0


async def _count_is(stack: Stack, batch_id: str, n: int) -> bool:
    return await _encounters(stack, batch_id) == n


async def _producer(stack: Stack) -> AIOKafkaProducer:
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap, acks="all")
    await producer.start()
    return producer


async def test_the_same_event_published_twice_has_one_effect(stack: Stack) -> None:
    event = one_row_chunk()
    body = wrap(event, producer="test", correlation_id="dup-test").to_bytes()
    producer = await _producer(stack)
    try:
        for _ in range(2):
            await producer.send_and_wait(
                stack.topic_prefix + topics.INTAKE_CHUNKS, body, key=event.partition_key().encode()
            )
    finally:
        await producer.stop()
    await wait_until(lambda: _count_is(stack, str(event.batch_id), 1), what="the encounter")
    await asyncio.sleep(1.5)
    assert await _encounters(stack, str(event.batch_id)) == 1
    assert await _attached_events(stack, str(event.batch_id)) == 1


async def test_a_malformed_event_lands_in_the_dlq_and_the_consumer_keeps_going(stack: Stack) -> None:
    topic = stack.topic_prefix + topics.INTAKE_CHUNKS
    good = one_row_chunk()
    future = wrap(one_row_chunk(), producer="test", correlation_id="dlq-test").model_copy(update={"schema_version": 99})
    broken_payload = wrap(one_row_chunk(), producer="test", correlation_id="dlq-test")
    broken_payload.payload["rows"][0]["row_number"] = "not a number"
    poison = [b"\xff not json at all", future.to_bytes(), broken_payload.to_bytes()]
    producer = await _producer(stack)
    try:
        for body in poison:
            await producer.send_and_wait(topic, body, key=good.partition_key().encode())
        await producer.send_and_wait(
            topic,
            wrap(good, producer="test", correlation_id="dlq-test").to_bytes(),
            key=good.partition_key().encode(),
        )
    finally:
        await producer.stop()
    await wait_until(lambda: _count_is(stack, str(good.batch_id), 1), what="the good event after the poison")

    consumer = AIOKafkaConsumer(
        topics.dlq(topic),
        bootstrap_servers=stack.kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=f"dlq-reader-{uuid.uuid4().hex[:6]}",
    )
    await consumer.start()
    # Cases is the one consumer of the chunk topic (disclosure and redress no longer copy imported rows).
    consumers = {b"cases.chunks"}
    found: dict[tuple[bytes, bytes], dict[str, bytes]] = {}
    try:
        async with asyncio.timeout(60):
            while not all((p, c) in found for p in poison for c in consumers):
                batch = await consumer.getmany(timeout_ms=1000)
                for records in batch.values():
                    for r in records:
                        headers = dict(r.headers)
                        found[(r.value, headers["dlq_consumer"])] = headers
    finally:
        await consumer.stop()
    for body in poison:
        for name in consumers:
            assert found[(body, name)]["dlq_error"]
    assert b"schema_version 99" in found[(future.to_bytes(), b"cases.chunks")]["dlq_error"]
    assert b"row_number" in found[(broken_payload.to_bytes(), b"cases.chunks")]["dlq_error"]


async def test_intake_killed_between_commit_and_publish_still_publishes_after_restart(
    gateway: Gateway, stack: Stack
) -> None:
    # 1. The relay never runs: events are committed to the outbox, then the process is killed.
    stack.stop("intake")
    stack.start("intake", {"TRACS_INTAKE_RELAY_ENABLED": "false"})
    stack.wait_ready("intake")
    batch_id = await _upload_and_confirm(gateway, 40)
    # BatchImported at confirm, then the dispatcher's one chunk of 40 rows: committed, not sent.
    unpublished = await wait_until(lambda: _pending_at_least(stack, 2), what="the chunk in the outbox")
    assert unpublished >= 2
    stack.kill("intake")
    assert await _encounters(stack, batch_id) == 0

    # 2. The relay publishes, then dies before marking the rows sent: they will be published again.
    crashing = stack.start("intake", {"TRACS_INTAKE_FAULT_RELAY_CRASH_AFTER_PUBLISH": "true"})
    await wait_until(lambda: _exited(crashing), timeout=60, what="the relay's crash after publishing")
    assert crashing.returncode == 137
    still = await _pending_imports(stack)
    assert still == unpublished  # published, but never marked

    # 3. A healthy restart re-publishes; cases' inbox absorbs the duplicates.
    stack.processes.pop("intake", None)
    stack.start("intake")
    stack.wait_ready("intake")
    await wait_until(lambda: _count_is(stack, batch_id, 40), what="40 encounters")
    await wait_until(lambda: _outbox_drained(stack), what="intake's outbox to drain")
    await asyncio.sleep(1.5)
    assert await _encounters(stack, batch_id) == 40
    assert await _attached_events(stack, batch_id) == 40


async def _exited(proc: subprocess.Popen) -> bool:
    return proc.poll() is not None


async def _outbox_drained(stack: Stack) -> bool:
    return await db_fetchval(stack.database_url, _db(stack, "intake"), "SELECT count(*) = 0 FROM outbox_pending")


async def _pending_imports(stack: Stack) -> int:
    """Import events waiting in intake's outbox (the audit sequencer's checkpoints wait there too, at their
    own pace, so they are not counted)."""
    return await db_fetchval(
        stack.database_url,
        _db(stack, "intake"),
        "SELECT count(*) FROM outbox_pending p JOIN outbox o ON o.id = p.id"
        " WHERE o.event_type IN ('BatchImported', 'EncountersImported')",
    )


async def _pending_at_least(stack: Stack, n: int) -> int | None:
    pending = await _pending_imports(stack)
    return pending if pending >= n else None


async def test_replaying_intakes_outbox_changes_nothing_downstream(gateway: Gateway, stack: Stack) -> None:
    batch_id = await _upload_and_confirm(gateway, 30)
    await wait_until(lambda: _count_is(stack, batch_id, 30), what="30 encounters")
    reporting_before = await wait_until(lambda: _reporting_settled(stack), what="reporting to catch up")
    cases_dups = await _duplicates(stack, "cases", "cases.chunks")
    reporting_dups = await _duplicates(stack, "reporting", "reporting.counts")
    env = stack.env("intake")
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "tracs.cli", "replay", "intake", "--since", "2000-01-01T00:00:00"],
        env={**env, "PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "re-published" in result.stdout
    replayed = int(result.stdout.split("re-published ")[1].split()[0])
    assert replayed >= 2  # at least this batch's BatchImported and its chunk
    # Wait until the consumers have actually seen the replayed events (as duplicates), then compare.
    await wait_until(lambda: _rose_by(stack, "cases", "cases.chunks", cases_dups, 1), what="cases to see the replay")
    await wait_until(
        lambda: _rose_by(stack, "reporting", "reporting.counts", reporting_dups, 1),
        what="reporting to see the replay",
    )
    assert await _encounters(stack, batch_id) == 30
    assert await _attached_events(stack, batch_id) == 30
    assert await _reporting_total(stack) == reporting_before


async def _duplicates(stack: Stack, service: str, consumer: str) -> float:
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"{stack.url(service)}/metrics")).text
    for line in text.splitlines():
        if (
            line.startswith("tracs_events_consumed_total")
            and f'consumer="{consumer}"' in line
            and 'outcome="duplicate"' in line
        ):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def _rose_by(stack: Stack, service: str, consumer: str, before: float, n: int) -> bool:
    return await _duplicates(stack, service, consumer) >= before + n


async def _reporting_total(stack: Stack) -> int:
    return int(
        await db_fetchval(
            stack.database_url, _db(stack, "reporting"), "SELECT coalesce(sum(value), 0) FROM daily_counts"
        )
    )


async def _reporting_settled(stack: Stack) -> int | None:
    """The reporting total once it has stopped moving for a second (all events so far counted)."""
    first = await _reporting_total(stack)
    await asyncio.sleep(1.0)
    return first if first and await _reporting_total(stack) == first else None


async def test_a_row_cases_cannot_take_is_named_on_its_batch_and_the_rest_of_its_chunk_applies(
    gateway: Gateway, stack: Stack
) -> None:
    # Through the real path: intake accepts a 1,500-character surname; cases' rule refuses it (its indexes).
    tag = uuid.uuid4().hex[:6]
    rows = [[f"{tag}{i:06d}", "A" * 1500 if i == 1 else f"Name{i}", "Zoë", "1981-02-03", "MATCH"] for i in range(3)]
    up = await gateway.upload(csv_bytes(HEADER, rows))
    assert up.status_code == 201, up.text
    batch_id = up.json()["id"]
    assert (await gateway.confirm(batch_id)).status_code == 200

    async def answered() -> dict | None:
        batch = (await gateway.get(f"/api/v1/intake/batches/{batch_id}")).json()
        return batch if batch["progress"] == "done" else None

    batch = await wait_until(answered, what="cases to answer every row")
    assert (batch["rows_attached"], batch["rows_failed"]) == (2, 1)
    assert [(f["row_number"], f["reason"]) for f in batch["failures"]] == [
        (3, "last_name: longer than 1000 characters")
    ]
    failures = (await gateway.get(f"/api/v1/intake/batches/{batch_id}/failures")).json()
    assert failures == batch["failures"]
    assert await _encounters(stack, batch_id) == 2

    # The database refusing a row (PostgreSQL text cannot hold NUL): found by halving the chunk, named, and
    # the rest of the chunk applied, in one transaction with the answer.
    event = one_row_chunk()
    good, bad = (
        event.rows[0],
        event.rows[0].model_copy(
            update={
                "encounter_id": uuid.uuid4(),
                "row_number": 3,
                "fields": event.rows[0].fields.model_copy(update={"notes": "nul \x00 here"}),
            }
        ),
    )
    chunk = event.model_copy(update={"rows": [good, bad]})
    producer = await _producer(stack)
    try:
        await producer.send_and_wait(
            stack.topic_prefix + topics.INTAKE_CHUNKS,
            wrap(chunk, producer="test", correlation_id="refused-row").to_bytes(),
            key=chunk.partition_key().encode(),
        )
    finally:
        await producer.stop()
    await wait_until(lambda: _count_is(stack, str(chunk.batch_id), 1), what="the good row of the chunk")
    answer = await wait_until(lambda: _answer(stack, str(chunk.batch_id)), what="cases' answer")
    assert [r["row_number"] for r in answer["rows"]] == [2]
    assert [(f["row_number"], f["encounter_id"]) for f in answer["failed"]] == [(3, str(bad.encounter_id))]
    assert answer["failed"][0]["reason"].startswith("cases could not store the row: a value the database cannot")
    assert "nul" not in answer["failed"][0]["reason"]  # a reason never quotes the value


async def _answer(stack: Stack, batch_id: str) -> dict | None:
    payload = await db_fetchval(
        stack.database_url,
        _db(stack, "cases"),
        "SELECT convert_from(body, 'UTF8')::jsonb -> 'payload' FROM outbox WHERE event_type = 'EncountersAttached'"
        " AND convert_from(body, 'UTF8')::jsonb -> 'payload' ->> 'batch_id' = $1",
        batch_id,
    )
    return orjson.loads(payload) if payload else None
