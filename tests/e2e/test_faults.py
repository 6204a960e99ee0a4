"""Fault injection: kill -9 every service mid-import, restart PostgreSQL and the broker under load, fail one
of two cases instances over to the other. Each test has its own stack (and, where it restarts one, its own
database server or broker), waits on conditions rather than sleeping, and is bounded in time.

What must hold every time: each imported row arrives exactly once in cases (and is answered once, so intake's
progress and disclosure's projection count it once), and reporting's counts are exact.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import uuid
from collections.abc import Iterator

import httpx
import pytest

from shared.events import topics
from shared.events.intake import CHUNK_MAX_ROWS
from shared.kafka import ensure_topics
from shared.settings import TracsSettings
from tests.e2e.conftest import running_stack
from tests.infra import Infra
from tests.support import Gateway, csv_bytes, db_fetchval, wait_until
from tracs.infra import Postgres, Tansu, free_port
from tracs.stack import Stack

# Room for the 20,000-row import (the shared test stack keeps intake's limits tight).
BIG = {"TRACS_INTAKE_MAX_ROWS": "30000", "TRACS_INTAKE_MAX_UPLOAD_BYTES": str(20 * 1024 * 1024)}
HEADER = ["FIN", "Last Name", "First Name", "DOB", "Partner Country", "TCN", "Match"]


def rows_file(tag: str, n: int, partner: str) -> bytes:
    return csv_bytes(
        HEADER, [[f"{tag}{i:06d}", f"Ñame{i}", "Zoë", "1981-02-03", partner, f"T{tag}{i}", "MATCH"] for i in range(n)]
    )


class Effects:
    """What each service holds for one import (a unique FIN prefix and partner country)."""

    def __init__(self, stack: Stack, tag: str, partner: str) -> None:
        self.stack, self.tag, self.partner = stack, tag, partner

    async def _val(self, service: str, query: str, *args: object) -> int:
        return int(
            await db_fetchval(self.stack.database_url, f"tracs_{service}{self.stack.database_suffix}", query, *args)
            or 0
        )

    async def encounters(self) -> int:
        return await self._val("cases", "SELECT count(*) FROM encounters WHERE fin LIKE $1", f"{self.tag}%")

    async def attached_events(self) -> int:
        """Rows answered as attached in cases' chunk answers: one per encounter, unless an effect doubled."""
        return await self._val(
            "cases",
            "SELECT count(*) FROM outbox o, jsonb_array_elements(convert_from(o.body, 'UTF8')::jsonb -> 'payload'"
            " -> 'rows') r WHERE o.event_type = 'EncountersAttached' AND r ->> 'partner_country' = $1",
            self.partner,
        )

    async def projected(self) -> int:
        return await self._val(
            "disclosure", "SELECT count(*) FROM encounter_projection WHERE partner_country = $1", self.partner
        )

    async def progress(self) -> int:
        """Rows intake's batch shows as attached (from cases' chunk answers, each counted once)."""
        return await self._val(
            "intake", "SELECT coalesce(sum(rows_attached), 0) FROM batches WHERE file_name = $1", f"{self.tag}.csv"
        )

    async def matches_counted(self) -> int:
        return await self._val(
            "reporting",
            "SELECT coalesce(sum(value), 0) FROM daily_counts WHERE partner = $1 AND metric = 'matches'",
            self.partner,
        )

    async def subjects_counted(self) -> int:
        return await self._val("reporting", "SELECT count(*) FROM subject_days WHERE partner = $1", self.partner)

    async def subjects_counter(self) -> int:
        return await self._val(
            "reporting",
            "SELECT coalesce(sum(value), 0) FROM daily_counts WHERE partner = $1 AND metric = 'distinct_subjects'",
            self.partner,
        )

    async def all(self) -> dict[str, int]:
        names = (
            "encounters",
            "attached_events",
            "projected",
            "progress",
            "matches_counted",
            "subjects_counted",
            "subjects_counter",
        )
        return {name: await getattr(self, name)() for name in names}

    async def settle(self, n: int, timeout: float = 240) -> dict[str, int]:
        """Wait until every service holds n, then make sure nothing more arrives late (a duplicate)."""
        want = dict.fromkeys(await self.all(), n)
        deadline = asyncio.get_running_loop().time() + timeout
        while (now := await self.all()) != want:
            assert asyncio.get_running_loop().time() < deadline, f"not settled after {timeout}s: {now}"
            await asyncio.sleep(0.5)
        await asyncio.sleep(2.0)
        return await self.all()


async def import_rows(stack: Stack, tag: str, n: int, partner: str) -> str:
    gw = Gateway(stack.url("edge"))
    await gw.login("analyst")
    up = await gw.upload(rows_file(tag, n, partner), name=f"{tag}.csv", program="M5")
    assert up.status_code == 201, up.text
    confirmed = await gw.confirm(up.json()["id"])
    assert confirmed.status_code == 200 and confirmed.json()["rows_imported"] == n, confirmed.text
    await gw.aclose()
    return up.json()["id"]


@pytest.fixture(scope="module")
def fault_stack(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack of its own: these tests kill its processes."""
    with running_stack(infra, tmp_path_factory.mktemp("faults"), BIG) as s:
        yield s


async def case_updates(stack: Stack, stop: asyncio.Event, tally: dict[str, int]) -> None:
    """A stream of case updates through the gateway while services die and come back."""
    gw = Gateway(stack.url("edge"))
    with contextlib.suppress(httpx.HTTPError, AssertionError):
        await gw.login("analyst")
    case_id = None
    while not stop.is_set():
        try:
            if gw.token is None:
                await gw.login("analyst")
            if case_id is None:
                items = (await gw.get("/api/v1/cases", program="M5", limit=1)).json().get("items", [])
                case_id = items[0]["id"] if items else None
            if case_id is not None:
                tally["attempts"] += 1
                r = await gw.client.post(
                    f"/api/v1/cases/{case_id}/searches",
                    json={"system": "TECS", "result": "no-hit", "notes": f"update {tally['attempts']}"},
                    headers=gw.headers(),
                )
                if r.status_code == 201:
                    tally["ok"] += 1
                    tally["case"] = case_id  # type: ignore[assignment]
        except (httpx.HTTPError, AssertionError, KeyError, ValueError):
            pass  # the gateway or cases is down this moment
        await asyncio.sleep(0.05)
    await gw.aclose()


async def test_kill_9_each_service_in_turn_mid_import_and_every_row_arrives_exactly_once(
    fault_stack: Stack,
) -> None:
    stack, tag, partner, n = fault_stack, uuid.uuid4().hex[:6], "NRU", 20_000
    effects = Effects(stack, tag, partner)
    stop, tally = asyncio.Event(), {"attempts": 0, "ok": 0}
    updates = asyncio.create_task(case_updates(stack, stop, tally))
    await import_rows(stack, tag, n, partner)
    seen = await wait_until(effects.encounters, interval=0.02, what="the first encounters")
    killed_at: dict[str, dict[str, int]] = {}
    for service in ("cases", "intake", "disclosure", "redress", "reporting", "gateway", "edge"):
        stack.kill(service)  # kill -9: no shutdown hook runs
        killed_at[service] = await effects.all()
        await asyncio.sleep(0.5)
        stack.start(service)
        await asyncio.to_thread(stack.wait_ready, service, 120)
    assert 0 < seen <= killed_at["cases"]["encounters"] < n, f"cases died mid-stream: {seen}, {killed_at}"
    final = await effects.settle(n)
    assert final == dict.fromkeys(final, n), final
    stop.set()
    await updates
    searches = await db_fetchval(
        stack.database_url,
        f"tracs_cases{stack.database_suffix}",
        "SELECT count(*) FROM searches WHERE case_id = $1",
        uuid.UUID(str(tally["case"])),
    )
    # Every acknowledged update is there; an update whose answer was lost in a crash is there at most once.
    assert tally["ok"] > 0 and tally["ok"] <= searches <= tally["attempts"], (tally, searches)


def test_postgresql_restarted_under_load_loses_and_doubles_nothing(
    infra: Infra, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("pg-restart")
    pg = Postgres(root / "postgres", free_port())
    pg.start()

    async def scenario(stack: Stack) -> None:
        tag, partner, n = uuid.uuid4().hex[:6], "PLW", 6000
        effects = Effects(stack, tag, partner)
        await import_rows(stack, tag, n, partner)
        await wait_until(effects.encounters, interval=0.02, what="the first encounters")
        await asyncio.to_thread(pg.stop)  # every service loses its connections mid-stream
        await asyncio.sleep(2.0)
        await asyncio.to_thread(pg.start)
        final = await effects.settle(n)
        assert final == dict.fromkeys(final, n), final
        # The HTTP side reconnected too.
        gw = Gateway(stack.url("edge"))
        await gw.login("analyst")
        assert (await gw.get("/api/v1/cases", program="M5", limit=1)).status_code == 200
        await gw.aclose()

    try:
        own = Infra(database_url=pg.url, kafka_bootstrap=infra.kafka_bootstrap)
        with running_stack(own, root, BIG) as stack:
            asyncio.run(scenario(stack))
    finally:
        pg.stop()


def test_broker_stopped_and_restarted_producers_buffer_in_their_outbox_and_consumers_rejoin(
    infra: Infra, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("broker-restart")
    broker = Tansu(free_port(), root / "tansu.log")
    broker.start()

    async def scenario(stack: Stack) -> None:
        tag, partner, n = uuid.uuid4().hex[:6], "FSM", 3000
        effects = Effects(stack, tag, partner)
        await asyncio.to_thread(broker.stop)
        await import_rows(stack, tag, n, partner)  # the import commits; publishing must wait
        chunks = -(-n // CHUNK_MAX_ROWS)

        async def waiting() -> bool:
            pending = await db_fetchval(
                stack.database_url,
                f"tracs_intake{stack.database_suffix}",
                "SELECT count(*) FROM outbox_pending p JOIN outbox o ON o.id = p.id"
                " WHERE o.event_type IN ('BatchImported', 'EncountersImported')",
            )
            return pending >= 1 + chunks  # BatchImported and every chunk, committed (not audit checkpoints)

        await wait_until(waiting, what="the events to wait in intake's outbox while the broker is down")
        await asyncio.sleep(3.0)
        # Tansu keeps topics in memory only. A real broker comes back with its topics; to stand in for that,
        # the services are paused while the restarted broker gets its topics again, so no client can race
        # the re-creation (a producer auto-creating a topic that is then created over loses messages).
        for proc in stack.processes.values():
            proc.send_signal(signal.SIGSTOP)
        try:
            await asyncio.to_thread(broker.start)
            settings = TracsSettings(kafka_bootstrap=broker.bootstrap, topic_partitions=3)
            await ensure_topics(settings, [stack.topic_prefix + t for t in topics.all_with_dlq()])
        finally:
            for proc in stack.processes.values():
                proc.send_signal(signal.SIGCONT)
        final = await effects.settle(n)
        assert final == dict.fromkeys(final, n), final

    try:
        own = Infra(database_url=infra.database_url, kafka_bootstrap=broker.bootstrap)
        # Clients notice the re-created topics within seconds rather than the default half minute.
        with running_stack(own, root, {**BIG, "TRACS_KAFKA_METADATA_MAX_AGE_MS": "3000"}) as stack:
            asyncio.run(scenario(stack))
    finally:
        broker.stop()


async def test_two_cases_instances_share_the_stream_and_the_survivor_takes_over_a_killed_ones_partitions(
    fault_stack: Stack,
) -> None:
    stack, tag, partner, n = fault_stack, uuid.uuid4().hex[:6], "MHL", 10_000
    effects = Effects(stack, tag, partner)
    stack.add_instance("cases", "cases-2", free_port())
    stack.start("cases-2")
    await asyncio.to_thread(stack.wait_ready, "cases-2", 120)
    await asyncio.sleep(8.0)  # a group join on Tansu takes ~5 s: let the partitions spread over both
    await import_rows(stack, tag, n, partner)
    await wait_until(effects.encounters, interval=0.02, what="the first encounters")
    stack.kill("cases")  # one instance dies mid-batch; its partitions go to cases-2
    at_kill = await effects.encounters()
    assert at_kill < n, "the kill must land mid-stream"
    final = await effects.settle(n)
    assert final == dict.fromkeys(final, n), final
    stack.start("cases")
    await asyncio.to_thread(stack.wait_ready, "cases", 120)
    stack.stop("cases-2")


CONSUMERS = {
    topics.INTAKE_CHUNKS: {"cases.chunks"},
    topics.INTAKE_BATCH: {"reporting.counts"},
    topics.CASES: {"intake.attached", "disclosure.cases", "reporting.counts", "gateway.notify-cases"},
    topics.REDRESS: {"cases.corrections", "reporting.counts", "disclosure.redress", "gateway.notify-redress"},
    topics.DISCLOSURE: {
        "intake.agreements",
        "reporting.counts",
        "cases.removals",
        "cases.disclosures",
        "gateway.notify-disclosure",
    },
    topics.RETENTION: {"disclosure.holds", "redress.holds", "reporting.disposals"},
    topics.GATEWAY_STAFF: {"cases.staff"},
    topics.AUDIT_CHECKPOINT: {"gateway.audit-checkpoints"},
}


async def test_a_poison_message_in_every_consumed_topic_lands_in_its_dlq_and_every_consumer_goes_on(
    fault_stack: Stack,
) -> None:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    stack = fault_stack
    run = uuid.uuid4().hex[:8]
    poison = {topic: f"\xff poison for {topic} {run}".encode("latin-1") for topic in CONSUMERS}
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for topic, body in poison.items():
            await producer.send_and_wait(stack.topic_prefix + topic, body, key=run.encode())
    finally:
        await producer.stop()

    found: dict[str, set[str]] = {topic: set() for topic in CONSUMERS}
    errors: list[str] = []
    consumer = AIOKafkaConsumer(
        *[topics.dlq(stack.topic_prefix + t) for t in CONSUMERS],
        bootstrap_servers=stack.kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=f"dlq-reader-{run}",
    )
    await consumer.start()
    try:
        async with asyncio.timeout(90):
            while any(found[t] != CONSUMERS[t] for t in CONSUMERS):
                for records in (await consumer.getmany(timeout_ms=1000)).values():
                    for r in records:
                        headers = {k: v.decode() for k, v in r.headers}
                        topic = headers.get("dlq_source", "").rsplit(":", 2)[0].removeprefix(stack.topic_prefix)
                        if topic in poison and r.value == poison[topic]:
                            found[topic].add(headers["dlq_consumer"])
                            errors.append(headers["dlq_error"])
    finally:
        await consumer.stop()
    assert found == CONSUMERS
    assert all(errors), "each dead letter says why"
    # Every consumer went on: a fresh import reaches every service and every count.
    tag, partner, n = uuid.uuid4().hex[:6], "KIR", 50
    await import_rows(stack, tag, n, partner)
    final = await Effects(stack, tag, partner).settle(n, timeout=120)
    assert final == dict.fromkeys(final, n), final
