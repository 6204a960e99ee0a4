"""Freed memory goes back to the system after the bursts that allocate most (issue 32: cases kept ~100 MiB its
warm-up had freed, and an import's decoded chunks on top, until it passed 500 MiB)."""

from __future__ import annotations

import asyncio
import platform
import threading
from types import SimpleNamespace

import pytest

from shared import memory
from shared.inbox import InboxConsumer

# musl and macOS have no malloc_trim (release_free_memory says False there): the measure is glibc's.
pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc_trim")


def _rss_mib() -> float:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def test_memory_freed_between_kept_objects_goes_back_to_the_system() -> None:
    """What a warm-up thread frees between what it keeps stays in its heap, as RSS, until it is released."""
    kept: list[bytes] = []

    def build() -> None:  # on its own thread, as the service's warm-up runs: its own malloc arena
        scaffolding = [bytes(2000) + i.to_bytes(4) for i in range(60_000)]  # ~120 MiB, above pymalloc's sizes
        kept.extend(scaffolding[::16])  # one in sixteen stays: every freed gap spans whole pages

    thread = threading.Thread(target=build)
    thread.start()
    thread.join()
    held = _rss_mib()
    assert memory.release_free_memory()
    assert held - _rss_mib() > 40, "the freed scaffolding stayed resident"
    assert len(kept) == 3750


def test_then_release_runs_the_warm_up_first(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(memory, "release_free_memory", lambda: calls.append("release") or True)
    memory.then_release(lambda: calls.append("warm up"))
    assert calls == ["warm up", "release"]


def _records(*sizes: int) -> list[SimpleNamespace]:
    return [SimpleNamespace(value=bytes(n), headers=[("event_type", b"Other")]) for n in sizes]


def _consumer() -> InboxConsumer:
    return InboxConsumer(
        name="t.chunks",
        handler=None,  # type: ignore[arg-type]  # every record is another consumer's: no handler runs
        uow_factory=None,  # type: ignore[arg-type]
        inbox=None,  # type: ignore[arg-type]
        dlq_producer=None,
        accepts=frozenset({"EncountersImported"}),
    )


@pytest.mark.parametrize(
    ("batches", "releases"),
    [
        ([(1024 * 1024,)], 1),  # one import chunk
        ([(300_000,) * 4], 1),  # four chunk answers
        ([(1024 * 1024,)] * 5, 1),  # an import's batches, one after another: one release once they stop
        ([(500,) * 2000], 0),  # a batch of ordinary events
        ([()], 0),
    ],
)
async def test_memory_is_released_once_large_batches_stop(
    monkeypatch: pytest.MonkeyPatch, batches: list[tuple[int, ...]], releases: int
) -> None:
    calls: list[bool] = []
    monkeypatch.setattr(memory, "release_free_memory", lambda: calls.append(True) or True)
    monkeypatch.setattr(memory, "QUIET_SECONDS", 0.2)
    consumer = _consumer()
    for sizes in batches:
        await consumer.process(_records(*sizes))  # type: ignore[arg-type]
        await asyncio.sleep(0.05)  # the next batch comes before the quiet period ends
    assert calls == []  # never on the batch's own path
    await asyncio.sleep(0.5)
    assert len(calls) == releases
