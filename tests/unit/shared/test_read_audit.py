"""A read that writes its call's audit entry itself: what the unit of work hands out, when it counts as written,
and the middleware's second entry when the answer then fails."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from shared import audit
from shared.audit import CURRENT_REQUEST, HASHED, Entry, RequestAudit
from shared.runtime import service_metadata
from shared.uow import UnitOfWork
from shared.web import install_common


class _Session:
    info: dict[str, Any] = {}

    async def begin(self) -> None: ...
    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...
    async def close(self) -> None: ...


def _uow(read_only: bool = True) -> UnitOfWork:
    _, outbox, _ = service_metadata()
    return UnitOfWork(_Session, outbox, producer="cases", read_only=read_only)  # type: ignore[arg-type]


def _pending() -> RequestAudit:
    return RequestAudit(build=lambda status: Entry("analyst", "case:read GET /api/v1/cases", "case", None, "allowed"))


async def test_a_read_only_unit_hands_out_the_entry_and_counts_it_written_once_the_read_succeeded() -> None:
    pending = _pending()
    token = CURRENT_REQUEST.set(pending)
    try:
        uow = _uow()
        async with uow:
            params = uow.audited_read()
            assert params is not None and set(params) == {f"audit_{k}" for k in HASHED}
            assert params["audit_actor"] == "analyst" and params["audit_fields"] == []
            assert not pending.written  # not before the statement that writes it has run
        assert pending.written and pending.written_by_read
        async with uow:
            assert uow.audited_read() is None  # written: nothing more to write
    finally:
        CURRENT_REQUEST.reset(token)


async def test_a_failed_read_leaves_the_entry_to_the_middleware() -> None:
    pending = _pending()
    token = CURRENT_REQUEST.set(pending)
    try:
        uow = _uow()
        with pytest.raises(RuntimeError):
            async with uow:
                uow.audited_read()
                raise RuntimeError("the statement failed")
        assert not pending.written
    finally:
        CURRENT_REQUEST.reset(token)


async def test_outside_an_audited_call_there_is_no_entry_and_a_writing_unit_never_hands_one_out() -> None:
    uow = _uow()
    async with uow:
        assert uow.audited_read() is None
    with pytest.raises(RuntimeError, match="read-only"):
        _uow(read_only=False).audited_read()


def test_a_read_only_unit_emits_nothing() -> None:
    from shared.events.cases import EncountersAttached  # any contract

    with pytest.raises(RuntimeError, match="emits no event"):
        _uow().emit(EncountersAttached.model_construct())


def _app(status: int, sink: list[Entry]) -> FastAPI:
    app = FastAPI(title="cases")

    async def ready() -> dict[str, bool]:
        return {}

    async def record(entries: list[Entry]) -> None:
        sink.extend(entries)

    install_common(app, readiness=ready, audit=record)

    @app.get("/api/v1/cases")
    async def read(request: Request) -> JSONResponse:
        request.state.audit_action = "case:read"
        pending = audit.CURRENT_REQUEST.get()
        assert pending is not None
        pending.written = pending.written_by_read = True  # as a read-only unit does after its statement
        return JSONResponse(status_code=status, content={})

    return app


def test_the_middleware_adds_nothing_to_an_entry_the_read_wrote_unless_the_answer_failed() -> None:
    sink: list[Entry] = []
    assert TestClient(_app(200, sink)).get("/api/v1/cases").status_code == 200
    assert sink == []
    assert TestClient(_app(500, sink)).get("/api/v1/cases").status_code == 500
    assert [e.outcome for e in sink] == ["failed"]
