"""Unit of work: one transaction holding the state change and the events it causes (outbox)."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared import audit, outbox
from shared.events.envelope import Envelope, Event, wrap, wrap_payload
from shared.logging import current_correlation_id


class UnitOfWork:
    """Commits on a clean exit of the outermost `async with`, rolls back otherwise.

    Re-entrant, so a consumer can open it (inbox insert) and the handler it calls can enter it again.
    Handlers never commit; they `emit` events, which reach the outbox in the same transaction. Inside an
    audited HTTP call, the first transaction that changes anything carries the call's audit entry too, so
    an effect and its entry commit together (`records_request=False` for a unit that only writes an
    explicit entry about a refusal).

    A `read_only` unit runs on autocommit sessions: no BEGIN and no COMMIT round trip around a read, and each
    statement sees the latest commits as it would inside a READ COMMITTED transaction. It emits nothing, and its
    one statement may write the call's audit entry itself (`audited_read`).
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        outbox_table: Table,
        *,
        producer: str,
        actor: str = "system",
        correlation_id: str | None = None,
        causation_id: str | None = None,
        records_request: bool = True,
        read_only: bool = False,
    ) -> None:
        self._sessions = sessions
        self.records_request = records_request
        self.read_only = read_only
        self._read_entry: audit.RequestAudit | None = None
        self._outbox = outbox_table
        self.producer = producer
        self.actor = actor
        self.correlation_id = correlation_id
        self.causation_id = causation_id
        self._depth = 0
        self._pending: list[tuple[str, Envelope]] = []
        self.session: AsyncSession

    async def __aenter__(self) -> UnitOfWork:
        if self._depth == 0:
            self.session = self._sessions()
            await self.session.begin()
            self._pending = []
        self._depth += 1
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._depth -= 1
        if self._depth > 0:
            return
        try:
            if exc_type is None:
                await self.flush()
                recorded = await audit.record_request_if_written(self.session) if self.records_request else None
                await self.session.commit()
                if recorded is not None:
                    recorded.written = True
                if self._read_entry is not None:
                    self._read_entry.written = self._read_entry.written_by_read = True
            else:
                await self.session.rollback()
        finally:
            self._pending = []
            self._read_entry = None
            await self.session.close()

    def audited_read(self) -> dict[str, Any] | None:
        """The parameters of `audit.entry_cte` for the call's entry, which this read-only unit's one statement then
        writes with the read itself (one round trip, committed with it); None when there is nothing to write."""
        if not self.read_only:
            raise RuntimeError("only a read-only unit of work writes the call's entry with its read")
        claimed = audit.read_entry()
        if claimed is None:
            return None
        self._read_entry, params = claimed
        return params

    def emit(self, event: Event, *, causation_id: str | None = None, correlation_id: str | None = None) -> Envelope:
        """Queue an event for the outbox; a consumer passes the id of the event that caused it."""
        self._writable()
        envelope = wrap(
            event,
            producer=self.producer,
            correlation_id=correlation_id or self.correlation_id or current_correlation_id(),
            actor=self.actor,
            causation_id=causation_id or self.causation_id,
        )
        self._pending.append((event.topic, envelope))
        return envelope

    def emit_payload(
        self,
        contract_cls: type[Event],
        payload: dict[str, Any],
        *,
        key: str,
        causation_id: str | None = None,
        correlation_id: str | None = None,
    ) -> None:
        """Bulk path: queue an event from a JSON-native payload (see `wrap_payload`)."""
        self._writable()
        envelope = wrap_payload(
            contract_cls,
            payload,
            key=key,
            producer=self.producer,
            correlation_id=correlation_id or self.correlation_id or current_correlation_id(),
            actor=self.actor,
            causation_id=causation_id or self.causation_id,
        )
        self._pending.append((contract_cls.topic, envelope))

    def _writable(self) -> None:
        if self.read_only:
            raise RuntimeError("a read-only unit of work emits no event: its statements commit one by one")

    async def flush(self) -> None:
        """Write queued events to the outbox now, inside the open transaction (bounds memory on bulk paths)."""
        if self._pending:
            await outbox.write(self.session, self._outbox, self._pending)
            self._pending = []
