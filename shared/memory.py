"""Memory a process freed, given back to the system after the bursts that allocate most.

glibc's malloc keeps what a process frees inside its heaps (one per thread arena) for later allocations and
returns it to the system only when the top of a heap is free. A Python service frees in the middle: rigour's
name tables are built with ~100 MiB of scaffolding freed after the build's peak (kept as RSS for the process's
life), and every batch of import chunks decodes ~1 MiB events into ~10 MiB of objects each, then frees them
between objects that stay. Measured in issue 32 (docs/performance.md, session 12): cases idled at ~406 MiB
after its warm-up with ~300 MiB of it in use. `malloc_trim(0)` gives the free pages of every arena back; it
costs a few milliseconds, off the event loop, and changes no object."""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
from collections.abc import Callable, Sequence
from typing import Any

# A consumer batch of at least this many bytes of events is a burst worth trimming after (an import chunk is
# up to 1 MiB; ordinary events are a few hundred bytes, so their batches never trim).
TRIM_AFTER_BYTES = 1024 * 1024
# Trimmed once the large batches stop for this long, not after each: trimming after every batch of an import
# lowered no peak (the next batch takes the pages back, faulting each in again).
QUIET_SECONDS = 5.0


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim  # type: ignore[no-any-return]
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to trim this way
        return None


_TRIM = _malloc_trim()


def release_free_memory() -> bool:
    """Give the free pages of every malloc arena back to the system; False where the C library cannot."""
    if _TRIM is None:
        return False
    _TRIM(0)  # ctypes releases the GIL for the call: other threads run meanwhile
    return True


def then_release(fn: Callable[[], object]) -> None:
    """Run `fn` (a warm-up that builds large tables and drops its scaffolding), then release what it freed."""
    fn()
    release_free_memory()


def batch_bytes(records: Sequence[Any]) -> int:
    return sum(len(r.value or b"") for r in records)


_pending: asyncio.TimerHandle | None = None


def after_batch(records: Sequence[Any]) -> None:
    """After a consumer batch of large events (import chunks, their answers): release what decoding them freed
    when no other large batch came for QUIET_SECONDS (one trim per import, off the event loop)."""
    global _pending
    if batch_bytes(records) < TRIM_AFTER_BYTES:
        return
    if _pending is not None:
        _pending.cancel()
    loop = asyncio.get_running_loop()
    _pending = loop.call_later(QUIET_SECONDS, loop.run_in_executor, None, release_free_memory)
