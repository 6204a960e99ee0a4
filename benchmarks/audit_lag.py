"""Sequencer lag as an auditor sees it: how long after an entry was written it is sequenced (chained and in
the Merkle tree, so provable at the next checkpoint). A probe polls the trail's head every 20 ms from its own
connection; afterwards each entry sequenced meanwhile is given the first poll that saw it, less its `at`
(taken when the call built it, before it committed: the lag includes the rest of the call). The poll interval
bounds the error (up to 20 ms too much, never too little).
"""

from __future__ import annotations

import asyncio
import bisect
import threading
import time
from dataclasses import dataclass, field

import asyncpg


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else float("nan")


@dataclass
class Lag:
    seconds: list[float] = field(default_factory=list)
    waiting: int = 0  # entries written meanwhile and not sequenced when the probe stopped

    def line(self) -> str:
        s = self.seconds
        if not s:
            return "sequencer lag: no entry sequenced while the probe ran"
        return (
            f"sequencer lag ({len(s):,} entries): p50 {1000 * percentile(s, 0.5):.0f} ms, "
            f"p95 {1000 * percentile(s, 0.95):.0f} ms, max {1000 * max(s):.0f} ms"
            f" (target p95 <= 1,000 ms); {self.waiting} still waiting at the end"
        )


class LagProbe:
    """`with LagProbe(dsn) as probe: <load>` then `probe.result()`: runs in its own thread and event loop, so
    it works beside synchronous load generators (wrk) as beside asyncio ones."""

    def __init__(self, dsn: str, every: float = 0.02) -> None:
        self.dsn = dsn.replace("postgresql+asyncpg://", "postgresql://")
        self.every = every
        self.samples: list[tuple[float, int]] = []  # (wall clock, head seq), the head never goes back
        self.start_seq = 0
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._poll()), daemon=True)

    def __enter__(self) -> LagProbe:
        self._thread.start()
        self._ready.wait(30)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)

    async def _poll(self) -> None:
        conn = await asyncpg.connect(self.dsn)
        try:
            self.start_seq = await conn.fetchval("SELECT coalesce(max(seq), 0) FROM audit_trail")
            self._ready.set()
            while not self._stop.is_set():
                now = time.time()
                self.samples.append((now, await conn.fetchval("SELECT coalesce(max(seq), 0) FROM audit_trail")))
                await asyncio.sleep(self.every)
        finally:
            self._ready.set()
            await conn.close()

    async def result(self) -> Lag:
        """Each entry sequenced while the probe ran, with its lag."""
        if not self.samples:
            return Lag()
        last = self.samples[-1][1]
        heads = [h for _, h in self.samples]
        conn = await asyncpg.connect(self.dsn)
        try:
            rows = await conn.fetch(
                "SELECT seq, at FROM audit_trail WHERE seq > $1 AND seq <= $2", self.start_seq, last
            )
            waiting = await conn.fetchval(
                "SELECT count(*) FROM audit_trail WHERE seq IS NULL AND at <= to_timestamp($1)", self.samples[-1][0]
            )
        finally:
            await conn.close()
        lag = Lag(waiting=waiting)
        for row in rows:
            seen = self.samples[bisect.bisect_left(heads, row["seq"])][0]
            lag.seconds.append(max(0.0, seen - row["at"].timestamp()))
        return lag
