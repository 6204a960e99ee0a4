"""The runtime's plumbing: typed subscriptions route each event type to its handler; periodic loops survive."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from shared.events.cases import FlagSet, RecordsPurged
from shared.events.envelope import wrap
from shared.inbox import Delivered, route_by_type
from shared.runtime import Runtime


def _flag() -> Delivered[FlagSet]:
    event = FlagSet(
        encounter_id=uuid.uuid4(), subject_id=uuid.uuid4(), flag="derogatory", value={"set": True}, reason="file"
    )
    return Delivered(wrap(event, producer="t", correlation_id="c"), event)


def _purge() -> Delivered[RecordsPurged]:
    event = RecordsPurged(subject_id=uuid.uuid4(), encounter_ids=[uuid.uuid4()])
    return Delivered(wrap(event, producer="t", correlation_id="c"), event)


async def test_each_handler_receives_only_its_type_and_the_batch_keeps_its_order() -> None:
    calls: list[tuple[str, list[str]]] = []

    def recorder(name: str) -> Any:
        async def handle(uow: Any, delivered: list[Delivered[Any]]) -> None:
            calls.append((name, [type(d.event).__name__ for d in delivered]))

        return handle

    dispatch = route_by_type({FlagSet: recorder("flags"), RecordsPurged: recorder("purges")})
    await dispatch(None, [_flag(), _flag(), _purge(), _flag()])  # type: ignore[arg-type]
    assert calls == [
        ("flags", ["FlagSet", "FlagSet"]),
        ("purges", ["RecordsPurged"]),
        ("flags", ["FlagSet"]),
    ]


class _Loops:
    """Just enough of a Runtime for `every`: it spawns tasks and nothing else."""

    spec = type("Spec", (), {"name": "t"})()

    def __init__(self) -> None:
        self._tasks: list[asyncio.Task] = []

    spawn = Runtime.spawn
    every = Runtime.every


async def test_a_periodic_run_that_fails_is_retried_and_one_that_reports_a_backlog_runs_again_at_once() -> None:
    loops = _Loops()
    runs: list[str] = []
    outcomes = iter(["fail", "backlog", "backlog", "idle", "idle"])

    async def work() -> bool:
        outcome = next(outcomes, "idle")
        runs.append(outcome)
        if outcome == "fail":
            raise RuntimeError("the database went away")
        return outcome == "backlog"

    loops.every(0.05, work, name="work", retry_after=0.01)  # type: ignore[attr-defined]
    await asyncio.sleep(0.12)
    for task in loops._tasks:
        task.cancel()
    # fail -> retried after 10 ms -> two backlog runs back to back -> idle, then the 50 ms interval.
    assert runs[:4] == ["fail", "backlog", "backlog", "idle"]
    assert len(runs) <= 6
