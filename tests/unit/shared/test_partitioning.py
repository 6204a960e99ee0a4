"""Where the relay sends an event: murmur2 of its key, except an import's chunks, which take turns."""

from __future__ import annotations

import itertools
import uuid
from collections import Counter

from aiokafka.partitioner import DefaultPartitioner

from shared.outbox import partition_for

PARTITIONS = list(range(6))


def test_a_files_chunks_take_every_partition_in_turn() -> None:
    batch = uuid.uuid4()
    placed = [partition_for(f"{batch}/{n}".encode(), PARTITIONS) for n in range(120)]
    assert Counter(placed) == dict.fromkeys(PARTITIONS, 20)  # even, where hashing leaves one with far more
    assert all(b == (a + 1) % 6 for a, b in itertools.pairwise(placed))
    assert partition_for(f"{batch}/7".encode(), PARTITIONS) == placed[7]  # one key, one partition


def test_other_keys_go_where_the_java_client_would_put_them() -> None:
    default = DefaultPartitioner()
    for key in (b"FIN:12345", str(uuid.uuid4()).encode(), b"a/b", b"/3", b"x/3a"):
        assert partition_for(key, PARTITIONS) == default(key, PARTITIONS, PARTITIONS)
