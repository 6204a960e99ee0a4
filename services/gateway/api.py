"""Gateway HTTP: sign-in, user admin, the merged audit trail and subject export, the merged OpenAPI.

Every other `/api/v1/<area>` call goes from the edge (tracs/edge.py, the Ingress on Kubernetes) straight to the
service that owns the area; the gateway forwards nothing.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Query, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field, ValidationError

from services.gateway import accounts, oversight, sign_in
from services.gateway.upstreams import as_caller, client_for
from shared.auth import issue_token
from shared.errors import Forbidden, Invalid
from shared.events.asyncapi import contracts_asyncapi
from shared.runtime import RuntimeDep
from shared.web import CurrentPrincipal, secured

router = APIRouter()


@router.get("/api/v1/audit", tags=["audit"], **secured("audit:read"))
async def audit_trail(
    request: Request,
    rt: RuntimeDep,
    record: Annotated[str | None, Query(description="TYPE:ID (case:..., encounter:...) or just ID")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    """Every service's audit entries about one record (or the latest), merged newest first."""
    return await oversight.audit_trail(
        uow=rt.uow(), read=as_caller(request), services=rt.settings.services(), record=record, limit=limit
    )


@router.get("/api/v1/subjects/{subject_id}/export", tags=["audit"], **secured("subject:export"))
async def subject_export(subject_id: uuid.UUID, request: Request, rt: RuntimeDep) -> dict[str, Any]:
    """Subject access (PIA 7.1): everything each service holds about one person, and the accounting of
    disclosures, as one document. Parts the caller may not see are named, not silently left out."""
    return await oversight.subject_export(
        read=as_caller(request),
        services=rt.settings.services(),
        subject_id=subject_id,
        generated_for=request.state.principal.username,
    )


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


@router.get("/api/v1/users", response_model=list[UserOut], tags=["users"], **secured("user:manage"))
async def list_users(rt: RuntimeDep) -> list[dict[str, Any]]:
    return await accounts.list_users(uow=rt.uow())


@router.post("/api/v1/users", status_code=201, response_model=UserOut, tags=["users"], **secured("user:manage"))
async def create_user(body: UserIn, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """Admins add logins (argon2-hashed); roles and programs decide what the user may see and do."""
    return await accounts.create_user(
        uow=rt.uow(actor=principal.username),
        username=body.username,
        password=body.password,
        roles=set(body.roles),
        programs=set(body.programs),
    )


class Credentials(BaseModel):
    username: str
    password: str


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


@router.post(
    "/api/v1/auth/token",
    response_model=Token,
    tags=["auth"],
    openapi_extra={
        "x-tracs-action": "public",
        "requestBody": {
            "content": {
                "application/x-www-form-urlencoded": {"schema": Credentials.model_json_schema()},
                "application/json": {"schema": Credentials.model_json_schema()},
            },
            "required": True,
        },
    },
)
async def token(request: Request, rt: RuntimeDep) -> Token:
    """OAuth2 password flow: form or JSON `username` / `password`."""
    if not rt.settings.local_logins:
        raise Forbidden("local logins are switched off here; sign in through the identity provider")
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body: Any = await request.json()
        except ValueError as exc:
            raise Invalid("the body is not valid JSON") from exc
    else:
        body = dict(await request.form())
    try:
        creds = Credentials.model_validate(body)
    except ValidationError as exc:
        raise Invalid("username and password are required", errors=exc.errors(include_url=False)) from exc
    s = rt.settings
    principal = await sign_in.authenticate(
        uow=rt.uow(actor=creds.username[:64]),
        username=creds.username,
        password=creds.password,
        threshold=s.lockout_threshold,
        lock_minutes=s.lockout_minutes,
        client=request.client.host if request.client else None,
    )
    access = issue_token(principal, secret=s.jwt_secret, issuer=s.jwt_issuer, ttl_seconds=s.jwt_ttl_seconds)
    return Token(access_token=access, expires_in=s.jwt_ttl_seconds)


@router.get("/openapi.json", include_in_schema=False)
async def openapi(request: Request, rt: RuntimeDep) -> dict[str, Any]:
    """The gateway's own routes plus every reachable service's API, as one document."""
    app = request.app
    doc = get_openapi(
        title="TRACS API",
        version="1",
        routes=app.routes,
        description="Single entry for analyst tools. Log in at /api/v1/auth/token.",
    )
    doc.setdefault("components", {}).setdefault("securitySchemes", {})["bearer"] = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    bases = sorted(set(rt.settings.routes().values()))

    async def fetch(base: str) -> dict[str, Any]:
        try:
            r = await client_for(request, base).get(f"{base}/openapi.json", timeout=5)
            return r.json() if r.status_code == 200 else {}
        except httpx.HTTPError:
            return {}

    for service_doc in await asyncio.gather(*(fetch(b) for b in bases)):
        # Only what the gateway forwards (/api/v1): services' internal APIs (/internal) are not reachable here.
        doc["paths"].update({p: v for p, v in service_doc.get("paths", {}).items() if p.startswith("/api/")})
        for name, schema in service_doc.get("components", {}).get("schemas", {}).items():
            doc["components"].setdefault("schemas", {}).setdefault(name, schema)
    return doc


@router.get("/docs", include_in_schema=False)
async def docs() -> HTMLResponse:
    return get_swagger_ui_html(openapi_url="/openapi.json", title="TRACS API")


@router.get("/asyncapi.json", include_in_schema=False)
async def asyncapi() -> dict[str, Any]:
    """Every event contract (envelope + payload) per topic, generated from the shared registry."""
    return contracts_asyncapi()
