"""The one composition root every service uses: database, migrations, broker, relay, consumers, HTTP.

A service describes itself with a `ServiceSpec`; `create_service_app` turns it into a FastAPI app whose
lifespan connects everything. Nothing connects at import time, so tests build apps with their own settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import uvicorn
from aiokafka import AIOKafkaProducer
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.specification import AsyncAPI
from sqlalchemy import MetaData, Table
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared import audit, audit_proofs, audit_tree, memory, migrations
from shared.audit_sequencer import Sequencer, load_signing_key, on_own_thread
from shared.audit_witnessing import WitnessSubmitter
from shared.db import create_engine, ensure_database, ping, session_factory
from shared.events.envelope import Event
from shared.gauges import Sampler, run_samplers, sample_audit, sample_dlq_pending, sample_outbox
from shared.inbox import BatchHandler, InboxConsumer, route_by_type
from shared.internal import InternalClient
from shared.kafka import broker_reachable, make_producer
from shared.logging import configure_logging, get_logger
from shared.messaging_tables import messaging_tables
from shared.outbox import OutboxRelay
from shared.settings import ServiceSettings
from shared.uow import UnitOfWork
from shared.web import MAX_OFFSET, install_common, secured, unsecured_routes

log = get_logger(__name__)


@dataclass(frozen=True)
class Subscription:
    """A batch consumer of some topics, handled idempotently through the inbox.

    `handlers` maps each event type the subscription acts on to the handler that receives it: other events
    on the same topics are skipped unread, and a handler only ever sees its own type.
    """

    name: str
    topics: Sequence[str]
    handlers: Mapping[type[Event], BatchHandler]
    description: str = ""
    # Records per batch (one transaction) when not the service's `consumer_max_records`: chunk events carry up
    # to 1,000 rows each, so a handful per transaction bounds memory and keeps answers flowing.
    max_records: int | None = None

    @property
    def accepts(self) -> frozenset[str]:
        return frozenset(t.event_type for t in self.handlers)


@dataclass
class ServiceSpec:
    name: str
    metadata: MetaData
    migrations_dir: Path
    routers: Sequence[APIRouter] = ()
    subscriptions: Sequence[Subscription] = ()
    description: str = ""
    uses_broker: bool = True  # the gateway speaks HTTP only
    on_start: Callable[[Runtime], Awaitable[None]] | None = None
    # CPU-heavy loading, in a thread once the broker is connected and before listening (GIL vs producer handshake).
    warm_up: Callable[[], object] | None = None
    # Service-specific gauges read from its database on the shared timer (redress: overdue requests).
    samplers: Sequence[Sampler] = ()
    # Services whose internal API this one calls (each needs a `<target>_url` setting): one pooled client each,
    # as `runtime.internal[target]`, opened at start and closed at stop.
    calls: Sequence[str] = ()


def service_metadata() -> tuple[MetaData, Table, Table]:
    """A fresh MetaData already holding the outbox, inbox and audit trail tables."""
    metadata = MetaData()
    outbox, inbox = messaging_tables(metadata)
    audit.audit_table(metadata)
    audit_tree.tree_tables(metadata)
    return metadata, outbox, inbox


async def _undecoded(message: KafkaMessage) -> None:
    """The inbox consumer decodes the raw records itself: FastStream's JSON pass over each body is waste."""
    return None


class Runtime:
    """Live connections of one service instance."""

    def __init__(self, spec: ServiceSpec, settings: ServiceSettings) -> None:
        self.spec = spec
        self.settings = settings
        self.outbox: Table = spec.metadata.tables["outbox"]
        self.inbox: Table = spec.metadata.tables["inbox"]
        self.audit_trail: Table = spec.metadata.tables["audit_trail"]
        self.engine: AsyncEngine = create_engine(settings.service_database_url, pool_size=settings.db_pool_size)
        self.sessions: async_sessionmaker[AsyncSession] = session_factory(self.engine)
        self.read_sessions = session_factory(self.engine.execution_options(isolation_level="AUTOCOMMIT"))
        # FastStream logs two INFO lines per message; at DEBUG they drop out below our INFO level.
        self.broker = KafkaBroker(
            settings.kafka_bootstrap,
            client_id=f"tracs-{spec.name}-consumer",
            log_level=logging.DEBUG,
            metadata_max_age_ms=settings.kafka_metadata_max_age_ms,
        )
        # aiokafka clients need a running loop: the producer and relay are made in start().
        self.producer: AIOKafkaProducer | None = None
        self.relay: OutboxRelay | None = None
        self._consumers: list[InboxConsumer] = []
        self._tasks: list[asyncio.Task] = []
        self.internal: dict[str, InternalClient] = {}
        for sub in spec.subscriptions:
            self._subscribe(sub)

    def uow(
        self,
        *,
        actor: str = "system",
        correlation_id: str | None = None,
        causation_id: str | None = None,
        records_request: bool = True,
        read_only: bool = False,
    ) -> UnitOfWork:
        return UnitOfWork(
            self.read_sessions if read_only else self.sessions,
            self.outbox,
            producer=self.spec.name,
            actor=actor,
            correlation_id=correlation_id,
            causation_id=causation_id,
            records_request=records_request,
            read_only=read_only,
        )

    def _subscribe(self, sub: Subscription) -> None:
        consumer = InboxConsumer(
            name=f"{self.spec.name}.{sub.name}",
            handler=route_by_type(sub.handlers),
            uow_factory=self.uow,
            inbox=self.inbox,
            dlq_producer=None,
            max_attempts=self.settings.consumer_max_attempts,
            accepts=sub.accepts,
            views={t.event_type: t for t in sub.handlers if t.view_of is not None},
        )

        async def handle(body: Any, message: KafkaMessage) -> None:
            await consumer.process(message.raw_message, message.consumer)

        self._consumers.append(consumer)
        handle.__name__ = f"{self.spec.name}_{sub.name}"
        self.broker.subscriber(
            *[self.settings.topic(t) for t in sub.topics],
            # One group per subscription: each reads its topics independently and scales on its own.
            group_id=f"{self.settings.consumer_group}.{sub.name}",
            batch=True,
            max_records=sub.max_records or self.settings.consumer_max_records,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            decoder=_undecoded,
            title=f"{self.spec.name}.{sub.name}",
            description=sub.description,
        )(handle)

    async def start(self) -> None:
        s = self.settings
        await ensure_database(s.service_database_url)
        if s.migrate_on_start:
            await asyncio.to_thread(migrations.upgrade, s.service_database_url, self.spec.migrations_dir)
        for target in self.spec.calls:
            base = getattr(s, f"{target}_url")
            self.internal[target] = InternalClient(caller=self.spec.name, target=target, base_url=base, settings=s)
        if self.spec.on_start is not None:
            await self.spec.on_start(self)
        if s.audit_sequencer_enabled:
            self.spawn(on_own_thread(self._run_sequencer, name=f"{self.spec.name}-audit-sequencer"), "audit-sequencer")
            if s.audit_witness_url and s.audit_signing_key:
                submitter = WitnessSubmitter(self.sessions, s.audit_witness_url)
                self.every(s.audit_witness_interval, submitter.step, name="audit-witness")
        self.spawn(run_samplers(self.sessions, self._samplers(), interval=s.metrics_interval), "metrics")
        if not self.spec.uses_broker:
            log.info("service started", port=s.port)
            return
        self.producer = make_producer(s, client_id=f"tracs-{self.spec.name}")
        await self.producer.start()
        for consumer in self._consumers:
            consumer.dlq_producer = self.producer
        self.relay = OutboxRelay(
            self.sessions,
            self.outbox,
            self.producer,
            topic_prefix=s.topic_prefix,
            batch_size=s.relay_batch_size,
            poll_interval=s.relay_poll_interval,
            crash_after_publish=s.fault_relay_crash_after_publish,
        )
        if s.relay_enabled:
            self._tasks.append(asyncio.create_task(self.relay.run_forever(), name=f"{self.spec.name}-relay"))
        if s.consumers_enabled and self.spec.subscriptions:
            await self.broker.start()
        if self.spec.warm_up is not None:
            await asyncio.to_thread(memory.then_release, self.spec.warm_up)
        log.info("service started", port=s.port, relay=s.relay_enabled, consumers=s.consumers_enabled)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            await self.broker.stop()
        if self.producer is not None:
            with contextlib.suppress(Exception):
                await self.producer.stop()
        for client in self.internal.values():
            with contextlib.suppress(Exception):
                await client.aclose()
        await self.engine.dispose()

    def _samplers(self) -> list[Sampler]:
        consumers = [c.name for c in self._consumers]

        async def outbox(session: AsyncSession) -> None:
            await sample_outbox(session, self.outbox)

        async def dead_letters(session: AsyncSession) -> None:
            await sample_dlq_pending(session, self.inbox, consumers)

        async def audit_trail(session: AsyncSession) -> None:
            await sample_audit(session, self.audit_trail)

        return [outbox, audit_trail, *([dead_letters] if consumers else []), *self.spec.samplers]

    def spawn(self, coro: Awaitable[None], name: str) -> None:
        """A background loop of this instance, cancelled when it stops."""
        self._tasks.append(asyncio.create_task(coro, name=f"{self.spec.name}-{name}"))  # type: ignore[arg-type]

    def every(
        self,
        interval: float,
        fn: Callable[[], Awaitable[object]],
        *,
        name: str,
        first_after: float = 0.0,
        retry_after: float | None = None,
    ) -> None:
        """Run `fn` every `interval` seconds until the instance stops.

        A run that returns True found more work than it took (a backlog) and is followed at once by the
        next; a run that raises is logged (type only: messages may quote data) and tried again after
        `retry_after` (default: the interval), so one failure never ends the loop.
        """

        async def loop() -> None:
            await asyncio.sleep(first_after)
            while True:
                try:
                    if await fn() is True:
                        continue
                    pause = interval
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.warning("periodic run failed; will retry", loop=name, error=type(exc).__name__)
                    pause = interval if retry_after is None else retry_after
                await asyncio.sleep(pause)

        self.spawn(loop(), name)

    async def _run_sequencer(self) -> None:
        """The sequencer with an engine of its own (two connections: the round, the idle check), on the
        thread `on_own_thread` gives it: no request's pool checkout or event loop turn delays a round."""
        engine = create_engine(self.settings.service_database_url, pool_size=2)
        try:
            await self.sequencer(engine).run_forever()
        finally:
            await engine.dispose()

    def sequencer(self, engine: AsyncEngine | None = None) -> Sequencer:
        s = self.settings
        engine = engine or self.engine
        return Sequencer(
            session_factory(engine),
            self.audit_trail,
            self.outbox,
            service=self.spec.name,
            key=load_signing_key(s.audit_signing_key),
            every_entries=s.audit_checkpoint_entries,
            every_seconds=s.audit_checkpoint_seconds,
            interval=s.audit_sequencer_interval,
            engine=engine,
        )

    async def audit(self, entries: list[audit.Entry]) -> None:
        """Append to this service's trail: one INSERT in autocommit, no lock (the sequencer chains it)."""
        async with self.engine.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            rows = [tuple(audit.row_of(e).values()) for e in entries]
            if len(rows) == 1:
                await raw.execute(audit.INSERT_ONE, *rows[0])  # type: ignore[union-attr]
            else:
                await raw.executemany(audit.INSERT_ONE, rows)  # type: ignore[union-attr]

    async def readiness(self) -> dict[str, bool]:
        try:
            await asyncio.wait_for(ping(self.engine), 3)
            db_ok = True
        except Exception:
            db_ok = False
        if not self.spec.uses_broker or self.producer is None:
            return {"database": db_ok} if not self.spec.uses_broker else {"database": db_ok, "broker": False}
        return {"database": db_ok, "broker": await broker_reachable(self.producer)}

    def asyncapi(self) -> dict[str, Any]:
        return AsyncAPI(self.broker, title=f"TRACS {self.spec.name}", version="1").to_specification().to_jsonable()


async def get_runtime(request: Request) -> Runtime:
    """Async on purpose: FastAPI runs a plain `def` dependency in a worker thread, on every request."""
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def create_service_app(spec: ServiceSpec, settings: ServiceSettings, **fastapi_options: Any) -> FastAPI:
    configure_logging(spec.name, level=settings.log_level, json=settings.log_json)
    runtime = Runtime(spec, settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title=f"tracs-{spec.name}",
        description=spec.description,
        version="1",
        lifespan=lifespan,
        **fastapi_options,
    )
    app.state.runtime = runtime
    app.state.settings = settings
    install_common(app, readiness=runtime.readiness, audit=runtime.audit)
    app.include_router(audit_router)

    for router in spec.routers:
        app.include_router(router)
    if spec.uses_broker:  # after the service's routes: the gateway serves every contract's document instead

        @app.get("/asyncapi.json", include_in_schema=False)
        async def asyncapi() -> dict[str, Any]:
            return runtime.asyncapi()

    if open_routes := unsecured_routes(app):
        raise RuntimeError(f"{spec.name}: routes without an access rule: {', '.join(open_routes)}")
    return app


audit_router = APIRouter(tags=["audit"])


@audit_router.get("/audit", **secured("audit:read"))
async def audit_trail(
    rt: RuntimeDep,
    record_type: str | None = None,
    record_id: Annotated[
        list[str] | None, Query(max_length=200, description="an id or its first characters; repeat for several")
    ] = None,
    actor: str | None = None,
    since: Annotated[datetime | None, Query(description="entries at or after this instant")] = None,
    until: Annotated[datetime | None, Query(description="entries before this instant")] = None,
    correlation_id: Annotated[list[str] | None, Query(max_length=500, description="the calls of these actions")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[dict[str, Any]]:
    """This service's audit entries for auditors, newest first (the gateway merges every service's)."""
    query = audit.TrailQuery(
        record_type=record_type,
        record_ids=[i[:100] for i in record_id or []],
        actor=actor,
        since=since,
        until=until,
        correlation_ids=[c[:64] for c in correlation_id or []],
        limit=limit,
        offset=offset,
    )
    async with rt.sessions() as session:
        return await audit.trail(session, rt.audit_trail, query=query)


@audit_router.get("/audit/entries/{seq}/proof", **secured("audit:read"))
async def audit_inclusion_proof(
    rt: RuntimeDep,
    seq: int,
    size: Annotated[int | None, Query(ge=1, description="the checkpoint's tree size; default: the latest")] = None,
) -> dict[str, Any]:
    """Entry `seq` of this service's trail, with its RFC 9162 inclusion proof in a signed checkpoint."""
    async with rt.sessions() as session:
        return await audit_proofs.inclusion(session, rt.audit_trail, seq=seq, size=size)


@audit_router.get("/audit/proofs", **secured("audit:read"))
async def audit_inclusion_proofs(
    rt: RuntimeDep,
    seq: Annotated[list[int], Query(max_length=1000, description="the entries to prove (repeat: seq=1&seq=5)")],
    size: Annotated[int, Query(ge=1, description="the tree size of the checkpoint to prove them in")],
) -> dict[str, Any]:
    """Several entries with their inclusion proofs in one checkpoint: the console shows a page's proof status
    with one request (and one audited read) per service rather than one per entry."""
    async with rt.sessions() as session:
        return await audit_proofs.inclusions(session, rt.audit_trail, seqs=seq, size=size)


@audit_router.get("/audit/consistency", **secured("audit:read"))
async def audit_consistency_proof(
    rt: RuntimeDep, first: Annotated[int, Query(ge=1)], second: Annotated[int, Query(ge=1)]
) -> dict[str, Any]:
    """The RFC 9162 consistency proof that the tree of `second` entries extends the tree of `first`."""
    async with rt.sessions() as session:
        return await audit_proofs.consistency(session, first=first, second=second)


@audit_router.get("/audit/checkpoint", **secured("audit:read"))
async def audit_latest_checkpoint(rt: RuntimeDep) -> dict[str, Any]:
    """The latest checkpoint of this service's tree (a C2SP signed note)."""
    async with rt.sessions() as session:
        return await audit_proofs.latest_checkpoint(session)


def serve(app_factory: Callable[[], FastAPI], settings: ServiceSettings) -> None:
    """Run one instance; uvicorn handles SIGINT/SIGTERM so the lifespan closes connections cleanly."""
    uvicorn.run(app_factory(), host=settings.host, port=settings.port, log_config=None, access_log=False)
