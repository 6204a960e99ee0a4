"""Events benchmark: imported rows per second through cases in chunk events (EncountersImported, 1,000 rows
each, keyed batch/chunk as intake's dispatcher sends them), with 1 and with 2 instances of the service in one
consumer group.

For each run: a fresh topic set (6 partitions by default) and database, the cases instance(s) started and
joined, then N rows in chunks produced straight to the topic; the clock stops when all N encounters are in
cases' database. Each instance's /metrics shows how many chunks it consumed: the partitions' spread. Figures
only, never pass/fail.

    .venv/bin/python benchmarks/events_scaling.py [--rows 60000] [--partitions 6]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer
from sqlalchemy.engine import make_url

from shared.events import topics, wrap
from shared.events.intake import CHUNK_MAX_ROWS, EncounterFields, EncountersImported, ImportedRow
from shared.kafka import ensure_topics
from shared.outbox import partition_for
from shared.settings import TracsSettings
from tracs.infra import Postgres, Tansu, free_port
from tracs.stack import Stack


def events(n: int, batch_id: uuid.UUID) -> list[tuple[bytes, bytes]]:
    """N rows as chunk events of CHUNK_MAX_ROWS rows."""
    out = []
    for chunk, start in enumerate(range(0, n, CHUNK_MAX_ROWS)):
        rows = []
        for i in range(start, min(n, start + CHUNK_MAX_ROWS)):
            fin = f"{i:010d}"
            rows.append(
                ImportedRow(
                    encounter_id=uuid.uuid4(),
                    row_number=i + 2,
                    subject_key=f"FIN:{fin}",
                    fields=EncounterFields(fin=fin, last_name="Müller", first_name="Zoë", partner_country="GBR"),
                    raw={"FIN": fin, "Last Name": "Müller", "First Name": "Zoë"},
                )
            )
        event = EncountersImported(batch_id=batch_id, chunk=chunk, program="M5", upload_kind="partner-query", rows=rows)
        out.append((event.partition_key().encode(), wrap(event, producer="bench", correlation_id="bench").to_bytes()))
    return out


def consumed(metrics: str) -> int:
    pattern = r'tracs_events_consumed_total\{consumer="cases\.chunks",outcome="applied"\} ([0-9.e+]+)'
    return int(sum(float(v) for v in re.findall(pattern, metrics)))


async def one_run(instances: int, n: int, partitions: int, pg: Postgres, broker: Tansu, var: Path) -> dict:
    ns = f"ev{instances}{uuid.uuid4().hex[:6]}"
    settings = TracsSettings(kafka_bootstrap=broker.bootstrap, topic_partitions=partitions)
    await ensure_topics(settings, [f"{ns}.{t}" for t in topics.all_with_dlq()])
    stack = Stack(
        var=var / ns,
        database_url=pg.url,
        kafka_bootstrap=broker.bootstrap,
        ports={"cases": free_port()},
        topic_prefix=f"{ns}.",
        database_suffix=f"_{ns}",
        extra_env={"TRACS_TOPIC_PARTITIONS": str(partitions), "TRACS_LOG_LEVEL": "WARNING"},
    )
    names = ["cases"]
    for k in range(2, instances + 1):
        stack.add_instance("cases", f"cases-{k}", free_port())
        names.append(f"cases-{k}")
    batch_id = uuid.uuid4()
    payloads = events(n, batch_id)
    try:
        for name in names:
            stack.start(name)
        for name in names:
            await asyncio.to_thread(stack.wait_ready, name, 120)
        await asyncio.sleep(10)  # group join and rebalance on Tansu take several seconds
        dsn = make_url(pg.url.rsplit("/", 1)[0] + f"/tracs_cases_{ns}").set(drivername="postgresql")
        conn = await asyncpg.connect(dsn.render_as_string(hide_password=False))
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all", linger_ms=20)
        await producer.start()
        t = time.perf_counter()
        topic = f"{ns}.{topics.INTAKE_CHUNKS}"
        partitions = sorted(await producer.partitions_for(topic))
        for key, value in payloads:  # partitioned as intake's relay does (shared.outbox.partition_for)
            await producer.send(topic, value, key=key, partition=partition_for(key, partitions))
        await producer.flush()
        produced = time.perf_counter() - t
        while await conn.fetchval("SELECT count(*) FROM encounters WHERE batch_id = $1", batch_id) < n:
            await asyncio.sleep(0.2)
        elapsed = time.perf_counter() - t
        await producer.stop()
        await conn.close()
        spread = {name: consumed(httpx.get(f"{stack.url(name)}/metrics", timeout=10).text) for name in names}
    finally:
        for name in reversed(names):
            stack.stop(name)
    return {"instances": instances, "seconds": elapsed, "produce_seconds": produced, "spread": spread}


async def main_async(n: int, partitions: int, root: Path) -> None:
    pg = Postgres(root / "postgres", free_port())
    broker = Tansu(free_port(), root / "tansu.log")
    pg.start()
    broker.start()
    try:
        runs = [await one_run(k, n, partitions, pg, broker, root) for k in (1, 2)]
    finally:
        broker.stop()
        pg.stop()
    print(f"rows: {n:,} in EncountersImported chunks of {CHUNK_MAX_ROWS:,}, {partitions} partitions, one group")
    for r in runs:
        rate = n / r["seconds"]
        print(
            f"{r['instances']} instance(s): {r['seconds']:.1f} s to all encounters stored, {rate:,.0f} rows/s "
            f"(producing took {r['produce_seconds']:.1f} s); chunks consumed per instance: {r['spread']}"
        )
    print(f"ratio 2 instances / 1 instance (throughput): {runs[0]['seconds'] / runs[1]['seconds']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--partitions", type=int, default=6)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tracs-bench-") as tmp:
        try:
            asyncio.run(main_async(args.rows, args.partitions, Path(tmp)))
        except RuntimeError:
            for log in Path(tmp).rglob("*.log"):  # a process that would not start: say why before the logs go
                print(f"== {log}\n{log.read_text()[-3000:]}")
            raise


if __name__ == "__main__":
    main()
