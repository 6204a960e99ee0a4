"""Oversight assembly against fake services and an in-memory gateway trail: merged, ordered, withheld parts named."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from services.gateway import oversight
from shared.errors import NotFound, Unavailable
from tests.unit.fakes import FakeUnitOfWork

SERVICES = {name: f"http://{name}" for name in ("intake", "cases", "disclosure", "redress", "reporting")}
SUBJECT = uuid.UUID("00000000-0000-4000-8000-000000000001")


class FakeTrail:
    """services.gateway.db.oversight in memory: remembers what it was asked."""

    def __init__(self, entries: list[dict[str, Any]]) -> None:
        self.entries = entries
        self.asked: list[tuple[str | None, str | None, int]] = []

    async def trail(self, session: Any, *, record_type: str | None, record_id: str | None, limit: int) -> list[Any]:
        self.asked.append((record_type, record_id, limit))
        return self.entries


def _services_answering(answers: dict[str, tuple[int, Any]]) -> Any:
    asked: list[tuple[str, dict[str, Any] | None]] = []

    async def read(url: str, params: dict[str, Any] | None = None) -> tuple[int, Any]:
        asked.append((url, params))
        return answers.get(url.split("?")[0], (200, []))

    read.asked = asked  # type: ignore[attr-defined]
    return read


@pytest.fixture
def own_trail(monkeypatch: pytest.MonkeyPatch) -> FakeTrail:
    fake = FakeTrail([{"at": "2026-11-24T12:03:00+00:00", "action": "login"}])
    monkeypatch.setattr(oversight, "queries", fake)
    return fake


async def test_the_trail_merges_every_service_and_the_gateway_newest_first_within_the_limit(
    own_trail: FakeTrail,
) -> None:
    read = _services_answering(
        {
            "http://cases/audit": (200, [{"at": "2026-11-24T12:01:00+00:00"}, {"at": "2026-11-24T12:04:00+00:00"}]),
            "http://intake/audit": (200, [{"at": "2026-11-24T12:02:00+00:00"}]),
        }
    )
    merged = await oversight.audit_trail(uow=FakeUnitOfWork(), read=read, services=SERVICES, record="case:42", limit=3)
    assert [(e["service"], e["at"][11:16]) for e in merged] == [
        ("cases", "12:04"),
        ("gateway", "12:03"),
        ("intake", "12:02"),
    ]
    assert own_trail.asked == [("case", "42", 3)]
    assert read.asked[0] == ("http://intake/audit", {"record_type": "case", "record_id": "42", "limit": 3})


async def test_a_service_that_does_not_give_its_trail_fails_the_whole_answer(own_trail: FakeTrail) -> None:
    read = _services_answering({"http://redress/audit": (503, "unavailable")})
    with pytest.raises(Unavailable, match="redress"):
        await oversight.audit_trail(uow=FakeUnitOfWork(), read=read, services=SERVICES, record=None, limit=10)


async def test_the_subject_export_names_the_parts_the_caller_may_not_see() -> None:
    cases = "http://cases/api/v1"
    read = _services_answering(
        {
            f"{cases}/subjects/{SUBJECT}": (200, {"id": str(SUBJECT), "encounters": [{"id": "e1"}]}),
            f"{cases}/cases": (200, {"items": [{"id": "c1"}]}),
            f"{cases}/cases/c1": (200, {"id": "c1"}),
            "http://disclosure/api/v1/disclosures/accounting": (403, {"detail": "no"}),
        }
    )
    doc = await oversight.subject_export(read=read, services=SERVICES, subject_id=SUBJECT, generated_for="auditor")
    assert doc["cases"] == [{"id": "c1"}] and doc["encounters"] == [{"id": "e1"}]
    assert doc["accounting_of_disclosures"] == {"withheld": "not available to you (403)"}
    assert doc["redress"] == [] and doc["generated_for"] == "auditor" and "encounters" not in doc["subject"]


async def test_the_subject_export_of_an_unknown_subject_is_not_found() -> None:
    read = _services_answering({f"http://cases/api/v1/subjects/{SUBJECT}": (404, {"detail": "no"})})
    with pytest.raises(NotFound):
        await oversight.subject_export(read=read, services=SERVICES, subject_id=SUBJECT, generated_for="auditor")
