"""Kafka clients configured one way for every service: acks=all, idempotence as a setting."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared.settings import TracsSettings

MAX_MESSAGE_BYTES = 4 * 1024 * 1024
# Record batches of up to 512 KiB instead of 16 KiB (the default): a relay round of 1,000 events is a few
# requests, not a hundred; the relay spends a third of the CPU per event.
MAX_BATCH_BYTES = 512 * 1024


def make_producer(settings: TracsSettings, *, client_id: str) -> AIOKafkaProducer:
    compression = None if settings.kafka_compression == "none" else settings.kafka_compression
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=settings.kafka_enable_idempotence,
        compression_type=compression,
        linger_ms=5,
        max_request_size=MAX_MESSAGE_BYTES,
        max_batch_size=MAX_BATCH_BYTES,
        request_timeout_ms=30000,
        metadata_max_age_ms=settings.kafka_metadata_max_age_ms,
    )


async def ensure_topics(settings: TracsSettings, names: Iterable[str], *, partitions: int | None = None) -> list[str]:
    """Create missing topics with their final partition count; returns the names created now."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, client_id="tracs-admin")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [n for n in dict.fromkeys(names) if n not in existing]
        created: list[str] = []
        for name in wanted:
            topic = NewTopic(
                name=name,
                num_partitions=partitions or settings.topic_partitions,
                replication_factor=settings.topic_replication,
            )
            try:
                await admin.create_topics([topic])
                created.append(name)
            except TopicAlreadyExistsError:
                pass
        return created
    finally:
        await admin.close()


async def describe_topics(settings: TracsSettings, names: Iterable[str]) -> dict[str, int]:
    """Partition count per existing topic (missing topics are left out)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, client_id="tracs-admin")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [n for n in names if n in existing]
        if not wanted:
            return {}
        described = await admin.describe_topics(wanted)
        return {t["topic"]: len(t["partitions"]) for t in described}
    finally:
        await admin.close()


async def broker_reachable(producer: AIOKafkaProducer) -> bool:
    try:
        async with asyncio.timeout(3.0):
            return bool(await producer.client.fetch_all_metadata())
    except Exception:
        return False
