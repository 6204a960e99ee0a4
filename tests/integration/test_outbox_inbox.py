"""The shared outbox, relay and inbox consumer against a real PostgreSQL and a real broker."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from sqlalchemy import ARRAY, Column, Table, Text, Uuid, func, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DBAPIError, OperationalError

from shared.db import any_array, copy_into, copy_upsert, create_engine, drop_database, ensure_database, session_factory
from shared.events import topics, wrap
from shared.events.cases import FlagSet, RecordsPurged
from shared.inbox import Delivered, InboxConsumer
from shared.kafka import ensure_topics, make_producer
from shared.messaging_tables import pending_of
from shared.outbox import OutboxRelay
from shared.runtime import service_metadata
from shared.settings import TracsSettings
from shared.uow import UnitOfWork
from tests.infra import Infra

metadata, outbox, inbox = service_metadata()
things = Table("things", metadata, Column("id", Uuid, primary_key=True), Column("note", Text))
documents = Table(
    "documents",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("body", JSONB, nullable=False),
    Column("tags", ARRAY(Text), nullable=False),
)


class Env:
    def __init__(self, infra: Infra, ns: str) -> None:
        self.url = infra.database_url.rsplit("/", 1)[0] + f"/it_{ns}"
        self.settings = TracsSettings(kafka_bootstrap=infra.kafka_bootstrap, topic_prefix=f"{ns}.", topic_partitions=3)
        self.engine = create_engine(self.url, pool_size=4)
        self.sessions = session_factory(self.engine)
        self.producer = make_producer(self.settings, client_id="it")

    def uow(self, **kw: object) -> UnitOfWork:
        return UnitOfWork(self.sessions, outbox, producer="it", **kw)  # type: ignore[arg-type]

    async def count(self, table: Table, *where: object) -> int:
        async with self.sessions() as s:
            return int(await s.scalar(select(func.count()).select_from(table).where(*where)))


@pytest.fixture
async def env(infra: Infra, namespace: str) -> AsyncIterator[Env]:
    e = Env(infra, namespace)
    await ensure_database(e.url)
    async with e.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    await ensure_topics(e.settings, [e.settings.topic(t) for t in topics.all_with_dlq()])
    await e.producer.start()
    yield e
    await e.producer.stop()
    await e.engine.dispose()
    await drop_database(e.url)


def _event(key: str = "FIN:1", row: int = 2) -> FlagSet:
    """Any contract keyed by subject serves: the row number travels in `reason` to check order per key."""
    subject = uuid.uuid5(uuid.NAMESPACE_OID, key)
    return FlagSet(
        encounter_id=uuid.uuid4(), subject_id=subject, flag="derogatory", value={"set": True}, reason=str(row)
    )


async def test_a_state_change_and_its_events_commit_together_or_not_at_all(env: Env) -> None:
    with pytest.raises(RuntimeError):
        async with env.uow() as uow:
            await uow.session.execute(things.insert().values(id=uuid.uuid4(), note="lost"))
            uow.emit(_event())
            raise RuntimeError("the handler failed after emitting")
    assert await env.count(things) == 0 and await env.count(outbox) == 0
    async with env.uow() as uow:
        await uow.session.execute(things.insert().values(id=uuid.uuid4(), note="kept"))
        uow.emit(_event())
        async with uow:  # a handler entering the same unit of work does not commit early
            uow.emit(_event())
    assert await env.count(things) == 1 and await env.count(outbox) == 2
    assert await env.count(pending_of(outbox)) == 2  # each waits for the relay in the narrow pending table


async def test_the_relay_publishes_each_keys_events_in_order_and_marks_them_sent(env: Env) -> None:
    keys = [str(uuid.uuid5(uuid.NAMESPACE_OID, k)) for k in ("FIN:A", "FIN:B", "FIN:C")]
    async with env.uow(correlation_id="order-test") as uow:
        for row in range(300):
            uow.emit(_event(("FIN:A", "FIN:B", "FIN:C")[row % 3], row))
    relay = OutboxRelay(env.sessions, outbox, env.producer, topic_prefix=env.settings.topic_prefix, batch_size=64)
    before = (await env.count(outbox), await _bodies(env))
    while await relay.run_once():
        pass
    assert await env.count(pending_of(outbox)) == 0
    assert (await env.count(outbox), await _bodies(env)) == before  # marked sent without touching a body

    consumer = AIOKafkaConsumer(
        env.settings.topic(topics.CASES),
        bootstrap_servers=env.settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        group_id=f"g-{uuid.uuid4().hex[:6]}",
    )
    await consumer.start()
    seen: dict[str, list[int]] = {k: [] for k in keys}
    try:
        async with asyncio.timeout(60):
            while sum(map(len, seen.values())) < 300:
                for records in (await consumer.getmany(timeout_ms=1000)).values():
                    for r in records:
                        seen[r.key.decode()].append(int(r.value.split(b'"reason":"')[1].split(b'"')[0]))
                        headers = dict(r.headers)
                        assert headers["event_type"] == b"FlagSet"
                        assert headers["correlation_id"] == b"order-test"
    finally:
        await consumer.stop()
    for i, key in enumerate(keys):
        assert seen[key] == list(range(i, 300, 3)), f"{key} out of order"


async def _bodies(env: Env) -> list[tuple[int, str]]:
    """Each outbox row's physical location and body: an UPDATE of the row would move it (a new ctid)."""
    async with env.sessions() as session:
        rows = await session.execute(text("SELECT ctid::text, md5(body) FROM outbox ORDER BY id"))
        return [tuple(r) for r in rows.all()]


def _records(envelopes: list, topic: str = "t") -> list[ConsumerRecord]:
    return [
        ConsumerRecord(topic, 0, n, 0, 0, b"k", e if isinstance(e, bytes) else e.to_bytes(), None, 1, 1, [])
        for n, e in enumerate(envelopes)
    ]


async def test_a_redelivered_batch_has_no_second_effect(env: Env) -> None:
    applied: list[uuid.UUID] = []

    async def handler(uow: UnitOfWork, delivered: list[Delivered]) -> None:
        async with uow:
            for d in delivered:
                applied.append(d.envelope.event_id)
                await uow.session.execute(things.insert().values(id=d.event.encounter_id, note="x"))

    consumer = InboxConsumer(
        name="it.things", handler=handler, uow_factory=env.uow, inbox=inbox, dlq_producer=env.producer
    )
    envs = [wrap(_event(), producer="t", correlation_id="c") for _ in range(20)]
    records = _records(envs + envs[:5])  # the batch itself repeats five events
    await consumer.process(records)
    await consumer.process(records)  # the whole batch again, as after a crash before the offset commit
    assert await env.count(things) == 20
    assert len(applied) == 20


async def test_one_bad_event_is_isolated_retried_and_dead_lettered_while_the_rest_apply(env: Env) -> None:
    bad = wrap(_event(), producer="t", correlation_id="c")
    attempts = 0

    async def handler(uow: UnitOfWork, delivered: list[Delivered]) -> None:
        nonlocal attempts
        async with uow:
            for d in delivered:
                if d.envelope.event_id == bad.event_id:
                    attempts += 1
                    raise ValueError("this event breaks a rule")
                await uow.session.execute(things.insert().values(id=d.event.encounter_id))

    topic = env.settings.topic(topics.CASES)
    consumer = InboxConsumer(
        name="it.things",
        handler=handler,
        uow_factory=env.uow,
        inbox=inbox,
        dlq_producer=env.producer,
        max_attempts=3,
        retry_delay=0.01,
    )
    goods = [wrap(_event(), producer="t", correlation_id="c") for _ in range(4)]
    await consumer.process(_records([goods[0], bad, *goods[1:], b"garbage"], topic))
    assert await env.count(things) == 4
    assert attempts == 1 + 3  # once in the batch, then three times alone
    assert await env.count(inbox, inbox.c.status == "dead-lettered") == 1
    # The dead-lettered event is settled: a redelivery does not try it again.
    await consumer.process(_records([bad], topic))
    assert attempts == 4


async def test_a_database_outage_is_raised_for_redelivery_never_dead_lettered(env: Env) -> None:
    async def handler(uow: UnitOfWork, delivered: list[Delivered]) -> None:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("db down"))

    consumer = InboxConsumer(
        name="it.things", handler=handler, uow_factory=env.uow, inbox=inbox, dlq_producer=env.producer, retry_delay=0.01
    )
    with pytest.raises(OperationalError):
        await consumer.process(_records([wrap(_event(), producer="t", correlation_id="c")]))
    assert await env.count(inbox) == 0


async def test_copy_upsert_inserts_only_what_is_absent_overwrites_on_request_and_refuses_unknown_columns(
    env: Env,
) -> None:
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    first = [
        {"id": a, "body": {"name": "Nguyễn", "n": 1}, "tags": ["x"]},
        {"id": b, "body": {"name": "李", "n": 2}, "tags": []},
    ]
    async with env.sessions() as s, s.begin():
        assert set(await copy_upsert(s, documents, first, returning="id")) == {a, b}
    again = [{"id": b, "body": {"name": "changed"}, "tags": ["y"]}, {"id": c, "body": {}, "tags": ["z"]}]
    async with env.sessions() as s, s.begin():
        # Insert-if-absent: b stays as it was; only c is new, and only c is returned.
        assert await copy_upsert(s, documents, again, returning="id") == [c]
        # A second call in the same transaction starts from an empty staging table.
        assert await copy_upsert(s, documents, again[:1], conflict=["id"], update=["body"], returning="id") == [b]
    async with env.sessions() as s:
        rows = {r.id: r for r in (await s.execute(select(documents))).all()}
    assert rows[a].body == {"name": "Nguyễn", "n": 1} and rows[a].tags == ["x"]
    assert rows[b].body == {"name": "changed"} and rows[b].tags == []  # tags not in `update`: kept
    assert rows[c].tags == ["z"]
    async with env.sessions() as s:
        found = (await s.execute(select(documents.c.id).where(documents.c.id == any_array([a, c], Uuid)))).scalars()
        assert set(found) == {a, c}
        with pytest.raises(ValueError, match="conflict target"):
            await copy_upsert(s, documents, again, update=["body"])
        with pytest.raises(ValueError, match="documents has no column colour"):
            await copy_upsert(s, documents, [{"id": uuid.uuid4(), "body": {}, "tags": [], "colour": "red"}])
    assert await env.count(documents) == 3


async def test_copy_into_writes_rows_straight_in_and_a_key_already_there_fails_the_whole_copy(env: Env) -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    async with env.sessions() as s, s.begin():
        await copy_into(s, documents, [{"id": a, "body": {"name": "Øster"}, "tags": ["x", "y"]}])
        await copy_into(s, documents, [])  # nothing to write: no statement
    with pytest.raises(DBAPIError) as refused:
        async with env.sessions() as s, s.begin():
            await copy_into(s, documents, [{"id": b, "body": {}, "tags": []}, {"id": a, "body": {}, "tags": []}])
    assert getattr(refused.value.orig, "constraint_name", None) == "documents_pkey"  # what cases tells a race by
    async with env.sessions() as s:
        rows = (await s.execute(select(documents))).all()
    assert [(r.id, r.body, r.tags) for r in rows] == [(a, {"name": "Øster"}, ["x", "y"])]  # b went with the COPY


async def test_a_consumer_skips_event_types_it_does_not_handle_unread_and_without_an_inbox_row(env: Env) -> None:
    handled: list[str] = []

    async def handler(uow: UnitOfWork, delivered: list[Delivered]) -> None:
        handled.extend(type(d.event).__name__ for d in delivered)

    consumer = InboxConsumer(
        name="it.purges",
        handler=handler,
        uow_factory=env.uow,
        inbox=inbox,
        dlq_producer=env.producer,
        accepts=frozenset({RecordsPurged.event_type}),
    )
    imported = wrap(_event(), producer="t", correlation_id="c")
    purged = wrap(
        RecordsPurged(subject_id=uuid.uuid4(), encounter_ids=[uuid.uuid4()]), producer="t", correlation_id="c"
    )
    records = _records([imported, purged])
    records[0].headers.append(("event_type", b"FlagSet"))  # as the relay sends it: skipped unread
    records[1].headers.append(("event_type", b"RecordsPurged"))
    unlabeled = _records([wrap(_event(), producer="t", correlation_id="c")])  # no header: decoded, then ignored
    await consumer.process(records + unlabeled)
    assert handled == ["RecordsPurged"]
    assert await env.count(inbox, inbox.c.consumer == "it.purges") == 1
