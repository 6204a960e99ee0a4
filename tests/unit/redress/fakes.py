"""In-memory stand-ins for redress's query modules and for cases' internal API, for use-case unit tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from services.redress import corrections, owner_notices, records, relinks, requests, search_log


class FakeRedressQueries:
    """One object answering for db/requests.py, db/records.py and db/corrections.py, rows kept in dicts."""

    def __init__(self) -> None:
        self.requests: dict[uuid.UUID, dict[str, Any]] = {}
        self.timeline: list[dict[str, Any]] = []
        self.links: dict[tuple[uuid.UUID, uuid.UUID], dict[str, Any]] = {}
        self.findings: list[dict[str, Any]] = []
        self.corrections: dict[uuid.UUID, dict[str, Any]] = {}
        self.searches: list[dict[str, Any]] = []
        self.relinks: dict[uuid.UUID, dict[str, Any]] = {}
        self.notices: dict[uuid.UUID, dict[str, Any]] = {}

    # db/requests.py
    async def by_trip_number(self, session: Any, trip_number: str) -> Any:
        return next((k for k, r in self.requests.items() if r.get("trip_number") == trip_number), None)

    async def insert_request(self, session: Any, row: dict[str, Any]) -> None:
        defaults = {"reviewers": [], "determination": None, "response": None, "first_action_at": None}
        self.requests[row["id"]] = {**defaults, **row}

    async def get_request(self, session: Any, redress_id: uuid.UUID, *, for_update: bool = False) -> Any:
        return self.requests.get(redress_id)

    async def update_request(self, session: Any, redress_id: uuid.UUID, **values: Any) -> None:
        self.requests[redress_id].update(values)

    async def add_event(self, session: Any, redress_id: uuid.UUID, actor: str, action: str, detail: dict) -> None:
        self.timeline.append({"redress_id": redress_id, "actor": actor, "action": action, "detail": detail})

    async def events(self, session: Any, redress_id: uuid.UUID) -> list[Any]:
        return [e for e in self.timeline if e["redress_id"] == redress_id]

    # db/records.py
    async def link(self, session: Any, row: dict[str, Any]) -> bool:
        key = (row["redress_id"], row["encounter_id"])
        if key in self.links:
            return False
        self.links[key] = row
        return True

    async def request_links(self, session: Any, redress_id: uuid.UUID) -> list[Any]:
        return [r for (rid, _), r in self.links.items() if rid == redress_id]

    async def insert_finding(self, session: Any, row: dict[str, Any]) -> None:
        self.findings.append(row)

    async def request_findings(self, session: Any, redress_id: uuid.UUID) -> list[Any]:
        return [f for f in self.findings if f["redress_id"] == redress_id]

    # db/corrections.py
    async def insert_correction(self, session: Any, row: dict[str, Any]) -> None:
        self.corrections[row["id"]] = dict(row)

    async def get_correction(self, session: Any, redress_id: uuid.UUID, correction_id: uuid.UUID) -> Any:
        c = self.corrections.get(correction_id)
        return c if c is not None and c["redress_id"] == redress_id else None

    async def set_decision(self, session: Any, correction_id: uuid.UUID, **values: Any) -> None:
        self.corrections[correction_id].update(values)

    async def request_corrections(self, session: Any, redress_id: uuid.UUID) -> list[Any]:
        return [c for c in self.corrections.values() if c["redress_id"] == redress_id]

    # db/search_log.py
    async def add_search(self, session: Any, row: dict[str, Any]) -> None:
        self.searches.append(dict(row))

    async def searches_of(self, session: Any, redress_id: uuid.UUID) -> list[Any]:
        return [x for x in self.searches if x["redress_id"] == redress_id]

    # db/relinks.py
    async def insert_relink(self, session: Any, row: dict[str, Any]) -> None:
        self.relinks[row["id"]] = {"undone_by": None, **row}

    async def get_relink(self, session: Any, redress_id: uuid.UUID, relink_id: uuid.UUID) -> Any:
        r = self.relinks.get(relink_id)
        return r if r is not None and r["redress_id"] == redress_id else None

    async def mark_undone(self, session: Any, relink_id: uuid.UUID, undone_by: uuid.UUID) -> None:
        self.relinks[relink_id]["undone_by"] = undone_by

    async def request_relinks(self, session: Any, redress_id: uuid.UUID) -> list[Any]:
        return [r for r in self.relinks.values() if r["redress_id"] == redress_id]

    # db/owner_notices.py
    async def insert_notice(self, session: Any, row: dict[str, Any]) -> None:
        self.notices[row["id"]] = {"reply": None, "replied_on": None, "decision": None, "decided_by": None, **row}

    async def get_notice(self, session: Any, redress_id: uuid.UUID, notice_id: uuid.UUID) -> Any:
        n = self.notices.get(notice_id)
        return n if n is not None and n["redress_id"] == redress_id else None

    async def update_notice(self, session: Any, notice_id: uuid.UUID, **values: Any) -> None:
        self.notices[notice_id].update(values)

    async def request_notices(self, session: Any, redress_id: uuid.UUID) -> list[Any]:
        return [n for n in self.notices.values() if n["redress_id"] == redress_id]

    def actions(self, redress_id: uuid.UUID) -> list[str]:
        return [e["action"] for e in self.timeline if e["redress_id"] == redress_id]


@pytest.fixture
def queries(monkeypatch: pytest.MonkeyPatch) -> FakeRedressQueries:
    """The fake, standing in for every query module each redress use-case module reads."""
    fake = FakeRedressQueries()
    names = ("queries", "request_queries", "record_queries", "correction_queries", "search_queries")
    names += ("relink_queries", "notice_queries")
    for module in (requests, records, corrections, relinks, search_log, owner_notices):
        for name in names:
            if hasattr(module, name):
                monkeypatch.setattr(module, name, fake)
    return fake


@dataclass
class FakeResponse:
    status_code: int
    body: Any

    def json(self) -> Any:
        return self.body


class FakeCases:
    """Cases' internal API: one record per encounter id known to it (with its owner and subject), the subjects
    it knows; every call is remembered."""

    target = "cases"

    def __init__(
        self,
        known: dict[uuid.UUID, str | None] | None = None,
        subjects: dict[uuid.UUID, uuid.UUID] | None = None,
    ) -> None:
        self.known = known or {}
        self.subject_of = subjects or {}
        self.calls: list[str] = []

    async def get(self, path: str, *, params: Any = None, on_behalf_of: str | None = None) -> FakeResponse:
        self.calls.append(path)
        some_id = uuid.UUID(path.rsplit("/", 1)[-1])
        if path.startswith("/internal/v1/subjects/"):
            if some_id not in set(self.subject_of.values()):
                return FakeResponse(404, {"detail": "not found"})
            return FakeResponse(200, {"subject_id": str(some_id), "encounter_count": 1})
        if some_id not in self.known:
            return FakeResponse(404, {"detail": "not found"})
        subject = self.subject_of.get(some_id, uuid.UUID(int=0))
        return FakeResponse(
            200, {"encounter_id": str(some_id), "data_owner": self.known[some_id], "subject_id": str(subject)}
        )


def trip_request(trip_number: str = "2026-00123", received_on: date = date(2026, 11, 3)) -> dict[str, Any]:
    """What the API hands `create_request` for a DHS TRIP request."""
    return {
        "source": "TRIP",
        "trip_number": trip_number,
        "channel": None,
        "sent_on": date(2026, 11, 1),
        "received_on": received_on,
        "requester": {"last_name": "Ivanova", "first_name": "Anna"},
        "submitting_agency": "DHS TRIP",
        "contested_information": "a match that is not me",
        "reason": "misidentified",
    }
