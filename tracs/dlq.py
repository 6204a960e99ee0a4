"""Dead letters for operators: read the `.dlq` topics, replay a message through its consumer, or drop it.

A Kafka topic cannot forget one message, so what an operator did is kept where it must be kept anyway: the
gateway's audit trail (`dlq:replay`, `dlq:drop`, record type `dlq_message`, record id
`<topic>.dlq:<partition>:<offset>`). `list` hides what the trail says was handled, so every command can be
repeated safely. The consuming service's inbox says what became of the event itself:

- replay deletes the consumer's `dead-lettered` inbox row, then republishes the original record (value,
  key, headers) to its source topic: the consumer applies it as new, exactly once (the inbox row it writes
  then absorbs any further copy); every other consumer of the topic already has a row and skips it.
- drop marks the inbox row `dropped`: still a duplicate for the inbox, so a later outbox replay cannot
  apply it behind the operator's back, and no longer counted by `tracs_dlq_pending`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import MetaData, select, update

from shared import audit
from shared.db import create_engine, session_factory
from shared.events import topics
from shared.kafka import make_producer
from shared.messaging_tables import inbox_table
from shared.settings import TracsSettings
from tracs.stack import SERVICES as CONSUMING_SERVICES

SERVICES = frozenset({*CONSUMING_SERVICES, "gateway"})

RECORD_TYPE = "dlq_message"
HANDLED = ("dlq:replay", "dlq:drop")
DLQ_HEADERS = frozenset({"dlq_error", "dlq_consumer", "dlq_source", "dlq_trace"})


class UnknownDeadLetter(LookupError):
    """No such message in a dead-letter topic (wrong id, or gone with the topic's retention)."""


@dataclass(frozen=True)
class DeadLetter:
    """One message of a `.dlq` topic with its original record and what the consumer said."""

    dlq_topic: str  # logical name, without the deployment's prefix
    partition: int
    offset: int
    timestamp: datetime
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]  # the original record's, without the dlq_* ones

    error: str
    consumer: str
    source: str  # physical `topic:partition:offset` of the original record
    trace: str

    @property
    def id(self) -> str:
        return f"{self.dlq_topic}:{self.partition}:{self.offset}"

    @property
    def source_topic(self) -> str:
        return self.source.rsplit(":", 2)[0]

    @property
    def service(self) -> str:
        return self.consumer.split(".", 1)[0]

    def header(self, name: str) -> str | None:
        return next((v.decode(errors="replace") for k, v in self.headers if k == name), None)

    @property
    def event_id(self) -> str | None:
        """The relay's `event_id` header, else the envelope's field; None for a body that is not an envelope."""
        if found := self.header("event_id"):
            return found
        try:
            body = orjson.loads(self.value)
        except orjson.JSONDecodeError:
            return None
        value = body.get("event_id") if isinstance(body, dict) else None
        return str(value) if value else None

    @property
    def event_type(self) -> str | None:
        if found := self.header("event_type"):
            return found
        try:
            body = orjson.loads(self.value)
        except orjson.JSONDecodeError:
            return None
        return str(body.get("event_type")) if isinstance(body, dict) and body.get("event_type") else None


@dataclass(frozen=True)
class Handling:
    action: str  # dlq:replay or dlq:drop
    actor: str
    at: datetime
    detail: str | None


def parse_id(message_id: str, settings: TracsSettings) -> tuple[str, int, int]:
    """`<topic>.dlq:<partition>:<offset>`; the deployment's topic prefix may be given or left out."""
    try:
        topic, partition, offset = message_id.rsplit(":", 2)
        parsed = (topic.removeprefix(settings.topic_prefix), int(partition), int(offset))
    except ValueError:
        raise UnknownDeadLetter(f"{message_id!r} is not <topic>.dlq:<partition>:<offset>") from None
    if parsed[0] not in {topics.dlq(t) for t in topics.ALL}:
        raise UnknownDeadLetter(f"{parsed[0]!r} is not a dead-letter topic ({', '.join(topics.ALL)} + .dlq)")
    return parsed


def _dead_letter(record: Any, settings: TracsSettings) -> DeadLetter:
    meta = {k: v.decode(errors="replace") for k, v in record.headers or () if k in DLQ_HEADERS}
    return DeadLetter(
        dlq_topic=record.topic.removeprefix(settings.topic_prefix),
        partition=record.partition,
        offset=record.offset,
        timestamp=datetime.fromtimestamp(record.timestamp / 1000, UTC),
        key=record.key,
        value=record.value,
        headers=tuple((k, v) for k, v in record.headers or () if k not in DLQ_HEADERS),
        error=meta.get("dlq_error", ""),
        consumer=meta.get("dlq_consumer", ""),
        source=meta.get("dlq_source", ""),
        trace=meta.get("dlq_trace", ""),
    )


async def read(settings: TracsSettings, *, only: tuple[str, int, int] | None = None) -> list[DeadLetter]:
    """Every message now in the dead-letter topics (or the one `only` names), oldest first per partition."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        client_id="tracs-dlq",
        group_id=None,
        enable_auto_commit=False,
        metadata_max_age_ms=settings.kafka_metadata_max_age_ms,
    )
    await consumer.start()
    try:
        if only is not None:
            wanted = [TopicPartition(settings.topic(only[0]), only[1])]
        else:
            existing = await consumer.topics()
            names = [n for n in (settings.topic(topics.dlq(t)) for t in topics.ALL) if n in existing]
            wanted = [TopicPartition(n, p) for n in names for p in sorted(consumer.partitions_for_topic(n) or ())]
        if not wanted:
            return []
        consumer.assign(wanted)
        ends = await consumer.end_offsets(wanted)
        starts = await consumer.beginning_offsets(wanted)
        out: list[DeadLetter] = []
        for tp in wanted:
            first = starts[tp] if only is None else only[2]
            last = ends[tp] if only is None else min(ends[tp], only[2] + 1)
            if first >= last:
                continue
            consumer.seek(tp, first)
            while (await consumer.position(tp)) < last:
                batch = await consumer.getmany(tp, timeout_ms=2000, max_records=500)
                records = batch.get(tp, [])
                if not records:
                    break
                out.extend(_dead_letter(r, settings) for r in records if first <= r.offset < last)
        return out
    finally:
        await consumer.stop()


class Operator:
    """The databases a dead-letter action touches: the gateway's audit trail and each consumer's inbox."""

    def __init__(self, settings_of: Any) -> None:
        # settings_of(service) -> that service's Settings (tracs/cli.py passes its loader)
        self._settings_of = settings_of
        gateway_db = importlib.import_module("services.gateway.db")
        self._trail = gateway_db.metadata.tables["audit_trail"]
        self._inbox = inbox_table(MetaData())
        self._engines: dict[str, Any] = {}

    def _sessions(self, service: str) -> Any:
        if service not in SERVICES:  # the name comes from a message header: never import what it says
            raise UnknownDeadLetter(f"no service {service!r} in TRACS")
        if service not in self._engines:
            self._engines[service] = create_engine(self._settings_of(service).service_database_url, pool_size=1)
        return session_factory(self._engines[service])

    async def close(self) -> None:
        for engine in self._engines.values():
            await engine.dispose()

    async def handled(self) -> dict[str, Handling]:
        """What the gateway's trail says operators did, per message id (the latest action wins)."""
        t = self._trail
        async with self._sessions("gateway")() as session:
            rows = (
                await session.execute(
                    select(t.c.record_id, t.c.action, t.c.actor, t.c.at, t.c.detail)
                    .where(t.c.record_type == RECORD_TYPE, t.c.action.in_(HANDLED), t.c.outcome == "allowed")
                    .order_by(t.c.seq)
                )
            ).all()
        return {r.record_id: Handling(r.action, r.actor, r.at, r.detail) for r in rows}

    async def audit(
        self,
        *,
        actor: str,
        action: str,
        record_id: str | None,
        fields: tuple[str, ...] = (),
        detail: str | None = None,
        outcome: str = "allowed",
    ) -> None:
        """One entry in the gateway's trail; only `allowed` replays and drops count as handled."""
        entry = audit.Entry(
            actor=actor,
            action=action,
            record_type=RECORD_TYPE,
            record_id=record_id,
            outcome=outcome,
            fields=fields,
            client="tracs-cli",
            detail=detail,
        )
        async with self._sessions("gateway")() as session, session.begin():
            await audit.append(session, self._trail, [entry])

    async def forget_dead_letter(self, letter: DeadLetter) -> int:
        """Remove the consumer's `dead-lettered` inbox row so the replayed event applies as new."""
        return await self._set_inbox(letter, None)

    async def mark_dropped(self, letter: DeadLetter) -> int:
        return await self._set_inbox(letter, "dropped")

    async def _set_inbox(self, letter: DeadLetter, status: str | None) -> int:
        if not letter.event_id or not letter.consumer:
            return 0  # undecodable: the consumer never wrote an inbox row for it
        i = self._inbox
        where = (i.c.consumer == letter.consumer, i.c.event_id == letter.event_id, i.c.status == "dead-lettered")
        async with self._sessions(letter.service)() as session, session.begin():
            stmt = i.delete().where(*where) if status is None else update(i).where(*where).values(status=status)
            return (await session.execute(stmt)).rowcount or 0


async def republish(settings: TracsSettings, letter: DeadLetter) -> tuple[str, int, int]:
    """The original record back on its source topic: same value, key and headers (partition by key)."""
    producer = make_producer(settings, client_id="tracs-dlq-replay")
    await producer.start()
    try:
        sent = await producer.send_and_wait(
            letter.source_topic, value=letter.value, key=letter.key, headers=list(letter.headers)
        )
    finally:
        await producer.stop()
    return sent.topic, sent.partition, sent.offset
