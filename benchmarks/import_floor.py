"""Import floor: the least the import benchmark's path can cost on this machine, stage by stage.

The import target compares upload -> confirm -> readable in cases with python-calamine reading the file.
Whatever TRACS does, that path must (A) read the workbook, (B) carry its rows through the broker in chunk
events as intake cuts them (`EncountersImported`, up to 1,000 rows or 1 MiB; produced with acks=all as the
relay does, from its own process, consumed by a bare consumer that does nothing), and (C) store one
encounter per row in cases' table with its indexes. This measures each stage alone, with real processes, and
prints the floors as ratios to A: (A + B + C) / A when nothing overlaps, and (A + max(B, C)) / A when the
broker hop and the storage overlap perfectly (rows cannot leave before the preview has read the whole file).
Figures only, never pass/fail.

    .venv/bin/python benchmarks/import_floor.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import psutil
from aiokafka import AIOKafkaConsumer

sys.path.insert(0, str(Path(__file__).parent))
from workbook import HEADER, build_workbook, calamine_seconds, cpu_seconds, rows_of

from services.cases.db import tables as cases_tables
from shared import migrations
from shared.db import copy_upsert, create_engine, ensure_database, session_factory
from shared.events import topics, wrap
from shared.events.intake import CHUNK_MAX_BYTES, CHUNK_MAX_ROWS, EncounterFields, EncountersImported, ImportedRow
from shared.kafka import ensure_topics, make_producer
from shared.outbox import _publish
from shared.settings import TracsSettings
from tracs.infra import Postgres, Tansu, free_port


def encounter_rows(rows: list[dict[str, str]]) -> list[ImportedRow]:
    """The workbook's rows as intake sends them to cases: parsed fields plus the verbatim cells."""
    return [
        ImportedRow(
            encounter_id=uuid.uuid4(),
            row_number=i + 2,
            subject_key=f"FIN:{raw['FIN']}",
            fields=EncounterFields(
                fin=raw["FIN"],
                last_name=raw["Last Name"],
                first_name=raw["First Name"],
                partner_country="GBR",
                partner_transaction_number=raw["Transaction Number"],
                data_owner="DOS",
            ),
            raw=raw,
        )
        for i, raw in enumerate(rows)
    ]


def envelopes(rows: list[ImportedRow]) -> list[SimpleNamespace]:
    """Outbox-shaped rows holding the chunks intake would cut of these rows (row count and size bounds)."""
    batch_id = uuid.uuid4()
    out: list[SimpleNamespace] = []
    chunk: list[ImportedRow] = []
    size = 0

    def cut() -> None:
        event = EncountersImported(
            batch_id=batch_id, chunk=len(out), program="UK-VISA", upload_kind="partner-query", rows=chunk
        )
        env = wrap(event, producer="bench", correlation_id="bench")
        out.append(
            SimpleNamespace(
                topic=topics.INTAKE_CHUNKS,
                key=env.key,
                event_type=env.event_type,
                event_id=env.event_id,
                correlation_id="bench",
                body=env.to_bytes(),
            )
        )

    for row in rows:
        row_size = len(row.model_dump_json())
        if chunk and (len(chunk) == CHUNK_MAX_ROWS or size + row_size > CHUNK_MAX_BYTES):
            cut()
            chunk, size = [], 0
        chunk.append(row)
        size += row_size
    if chunk:
        cut()
    return out


def _produce_in_child(bootstrap: str, items: list[SimpleNamespace], started: Any) -> None:
    """The relay's side of the hop, in its own process as in the running system."""

    async def produce() -> None:
        producer = make_producer(TracsSettings(kafka_bootstrap=bootstrap), client_id="floor")
        await producer.start()
        try:
            started.value = time.time()
            for i in range(0, len(items), 1000):  # the relay's batch size
                await _publish(producer, items[i : i + 1000], "")
        finally:
            await producer.stop()

    asyncio.run(produce())


async def broker_hop(bootstrap: str, items: list[SimpleNamespace]) -> tuple[float, float]:
    """Seconds from the first event produced to the last consumed, and the producer process's CPU seconds."""
    await ensure_topics(TracsSettings(kafka_bootstrap=bootstrap), topics.all_with_dlq())
    consumer = AIOKafkaConsumer(
        topics.INTAKE_CHUNKS, bootstrap_servers=bootstrap, group_id="floor", auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        await consumer.getmany(timeout_ms=3000)  # join the group before anything is produced
        ctx = multiprocessing.get_context("fork")
        started = ctx.Value("d", 0.0)
        child = ctx.Process(target=_produce_in_child, args=(bootstrap, items, started))
        child.start()
        seen = 0
        while seen < len(items):
            batches = await consumer.getmany(timeout_ms=500, max_records=2000)
            seen += sum(len(b) for b in batches.values())
        elapsed = time.time() - started.value
        producer_cpu = sum(psutil.Process(child.pid).cpu_times()[:2])
        child.join()
        return elapsed, producer_cpu
    finally:
        await consumer.stop()


async def storage(url: str, items: list[ImportedRow], pg_pid: int) -> tuple[float, float]:
    """Seconds to store every row, and the CPU seconds it took (this process and PostgreSQL's)."""
    await ensure_database(url)
    await asyncio.to_thread(migrations.upgrade, url, Path(cases_tables.__file__).parent.parent / "migrations")
    engine = create_engine(url)
    sessions = session_factory(engine)
    subject = uuid.uuid4()
    now = datetime.now(UTC)
    batch_id = uuid.uuid4()
    rows = [
        {
            "id": it.encounter_id,
            "subject_id": subject,
            "batch_id": batch_id,
            "row_number": it.row_number,
            "program": "UK-VISA",
            "upload_kind": "partner-query",
            "fin": it.fields.fin,
            "last_name": it.fields.last_name,
            "first_name": it.fields.first_name,
            "name_search": f"{it.fields.last_name} {it.fields.first_name}".lower(),
            "fields": it.fields.model_dump(mode="json"),
            "raw": it.raw,
            "extra": {},
            "imported_by": "bench",
            "imported_at": now,
        }
        for it in items
    ]
    try:
        async with sessions() as session, session.begin():
            await session.execute(cases_tables.subjects.insert().values(id=subject, subject_key="FIN:floor"))
        t, cpu = time.perf_counter(), time.process_time() + cpu_seconds(pg_pid)
        for i in range(0, len(rows), 2000):  # the consumer's batch size
            async with sessions() as session, session.begin():
                await copy_upsert(session, cases_tables.encounters, rows[i : i + 2000], returning="id")
        return time.perf_counter() - t, time.process_time() + cpu_seconds(pg_pid) - cpu
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tracs-floor-"))
    book = work / "matches.xlsx"
    build_workbook(book, args.rows)
    a = min(calamine_seconds(book) for _ in range(2))
    rows = encounter_rows(rows_of(book))
    items = envelopes(rows)
    size = sum(len(it.body) for it in items) / len(items)
    print(f"workbook: {args.rows:,} rows x {len(HEADER)} columns; {len(items)} chunks of {size:,.0f} bytes on average")
    pg, broker = Postgres(work / "pg", free_port()), Tansu(free_port())
    pg.start()
    broker.start()
    try:
        me, tansu = psutil.Process(), psutil.Process(broker.process.pid)  # type: ignore[union-attr]
        before = (sum(me.cpu_times()[:2]), sum(tansu.cpu_times()[:2]))
        b, producer_cpu = asyncio.run(broker_hop(broker.bootstrap, items))  # counts chunks, not rows
        b_cpu = (sum(me.cpu_times()[:2]) - before[0], sum(tansu.cpu_times()[:2]) - before[1])
        url = pg.url.rsplit("/", 1)[0] + "/tracs_floor_cases"
        c, c_cpu = asyncio.run(storage(url, rows, pg.process.pid))  # type: ignore[union-attr]
    finally:
        broker.stop()
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"A python-calamine reads the workbook:            {a:6.2f} s (the baseline)")
    print(
        f"B the rows in chunks through the broker and back: {b:6.2f} s ({args.rows / b:,.0f} rows/s; "
        f"CPU: producer {producer_cpu:.1f} s, consumer {b_cpu[0]:.1f} s, broker {b_cpu[1]:.1f} s)"
    )
    print(
        f"C one encounter per row stored in cases (COPY):  {c:6.2f} s ({args.rows / c:,.0f} rows/s; CPU {c_cpu:.1f} s)"
    )
    print(f"floor, nothing overlapping:  (A + B + C) / A = {(a + b + c) / a:.2f}")
    print(f"floor, B and C overlapping:  (A + max(B, C)) / A = {(a + max(b, c)) / a:.2f}   (import target <= 4)")
    cores = psutil.cpu_count() or 1
    cpu = a + producer_cpu + sum(b_cpu) + c_cpu
    print(f"floor, every core busy all the time: CPU (A + B + C) / {cores} cores / A = {cpu / cores / a:.2f}")


if __name__ == "__main__":
    main()
