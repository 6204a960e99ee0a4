"""A unit of work without a database, for use-case tests of per-record rules (the cosmicpython way).

It keeps the real one's contract: re-entrant `async with`, commit only on a clean exit of the outermost
block, `emit` collecting events that are kept only when the unit commits. A use case's queries are
replaced by an in-memory fake of its service's query module (monkeypatched in the test), so a rule is
tested without PostgreSQL; the same use cases also run against the real database in tests/integration
and tests/e2e.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from shared.events.envelope import Event


class FakeUnitOfWork:
    def __init__(self, *, actor: str = "analyst", correlation_id: str = "test") -> None:
        self.actor = actor
        self.correlation_id = correlation_id
        self.causation_id: str | None = None
        self.records_request = True
        self.read_only = False  # the fake queries write no audit entry: the real read-only unit is tested apart
        self.session: Any = object()  # handed to the fake queries, which ignore it
        self.committed = 0
        self.rolled_back = 0
        self.events: list[Event] = []  # what reached the outbox: events of committed units only
        self._pending: list[Event] = []
        self._depth = 0

    async def __aenter__(self) -> FakeUnitOfWork:
        if self._depth == 0:
            self._pending = []
        self._depth += 1
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._depth -= 1
        if self._depth > 0:
            return
        if exc_type is None:
            self.events += self._pending
            self.committed += 1
        else:
            self.rolled_back += 1
        self._pending = []

    def emit(self, event: Event, **_: Any) -> None:
        self._pending.append(event)

    def emit_payload(self, contract_cls: type[Event], payload: dict[str, Any], **_: Any) -> None:
        self._pending.append(contract_cls.model_validate(payload))

    async def flush(self) -> None:
        return None
