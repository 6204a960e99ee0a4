"""The trail in business actions: every secured route of every service has a name, a page view's calls fold into
one action named by its most telling call, a record is found by the short id pages show, and an exported cell
never starts a formula."""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.routing import APIRoute

from services.gateway import action_trail
from services.gateway import api as gateway_api
from services.gateway.action_trail import parse_record
from services.gateway.audit_actions import Call, concrete_path, csv_cell, group, is_named, name_of
from shared import disposal_api
from shared.errors import Invalid
from shared.runtime import audit_router
from shared.web import ACTION_KEY


def _routers() -> list[Any]:
    """Every router of every service's own modules (the console's pages are not API routes)."""
    routers = [gateway_api.router, audit_router]
    for service in ("intake", "cases", "disclosure", "redress", "reporting", "gateway"):
        package = importlib.import_module(f"services.{service}")
        for module in pkgutil.iter_modules(package.__path__):
            if module.name.startswith("_"):
                continue  # __main__ starts the service
            found = getattr(importlib.import_module(f"services.{service}.{module.name}"), "router", None)
            if isinstance(found, APIRouter) and found not in routers:
                routers.append(found)
    # Routers a service builds from shared code (retention's runs) are not module attributes.
    for service, prefix in (("disclosure", "disclosures"), ("redress", "redress"), ("reporting", "reports")):
        rules = importlib.import_module(f"services.{service}.retention").RETENTION
        routers.append(disposal_api.router(f"/api/v1/{prefix}", rules))
    return routers


def _secured_calls() -> list[str]:
    calls = []
    for router in _routers():
        for route in router.routes:
            if isinstance(route, APIRoute) and (action := (route.openapi_extra or {}).get(ACTION_KEY)):
                calls += [f"{action} {method} {route.path}" for method in sorted(route.methods)]
    return calls


def test_every_secured_route_of_every_service_has_a_business_name() -> None:
    calls = _secured_calls()
    assert len(calls) > 80  # the routes were found, not an empty list passing trivially
    assert [c for c in calls if not is_named(c)] == []


@pytest.mark.parametrize(
    ("action", "name"),
    [
        ("case:read GET /api/v1/cases/{case_id}", "viewed case"),
        ("case:work POST /api/v1/cases/{case_id}/findings", "recorded finding"),
        ("disclosure:send POST /api/v1/disclosures/{draft_id}/send", "sent disclosure"),
        ("case:assign POST /api/v1/cases/{case_id}/assign", "assigned case"),
        ("intake:import POST /api/v1/intake/batches", "imported file"),
        ("case:work PATCH /api/v1/encounters/{encounter_id}/flags", "set flags"),
        ("widget:read GET /api/v1/widgets", "viewed widget"),  # an unknown route still reads as words
    ],
)
def test_a_call_is_named_as_the_user_would_say_it(action: str, name: str) -> None:
    assert name_of(action) == name


def _entry(action: str, cid: str | None, at: str, outcome: str = "allowed", rid: str | None = "c1") -> dict[str, Any]:
    call = Call.parse(action)
    rtype = (call.route or "").rsplit("{", 1)[-1].split("_id")[0] if "{" in (call.route or "") else "case"
    return {"action": action, "correlation_id": cid, "at": at, "outcome": outcome, "actor": "analyst",
            "record_type": rtype, "record_id": rid, "service": "cases", "seq": None}  # fmt: skip


def test_the_calls_of_one_page_view_are_one_action_named_by_its_most_telling_call() -> None:
    entries = [
        _entry("disclosure:read GET /api/v1/disclosures", "p1", "2026-12-04T10:00:02", rid=None),
        _entry("case:assign GET /api/v1/cases/{case_id}/assignees", "p1", "2026-12-04T10:00:01"),
        _entry("case:read GET /api/v1/cases/{case_id}", "p1", "2026-12-04T10:00:00"),
        _entry("case:work POST /api/v1/cases/{case_id}/findings", "p2", "2026-12-04T10:01:00"),
        _entry("case:read GET /api/v1/cases/{case_id}", "p2", "2026-12-04T10:01:01", outcome="denied"),
    ]
    actions = [a.as_json() for a in group(entries)]
    assert [a["action"] for a in actions] == ["recorded finding", "viewed case"]  # newest first
    viewed = actions[1]
    assert len(viewed["calls"]) == 3 and viewed["at"] == "2026-12-04T10:00:00"
    assert viewed["calls"][0]["method"] == "GET" and viewed["calls"][0]["path"] == "/api/v1/cases/c1"
    assert actions[0]["outcome"] == "allowed"  # the write's outcome, not the refused read beside it


def test_reading_the_trail_is_named_by_the_gateway_route_not_the_case_it_looked_up() -> None:
    entries = [
        _entry("case:read GET /api/v1/cases/{case_id}", "p1", "2026-12-04T10:00:00"),
        {**_entry("audit:read GET /api/v1/audit/actions", "p1", "2026-12-04T10:00:01", rid=None), "service": "gateway"},
    ]
    assert group(entries)[0].as_json()["action"] == "viewed audit trail"


def test_entries_without_a_correlation_id_stay_actions_of_their_own() -> None:
    entries = [_entry("case:read GET /api/v1/cases/{case_id}", None, f"2026-12-04T10:00:0{i}") for i in range(3)]
    assert len(group(entries)) == 3


@pytest.mark.parametrize(
    ("record", "parsed"),
    [
        ("case:2edfbe11", ("case", "2edfbe11")),
        ("2edfbe11", (None, "2edfbe11")),
        ("/cases/2edfbe11", ("case", "2edfbe11")),
        ("/redress/2edfbe11", ("redress", "2edfbe11")),
        ("  CASE:2edfbe11-aaaa ", ("case", "2edfbe11-aaaa")),
        ("", (None, None)),
    ],
)
def test_a_record_is_a_type_and_id_a_bare_id_or_a_page_address(record: str, parsed: tuple[Any, Any]) -> None:
    assert parse_record(record) == parsed


def test_a_record_that_is_no_id_is_refused_with_words_not_a_500() -> None:
    with pytest.raises(Invalid, match="is not an id"):
        parse_record("case:' OR 1=1 --")


@pytest.mark.parametrize(
    ("record", "named"),
    [("case:zz", "case:zz is not a case id or id prefix"), ("/redress/xyz", "redress:xyz is not a redress id")],
)
def test_a_uuid_record_with_no_hex_id_names_the_value_instead_of_finding_nothing(record: str, named: str) -> None:
    """`case:zz` once answered "0 actions matching": a case id is hex, so the value itself is named as wrong."""
    with pytest.raises(Invalid, match=f"{named}.*use hex digits"):
        parse_record(record)
    assert parse_record("user:analyst") == ("user", "analyst")  # user names are no hex ids: left alone


@pytest.mark.parametrize("cell", ["=SUM(A1)", "+1", "-2+3", "@cmd", "\t=1"])
def test_an_exported_cell_never_starts_a_formula(cell: str) -> None:
    assert csv_cell(cell) == "'" + cell


def test_plain_cells_are_exported_as_they_are() -> None:
    assert csv_cell("viewed case") == "viewed case" and csv_cell(None) == "" and csv_cell(3) == "3"


def test_the_concrete_path_puts_the_record_back_into_its_route() -> None:
    assert concrete_path("/api/v1/cases/{case_id}/findings", "case", "abc") == "/api/v1/cases/abc/findings"
    assert concrete_path("/api/v1/cases", "case", None) == "/api/v1/cases"


class _NoTrail:
    """The gateway's own trail, empty: a unit of work whose session is never used (the query is replaced)."""

    session = None

    async def __aenter__(self) -> _NoTrail:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


def test_a_case_trail_asks_for_its_records_and_then_every_call_behind_each_action(monkeypatch: Any) -> None:
    case, draft, encounter = "2edfbe11-1111-4111-8111-111111111111", "d" * 8 + "-0000-4000-8000-000000000000", "e1"
    view = [
        _entry("case:read GET /api/v1/cases/{case_id}", "p1", "2026-12-04T10:00:00", rid=case),
        _entry("case:read GET /api/v1/cases/{case_id}", "now", "2026-12-04T10:05:00", rid=case),  # this read's own
    ]
    sections = [_entry("disclosure:read GET /api/v1/disclosures", "p1", "2026-12-04T10:00:01", rid=None)]
    asked: list[tuple[str, dict[str, Any]]] = []

    async def read(url: str, params: dict[str, Any] | None = None) -> tuple[int, Any]:
        asked.append((url, params or {}))
        if url == "http://cases/audit" and params and params.get("record_type") == "case":
            return 200, view  # resolving the short id
        if url == "http://cases/api/v1/cases/" + case:
            return 200, {"encounters": [{"id": encounter}]}
        if url == "http://disclosure/api/v1/disclosures":
            return 200, [{"id": draft}]
        if url == "http://disclosure/api/v1/disclosures/referrals":
            return 403, {"detail": "no"}  # what the caller may not see stays out
        if url.endswith("/audit") and params and params.get("correlation_id"):
            return 200, (view if "cases" in url else sections if "disclosure" in url else [])
        return 200, view if "cases" in url else []

    async def no_own(session: Any, query: Any) -> list[Any]:
        return []

    monkeypatch.setattr(action_trail.queries, "trail_query", no_own)
    services = {"cases": "http://cases", "disclosure": "http://disclosure"}
    ask = action_trail.TrailAsk(record="case:2edfbe11", actor="analyst", reading="now")
    found = asyncio.run(action_trail.action_trail(uow=_NoTrail(), read=read, services=services, ask=ask))  # type: ignore[arg-type]
    searched = next(p for u, p in asked if u == "http://disclosure/audit" and "record_id" in p)
    assert searched["record_id"] == [case, encounter, draft] and "record_type" not in searched
    assert searched["actor"] == "analyst"
    assert [a["action"] for a in found["items"]] == ["viewed case"] and found["total"] == 1
    assert [c["route"] for c in found["items"][0]["calls"]] == ["/api/v1/cases/{case_id}", "/api/v1/disclosures"]
