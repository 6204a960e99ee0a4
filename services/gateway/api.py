"""Gateway HTTP: sign-in, user admin, the merged audit trail and subject export, the merged OpenAPI.

Every other `/api/v1/<area>` call goes from the edge (tracs/edge.py, the Ingress on Kubernetes) straight to the
service that owns the area; the gateway forwards nothing.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Query, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field, ValidationError

from services.gateway import accounts, action_trail, domain, oversight, sign_in
from services.gateway.proof_status import TrustedKeys
from services.gateway.upstreams import as_caller, client_for
from shared.auth import issue_token
from shared.errors import Forbidden, Invalid, Unavailable
from shared.events.asyncapi import contracts_asyncapi
from shared.logging import current_correlation_id
from shared.runtime import RuntimeDep
from shared.web import CurrentPrincipal, secured

router = APIRouter()

# Entries proven per merged page: each costs every service holding some an inclusion proof and the gateway a
# check. The console's page is 200; an auditor wanting more proofs asks page by page or exports a bundle.
PROOFS_LIMIT = 200


@router.get("/api/v1/audit", tags=["audit"], **secured("audit:read"))
async def audit_trail(
    request: Request,
    rt: RuntimeDep,
    record: Annotated[str | None, Query(description="TYPE:ID (case:..., encounter:...) or just ID")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description=f"at most {PROOFS_LIMIT} with proofs=true")] = 200,
    proofs: Annotated[
        bool, Query(description="add each entry's proof status (checked here against the trusted keys)")
    ] = False,
) -> list[dict[str, Any]]:
    """Every service's audit entries about one record (or the latest), merged newest first."""
    if proofs and limit > PROOFS_LIMIT:
        raise Invalid(
            f"limit is at most {PROOFS_LIMIT} with proofs=true (every entry is proven and checked); got {limit}"
        )
    read, services = as_caller(request), rt.settings.services()
    entries = await oversight.audit_trail(uow=rt.uow(), read=read, services=services, record=record, limit=limit)
    if not proofs:
        return entries
    sources = oversight.ProofSources(
        read=read,
        services=services,
        sessions=rt.sessions,
        table=rt.audit_trail,
        keys=TrustedKeys.of(rt.settings),
        witness=_witness_reader(request, rt.settings.audit_witness_url),
    )
    return await oversight.with_proof_status(entries, sources)


@router.get("/api/v1/audit/actions", tags=["audit"], **secured("audit:read"))
async def audit_actions(
    request: Request,
    rt: RuntimeDep,
    record: Annotated[str | None, Query(description="TYPE:ID, an ID or a page's address; short ids match")] = None,
    actor: Annotated[str | None, Query(max_length=100, description="the user who acted")] = None,
    action: Annotated[str | None, Query(max_length=100, description="a business action, or part of its name")] = None,
    since: Annotated[datetime | None, Query(description="actions at or after this instant")] = None,
    until: Annotated[datetime | None, Query(description="actions before this instant")] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=500)] = 50,
    proofs: Annotated[bool, Query(description="add each call's proof status")] = False,
) -> dict[str, Any]:
    """The merged trail as business actions ("viewed case", "recorded finding"), each with its HTTP calls."""
    if since and until and until <= since:
        raise Invalid("until must come after since")
    read, services = as_caller(request), rt.settings.services()
    ask = action_trail.TrailAsk(
        record=record,
        actor=(actor or "").strip() or None,
        action=action,
        since=since,
        until=until,
        page=page,
        size=size,
        reading=current_correlation_id(),  # the page asking is not yet an action of the trail it reads
    )
    found = await action_trail.action_trail(uow=rt.uow(), read=read, services=services, ask=ask)
    if proofs:
        calls = [c for a in found["items"] for c in a["calls"]]
        sources = oversight.ProofSources(
            read=read,
            services=services,
            sessions=rt.sessions,
            table=rt.audit_trail,
            keys=TrustedKeys.of(rt.settings),
            witness=_witness_reader(request, rt.settings.audit_witness_url),
        )
        proven = iter(await oversight.with_proof_status(calls, sources))
        for a in found["items"]:
            a["calls"] = [next(proven) for _ in a["calls"]]
    return found


def _witness_reader(request: Request, url: str) -> oversight.WitnessReader | None:
    """The witness's latest cosigned checkpoint of a log; a public read, so no token goes with it."""
    if not url:
        return None
    base = url.rstrip("/")

    async def latest(origin: str) -> str | None:
        try:
            r = await client_for(request, base).get(f"{base}/checkpoint", params={"origin": origin})
        except httpx.HTTPError as exc:
            raise Unavailable(f"the witness cannot be reached ({type(exc).__name__})") from exc
        if r.status_code == 404:
            return None
        if r.status_code != 200:
            raise Unavailable(f"the witness answered {r.status_code}")
        return r.text

    return latest


AuditedService = Annotated[
    str, Query(description="whose trail: intake, cases, disclosure, redress, reporting or gateway")
]


@router.get("/api/v1/audit/entries/{seq}/proof", tags=["audit"], **secured("audit:read"))
async def audit_inclusion_proof(
    seq: int,
    request: Request,
    rt: RuntimeDep,
    service: AuditedService,
    size: Annotated[int | None, Query(ge=1, description="the checkpoint's tree size; default: the latest")] = None,
) -> dict[str, Any]:
    """Entry `seq` of one service's trail with its inclusion proof in a signed checkpoint (RFC 9162)."""
    return await oversight.audit_proof(
        read=as_caller(request),
        services=rt.settings.services(),
        sessions=rt.sessions,
        service=service,
        ask=oversight.ProofAsked("inclusion", {"seq": seq, "size": size}),
        table=rt.audit_trail,
    )


@router.get("/api/v1/audit/consistency", tags=["audit"], **secured("audit:read"))
async def audit_consistency_proof(
    request: Request,
    rt: RuntimeDep,
    service: AuditedService,
    first: Annotated[int, Query(ge=1)],
    second: Annotated[int, Query(ge=1)],
) -> dict[str, Any]:
    """The proof that one service's tree of `second` entries extends its tree of `first` (RFC 9162)."""
    return await oversight.audit_proof(
        read=as_caller(request),
        services=rt.settings.services(),
        sessions=rt.sessions,
        service=service,
        ask=oversight.ProofAsked("consistency", {"first": first, "second": second}),
        table=rt.audit_trail,
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
    roles: list[str] = Field(max_length=20)
    programs: list[str] = Field([], max_length=20)
    training_completed_on: date | None = None
    clearance_granted_on: date | None = None
    clearance_expires_on: date | None = None


class UserChange(BaseModel):
    """Only what is given changes; roles or programs need `approved_by` (another user than the admin)."""

    model_config = {"extra": "forbid"}
    roles: list[str] | None = Field(None, max_length=20)
    programs: list[str] | None = Field(None, max_length=20)
    training_completed_on: date | None = None
    clearance_granted_on: date | None = None
    clearance_expires_on: date | None = None
    full_name: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=320, description="where notifications are mailed; '' removes it")
    notify_by_mail: bool | None = None
    approved_by: str | None = Field(None, min_length=2, max_length=64)


class UserOut(BaseModel):
    username: str
    roles: list[str]
    programs: list[str]
    failed_attempts: int
    locked_until: datetime | None
    last_login_at: datetime | None
    training_completed_on: date | None = None
    clearance_granted_on: date | None = None
    clearance_expires_on: date | None = None
    created_at: datetime
    updated_at: datetime
    updated_by: str
    full_name: str | None = None
    email: str | None = None
    disabled_at: datetime | None = None
    disabled_by: str | None = None
    must_change_password: bool = False
    notify_by_mail: bool = False


class LapsingUser(UserOut):
    training_lapses_on: date | None
    lapsed: bool


@router.get("/api/v1/users", response_model=list[UserOut], tags=["users"], **secured("user:manage"))
async def list_users(rt: RuntimeDep) -> list[dict[str, Any]]:
    return await accounts.list_users(uow=rt.uow())


@router.get("/api/v1/users/lapsing", response_model=list[LapsingUser], tags=["users"], **secured("user:manage"))
async def lapsing_users(
    rt: RuntimeDep, within_days: Annotated[int | None, Query(ge=0, le=3660)] = None
) -> list[dict[str, Any]]:
    """Who loses access because their annual privacy training lapses within the period (default: the
    warning period, `TRACS_GATEWAY_TRAINING_WARNING_DAYS`), or already has, soonest first."""
    s = rt.settings
    days = s.training_warning_days if within_days is None else within_days
    return await accounts.lapsing(uow=rt.uow(), within_days=days, valid_days=s.training_valid_days)


@router.post("/api/v1/users", status_code=201, response_model=UserOut, tags=["users"], **secured("user:manage"))
async def create_user(body: UserIn, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """Admins add logins (argon2-hashed); roles and programs decide what the user may see and do."""
    return await accounts.create_user(
        uow=rt.uow(actor=principal.username),
        username=body.username,
        password=body.password,
        roles=set(body.roles),
        programs=set(body.programs),
        training_completed_on=body.training_completed_on,
        clearance_granted_on=body.clearance_granted_on,
        clearance_expires_on=body.clearance_expires_on,
    )


@router.patch("/api/v1/users/{username}", response_model=UserOut, tags=["users"], **secured("user:manage"))
async def change_user(
    username: str, body: UserChange, request: Request, rt: RuntimeDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Record training or clearance dates, or change roles and programs (audited with who approved it)."""
    changes = body.model_dump(exclude_unset=True, exclude={"approved_by"})
    if not changes:
        raise Invalid("nothing to change: give roles, programs, training or clearance dates, name, email")
    return await accounts.update_user(
        uow=rt.uow(actor=principal.username),
        username=username,
        changes=changes,
        approved_by=body.approved_by,
        client=request.client.host if request.client else None,
        training_valid_days=rt.settings.training_valid_days,
    )


class Credentials(BaseModel):
    username: str
    password: str


def _public_form_body(model: type[BaseModel]) -> dict[str, Any]:
    """A public sign-in route's documented body: the same fields as a form or as JSON (read by `_credentials`)."""
    schema = model.model_json_schema()
    return {
        "x-tracs-action": "public",
        "requestBody": {
            "content": {
                "application/x-www-form-urlencoded": {"schema": schema},
                "application/json": {"schema": schema},
            },
            "required": True,
        },
    }


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


@router.post(
    "/api/v1/auth/token",
    response_model=Token,
    tags=["auth"],
    openapi_extra=_public_form_body(Credentials),
)
async def token(request: Request, rt: RuntimeDep) -> Token:
    """OAuth2 password flow: form or JSON `username` / `password`."""
    creds = await _credentials(request, rt, Credentials)
    s = rt.settings
    account = await sign_in.authenticate(
        uow=rt.uow(actor=creds.username[:64]),
        username=creds.username,
        password=creds.password,
        threshold=s.lockout_threshold,
        lock_minutes=s.lockout_minutes,
        training_valid_days=s.training_valid_days,
        client=request.client.host if request.client else None,
    )
    return _token_for(account, rt)


async def _credentials(request: Request, rt: Any, model: type[Credentials]) -> Any:
    """The posted form or JSON body of a local sign-in (refused where only the identity provider signs in)."""
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
        return model.model_validate(body)
    except ValidationError as exc:
        names = ", ".join(model.model_fields)
        raise Invalid(f"{names} are required", errors=exc.errors(include_url=False)) from exc


class NewPassword(Credentials):
    new_password: str = Field(max_length=200)


@router.post(
    "/api/v1/auth/password",
    response_model=Token,
    tags=["auth"],
    openapi_extra=_public_form_body(NewPassword),
)
async def change_password(request: Request, rt: RuntimeDep) -> Token:
    """Replace one's password (a temporary one an admin set must be): the current password is checked as a
    sign-in is (wrong ones count toward the lockout), then the new one is stored (hashed) and a token issued."""
    creds = await _credentials(request, rt, NewPassword)
    s = rt.settings
    account = await sign_in.authenticate(
        uow=rt.uow(actor=creds.username[:64]),
        username=creds.username,
        password=creds.password,
        new_password=creds.new_password,
        threshold=s.lockout_threshold,
        lock_minutes=s.lockout_minutes,
        training_valid_days=s.training_valid_days,
        client=request.client.host if request.client else None,
    )
    return _token_for(account, rt)


@router.post("/api/v1/auth/refresh", response_model=Token, tags=["auth"], **secured("session:refresh"))
async def refresh(rt: RuntimeDep, principal: CurrentPrincipal) -> Token:
    """A new token for the bearer of a valid one, with the roles and programs stored now; refused (403,
    naming training) once the user's annual privacy training has lapsed, or the clearance expired."""
    account = await sign_in.refresh(
        uow=rt.uow(), principal=principal, training_valid_days=rt.settings.training_valid_days
    )
    return _token_for(account, rt)


def _token_for(account: Any, rt: Any) -> Token:
    """The token names the day training lapses (`trn`), so the console can warn before it does."""
    s = rt.settings
    lapses = domain.training_lapses_on(account.training_completed_on, valid_days=s.training_valid_days)
    extra = {"trn": lapses.isoformat()} if lapses else None
    access = issue_token(
        account.principal(), secret=s.jwt_secret, issuer=s.jwt_issuer, ttl_seconds=s.jwt_ttl_seconds, extra=extra
    )
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
