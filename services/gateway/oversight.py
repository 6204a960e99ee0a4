"""Gateway routes that span every service: the merged audit trail, subject access export, user admin.

Each call to a service carries the caller's own token, so every service applies its own policy and
audits the read in its own trail; the gateway only assembles.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from services.gateway import db, handlers
from services.gateway.upstreams import client_for
from shared import audit
from shared.errors import Invalid, NotFound, Unavailable
from shared.logging import CORRELATION_HEADER, current_correlation_id
from shared.runtime import RuntimeDep
from shared.web import CurrentPrincipal, secured

router = APIRouter(prefix="/api/v1")


def _headers(request: Request) -> dict[str, str]:
    return {
        "Authorization": request.headers.get("authorization", ""),
        CORRELATION_HEADER: current_correlation_id(),
        "X-Forwarded-For": request.client.host if request.client else "",
    }


async def _get(request: Request, url: str, params: dict[str, Any] | None = None) -> tuple[int, Any]:
    client = client_for(request, url)
    try:
        r = await client.get(url, params=params, headers=_headers(request))
    except httpx.HTTPError as exc:
        raise Unavailable(f"{url.split('/api/')[0]} is unavailable") from exc
    try:
        return r.status_code, r.json()
    except ValueError:
        return r.status_code, r.text


@router.get("/audit", tags=["audit"], **secured("audit:read"))
async def audit_trail(
    request: Request,
    rt: RuntimeDep,
    record: Annotated[str | None, Query(description="TYPE:ID (case:..., encounter:...) or just ID")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    """Every service's audit entries about one record (or the latest), merged newest first."""
    record_type, record_id = None, None
    if record:
        record_type, _, record_id = record.rpartition(":")
        record_type = record_type or None
    params = {k: v for k, v in {"record_type": record_type, "record_id": record_id, "limit": limit}.items() if v}
    services = {name: base for name, base in _services(rt).items()}
    results = await asyncio.gather(*(_get(request, f"{base}/audit", params) for base in services.values()))
    merged: list[dict[str, Any]] = []
    for (name, _), (status, body) in zip(services.items(), results, strict=True):
        if status != 200:
            raise Unavailable(f"the {name} service did not return its audit trail ({status})")
        merged += [{**entry, "service": name} for entry in body]
    async with rt.sessions() as session:
        own = await audit.trail(session, db.audit_trail, record_type=record_type, record_id=record_id, limit=limit)
    merged += [{**entry, "service": "gateway"} for entry in own]
    merged.sort(key=lambda e: str(e["at"]), reverse=True)
    return merged[:limit]


def _services(rt: RuntimeDep) -> dict[str, str]:
    s = rt.settings
    return {
        "intake": s.intake_url,
        "cases": s.cases_url,
        "disclosure": s.disclosure_url,
        "redress": s.redress_url,
        "reporting": s.reporting_url,
    }


@router.get("/subjects/{subject_id}/export", tags=["audit"], **secured("subject:export"))
async def subject_export(subject_id: uuid.UUID, request: Request, rt: RuntimeDep) -> dict[str, Any]:
    """Subject access (PIA 7.1): everything each service holds about one person, and the accounting of
    disclosures, as one document. Parts the caller may not see are named, not silently left out."""
    s = rt.settings
    status, subject = await _get(request, f"{s.cases_url}/api/v1/subjects/{subject_id}")
    if status == 404:
        raise NotFound(f"no subject {subject_id}")
    if status != 200:
        raise Unavailable(f"the cases service answered {status} for the subject")
    encounter_ids = [e["id"] for e in subject["encounters"]]
    cases_status, cases = await _get(request, f"{s.cases_url}/api/v1/cases", {"subject": str(subject_id), "limit": 500})
    details = []
    if cases_status == 200:
        got = await asyncio.gather(*(_get(request, f"{s.cases_url}/api/v1/cases/{c['id']}") for c in cases["items"]))
        details = [body for code, body in got if code == 200]
    acc_status, accounting = await _get(
        request, f"{s.disclosure_url}/api/v1/disclosures/accounting", {"subject": str(subject_id)}
    )
    red_status, redress = (200, [])
    if encounter_ids:
        red_status, redress = await _get(request, f"{s.redress_url}/api/v1/redress", {"encounter": encounter_ids})

    def part(code: int, body: Any) -> Any:
        return body if code == 200 else {"withheld": f"not available to you ({code})"}

    return {
        "subject_id": str(subject_id),
        "generated_at": datetime.now(UTC).isoformat(),
        "generated_for": request.state.principal.username,
        "subject": {k: v for k, v in subject.items() if k != "encounters"},
        "encounters": subject["encounters"],
        "cases": details if cases_status == 200 else part(cases_status, cases),
        "accounting_of_disclosures": part(acc_status, accounting),
        "redress": part(red_status, redress),
    }


class UserIn(BaseModel):
    username: str = Field(min_length=2, max_length=64)
    password: str = Field(min_length=1, max_length=200)
    roles: list[str]
    programs: list[str] = []


class UserOut(BaseModel):
    username: str
    roles: list[str]
    programs: list[str]
    failed_attempts: int
    locked_until: datetime | None
    last_login_at: datetime | None
    created_at: datetime
    updated_at: datetime
    updated_by: str


@router.get("/users", response_model=list[UserOut], tags=["users"], **secured("user:manage"))
async def list_users(rt: RuntimeDep) -> list[dict[str, Any]]:
    async with rt.sessions() as session:
        return [dict(u) for u in await db.list_users(session)]


@router.post("/users", status_code=201, response_model=UserOut, tags=["users"], **secured("user:manage"))
async def create_user(body: UserIn, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """Admins add logins (argon2-hashed); roles and programs decide what the user may see and do."""
    await handlers.create_user(
        uow=rt.uow(actor=principal.username),
        username=body.username,
        password=body.password,
        roles=set(body.roles),
        programs=set(body.programs),
    )
    async with rt.sessions() as session:
        user = await db.get_user(session, body.username)
    if user is None:  # pragma: no cover - created just above
        raise Invalid("the user could not be read back")
    return dict(user)
