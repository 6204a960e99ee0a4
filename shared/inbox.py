"""Idempotent consumption: the inbox row and the handler's effect commit together, then the offset.

A batch is handled in one transaction. If it fails, each event is retried alone (bounded), and an
event that still fails goes to `<topic>.dlq` with its error. Database outages are not the event's
fault: they are raised so FastStream rewinds the batch (NACK_ON_ERROR) and nothing is dead-lettered.
"""

from __future__ import annotations

import asyncio
import time
import traceback
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any, Generic, TypeVar

from aiokafka import AIOKafkaProducer, ConsumerRecord
from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from shared import memory
from shared.db import copy_upsert
from shared.events import topics
from shared.events.envelope import Envelope, Event, UndecodableEvent, decode
from shared.logging import bind_correlation_id, get_logger
from shared.metrics import CONSUMER_LAG, DLQ_MESSAGES, EVENTS_CONSUMED, HANDLER_SECONDS
from shared.uow import UnitOfWork

log = get_logger(__name__)


E = TypeVar("E", bound=Event)


@dataclass(frozen=True)
class Delivered(Generic[E]):
    """A decoded event as a handler sees it."""

    envelope: Envelope
    event: E


BatchHandler = Callable[[UnitOfWork, list[Delivered[Any]]], Awaitable[None]]
UowFactory = Callable[..., UnitOfWork]


def route_by_type(routes: Mapping[type[Event], BatchHandler]) -> BatchHandler:
    """One batch handler from per-type handlers: each receives only its own event type, in topic order.

    Consecutive events of one type go to their handler together, so a batch keeps its order across types
    (a flag set after an attachment is applied after it) and every handler still runs in the batch's unit
    of work.
    """
    by_name = {t.event_type: handler for t, handler in routes.items()}

    async def dispatch(uow: UnitOfWork, delivered: list[Delivered[Any]]) -> None:
        for event_type, run in groupby(delivered, key=lambda d: d.envelope.event_type):
            await by_name[event_type](uow, list(run))

    return dispatch


def is_transient(exc: BaseException) -> bool:
    """Errors of the infrastructure, not of the event: retry the batch later, never dead-letter."""
    if isinstance(exc, OperationalError | InterfaceError | ConnectionError | TimeoutError | OSError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    # Two transactions crossed (chunks of one batch on two cases instances): retrying the batch succeeds.
    if getattr(getattr(exc, "orig", None), "sqlstate", None) in {"40P01", "40001"}:
        return True
    name = type(getattr(exc, "orig", exc)).__name__
    return name in {
        "ConnectionDoesNotExistError",
        "CannotConnectNowError",
        "InterfaceError",
        "AdminShutdownError",
    }


def _event_type(record: ConsumerRecord) -> str | None:
    """The relay's `event_type` header; None when a producer sent none (the body is decoded then)."""
    for name, value in record.headers or ():
        if name == "event_type":
            return value.decode(errors="replace")
    return None


class InboxConsumer:
    def __init__(
        self,
        *,
        name: str,
        handler: BatchHandler,
        uow_factory: UowFactory,
        inbox: Table,
        dlq_producer: AIOKafkaProducer | None,
        max_attempts: int = 3,
        retry_delay: float = 0.2,
        accepts: frozenset[str] = frozenset(),
        views: Mapping[str, type[Event]] | None = None,
    ) -> None:
        self.name = name
        self._handler = handler
        self._uow_factory = uow_factory
        self._inbox = inbox
        self.dlq_producer = dlq_producer
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay
        self._accepts = accepts
        self._views = views

    async def process(self, records: Sequence[ConsumerRecord], consumer: Any = None) -> None:
        await self._process(records, consumer)
        # Decoded events went with _process's frame: what they took can go back to the system.
        memory.after_batch(records)

    async def _process(self, records: Sequence[ConsumerRecord], consumer: Any) -> None:
        started = time.perf_counter()
        good: list[tuple[ConsumerRecord, Delivered]] = []
        for record in records:
            event_type = _event_type(record) if self._accepts else None
            if event_type is not None and event_type not in self._accepts:
                # Another consumer's event on a shared topic: no effect here, so no decode and no inbox row.
                EVENTS_CONSUMED.labels(self.name, "ignored").inc()
                continue
            try:
                envelope, event = decode(record.value, self._views)
            except UndecodableEvent as exc:
                await self._dead_letter(record, exc)
                continue
            if event is None or (self._accepts and envelope.event_type not in self._accepts):
                # A newer producer's event type, or one this consumer does not handle: not an error.
                EVENTS_CONSUMED.labels(self.name, "ignored").inc()
                continue
            good.append((record, Delivered(envelope, event)))
        if good:
            try:
                await self._apply([d for _, d in good])
            except Exception as exc:
                if is_transient(exc):
                    await asyncio.sleep(self._retry_delay * 5)
                    raise
                log.warning("batch failed; isolating events", consumer=self.name, error=type(exc).__name__)
                for record, delivered in good:
                    await self._apply_alone(record, delivered)
        HANDLER_SECONDS.labels(self.name).observe(time.perf_counter() - started)
        if consumer is not None:
            self._record_lag(records, consumer)

    async def _apply(self, delivered: list[Delivered]) -> None:
        first = delivered[0].envelope
        bind_correlation_id(first.correlation_id)
        uow = self._uow_factory(correlation_id=first.correlation_id, causation_id=str(first.event_id))
        async with uow:
            rows = [{"consumer": self.name, "event_id": d.envelope.event_id} for d in delivered]
            fresh_ids = set(await copy_upsert(uow.session, self._inbox, rows, returning="event_id"))
            fresh = [d for d in delivered if d.envelope.event_id in fresh_ids]
            # A redelivered batch may hold the same event twice: keep its first copy only.
            seen: set = set()
            unique = [d for d in fresh if not (d.envelope.event_id in seen or seen.add(d.envelope.event_id))]
            if unique:
                await self._handler(uow, unique)
        EVENTS_CONSUMED.labels(self.name, "applied").inc(len(unique))
        EVENTS_CONSUMED.labels(self.name, "duplicate").inc(len(delivered) - len(unique))
        per_request: dict[str, int] = {}
        for d in delivered:
            per_request[d.envelope.correlation_id] = per_request.get(d.envelope.correlation_id, 0) + 1
        for cid, n in per_request.items():
            bind_correlation_id(cid)
            log.info("events consumed", consumer=self.name, events=n, applied_in_batch=len(unique))

    async def _apply_alone(self, record: ConsumerRecord, delivered: Delivered) -> None:
        last: Exception | None = None
        for attempt in range(1, self._max_attempts + 1):
            try:
                await self._apply([delivered])
                return
            except Exception as exc:
                if is_transient(exc):
                    raise
                last = exc
                await asyncio.sleep(self._retry_delay * attempt)
        assert last is not None
        await self._dead_letter(record, last, event_id=delivered.envelope.event_id)

    async def _dead_letter(self, record: ConsumerRecord, exc: BaseException, event_id: Any = None) -> None:
        """Send the original bytes to `<topic>.dlq` with the error; the consumer goes on."""
        error = f"{type(exc).__name__}: {exc}"[:2000]
        headers = [
            *(record.headers or []),
            ("dlq_error", error.encode()),
            ("dlq_consumer", self.name.encode()),
            ("dlq_source", f"{record.topic}:{record.partition}:{record.offset}".encode()),
            ("dlq_trace", "".join(traceback.format_exception_only(exc)).encode()[:2000]),
        ]
        assert self.dlq_producer is not None, "the runtime sets the DLQ producer at start"
        await self.dlq_producer.send_and_wait(
            topics.dlq(record.topic), value=record.value, key=record.key, headers=headers
        )
        if event_id is not None:
            async with self._uow_factory() as uow:
                await uow.session.execute(
                    insert(self._inbox)
                    .values(consumer=self.name, event_id=event_id, status="dead-lettered", error=error)
                    .on_conflict_do_nothing()
                )
        DLQ_MESSAGES.labels(self.name, record.topic).inc()
        EVENTS_CONSUMED.labels(self.name, "dead-lettered").inc()
        # The error text may quote the payload; log only where it went.
        log.error(
            "event dead-lettered",
            consumer=self.name,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            error=type(exc).__name__,
        )

    def _record_lag(self, records: Sequence[ConsumerRecord], consumer: Any) -> None:
        from aiokafka import TopicPartition

        last: dict[tuple[str, int], int] = {}
        for r in records:
            last[(r.topic, r.partition)] = max(last.get((r.topic, r.partition), -1), r.offset)
        for (topic, partition), offset in last.items():
            high = consumer.highwater(TopicPartition(topic, partition))
            if high is not None:
                CONSUMER_LAG.labels(self.name, topic, str(partition)).set(max(0, high - offset - 1))
