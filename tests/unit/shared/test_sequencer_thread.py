"""The sequencer's loop runs on a thread and event loop of its own, and stops when the service stops it."""

from __future__ import annotations

import asyncio
import threading

from shared.audit_sequencer import on_own_thread


async def test_the_loop_runs_off_the_callers_thread_and_event_loop_and_stops_when_cancelled() -> None:
    seen: list[tuple[str, asyncio.AbstractEventLoop]] = []
    stopped = threading.Event()

    async def run() -> None:
        try:
            while True:
                seen.append((threading.current_thread().name, asyncio.get_running_loop()))
                await asyncio.sleep(0.01)
        finally:
            stopped.set()

    task = asyncio.create_task(on_own_thread(run, name="cases-audit-sequencer"))
    for _ in range(200):
        if len(seen) >= 3:
            break
        await asyncio.sleep(0.01)
    assert len(seen) >= 3
    assert {name for name, _ in seen} == {"cases-audit-sequencer"}
    assert all(loop is not asyncio.get_running_loop() for _, loop in seen)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert stopped.is_set()  # the loop's own cleanup ran before the service went on stopping


async def test_a_loop_that_ends_ends_the_task() -> None:
    async def run() -> None:
        await asyncio.sleep(0.01)

    await asyncio.wait_for(on_own_thread(run, name="short"), 5)
