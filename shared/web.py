"""What every service's HTTP side shares: correlation ids, auth, health, metrics, error mapping."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import structlog
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import DBAPIError
from starlette.datastructures import MutableHeaders

from shared import policy
from shared.audit import CURRENT_REQUEST, Entry, RequestAudit
from shared.auth import InvalidToken, Principal, verify_any
from shared.errors import DomainError, Unauthorized, in_units
from shared.internal import ON_BEHALF_HEADER
from shared.logging import CORRELATION_HEADER, bind_correlation_id, get_logger, new_correlation_id
from shared.settings import TracsSettings

log = get_logger(__name__)
_bearer = HTTPBearer(auto_error=False)

ReadinessCheck = Callable[[], Awaitable[dict[str, bool]]]
AuditSink = Callable[[list[Entry]], Awaitable[None]]
ACTION_KEY = "x-tracs-action"
MAX_OFFSET = 10_000_000  # paging offsets beyond any real table; also keeps them inside a 64-bit integer
# What PostgreSQL says when text holds a NUL (JSON "\u0000"), which no text or jsonb column can store.
NUL_REFUSALS = ("unsupported Unicode escape sequence", "invalid byte sequence for encoding", "0x00")
PUBLIC = "public"  # a route anyone may call (login); everything else under /api needs an action
SECURED_PREFIXES = ("/api/", "/internal/")  # every route here names an action; /internal is for services only


def install_common(app: FastAPI, *, readiness: ReadinessCheck, audit: AuditSink | None = None) -> None:
    """Correlation and audit middleware, domain-error mapping, /healthz, /readyz and /metrics."""

    app.add_middleware(AuditedRequests, service=app.title, audit=audit)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        if isinstance(exc, policy.Hidden):
            request.state.audit_outcome = "denied"
        body = {"detail": exc.message, "error": "NotFound" if isinstance(exc, policy.Hidden) else type(exc).__name__}
        body.update(exc.details)
        return JSONResponse(status_code=exc.status_code, content=body)

    @app.exception_handler(DBAPIError)
    async def unstorable_text(request: Request, exc: DBAPIError) -> JSONResponse:
        """A NUL in any text field is the caller's error, not ours: 422 naming it (the transaction rolled back,
        so nothing was written). Any other database error stays a 500."""
        if not any(marker in str(exc.orig) for marker in NUL_REFUSALS):
            raise exc
        detail = "text may not contain the NUL character (\\u0000); nothing was stored"
        return JSONResponse(status_code=422, content={"detail": detail, "error": "Invalid"})

    @app.get("/healthz", tags=["ops"], include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"], include_in_schema=False)
    async def readyz() -> JSONResponse:
        checks = await readiness()
        ok = all(checks.values())
        return JSONResponse(status_code=200 if ok else 503, content={"ready": ok, "checks": checks})

    @app.get("/metrics", tags=["ops"], include_in_schema=False)
    async def metrics() -> Response:
        return PlainTextResponse(generate_latest(), media_type=CONTENT_TYPE_LATEST)


class AuditedRequests:
    """Correlation id and audit entry of every request; a pure ASGI middleware (no task per request).

    A write's entry commits in the handler's own transaction (shared/uow.py); what is left (reads, refused
    and failed calls) is written here when the answer starts, so it is durable before the answer leaves.
    An entry that cannot be written turns the answer into a 503: nothing is answered as a success unaudited.
    """

    def __init__(self, app: Callable, *, service: str, audit: AuditSink | None) -> None:
        self.app = app
        self.service = service
        self.audit = audit

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        structlog.contextvars.clear_contextvars()
        request = Request(scope)
        cid = (request.headers.get(CORRELATION_HEADER) or new_correlation_id())[:64]
        bind_correlation_id(cid)
        structlog.contextvars.bind_contextvars(service=self.service, path=request.url.path, method=request.method)
        state = request.state  # the dict in the scope that the route below writes into
        pending = RequestAudit(build=lambda status: _audit_entry(request, state, status, cid))
        token = CURRENT_REQUEST.set(pending)
        started = refused = False

        async def send_audited(message: dict) -> None:
            nonlocal started, refused
            if message["type"] == "http.response.start":
                started = True
                if not await self._record(pending, message["status"]):
                    refused = True
                    await self._unavailable(scope, receive, send, cid)
                    return
                MutableHeaders(scope=message)[CORRELATION_HEADER] = cid
            elif refused:
                return
            await send(message)

        try:
            await self.app(scope, receive, send_audited)
        except Exception:
            if not started:  # the error middleware answers 500: the call is audited as failed
                await self._record(pending, 500)
            raise
        finally:
            CURRENT_REQUEST.reset(token)

    async def _record(self, pending: RequestAudit, status: int) -> bool:
        # A read that wrote the call's entry wrote it as answered; one whose answer then failed says so too.
        again = pending.written_by_read and status >= 400
        entry = None if (pending.written and not again) or self.audit is None else pending.build(status)
        if entry is None:
            return True
        try:
            await self.audit([entry])  # type: ignore[misc]
        except Exception as exc:
            log.error("audit append failed", error=type(exc).__name__)
            return False
        pending.written = True
        return True

    @staticmethod
    async def _unavailable(scope: dict, receive: Callable, send: Callable, cid: str) -> None:
        response = JSONResponse(
            status_code=503,
            content={"detail": "the action could not be audited; try again", "error": "Unavailable"},
            headers={CORRELATION_HEADER: cid},
        )
        await response(scope, receive, send)


def _outcome(state: Any, status: int) -> str:
    if getattr(state, "audit_outcome", None):
        return state.audit_outcome
    if status < 400:
        return "allowed"
    if status in (401, 403):
        return "denied"
    if status == 404:
        return "not-found"
    return "refused" if status < 500 else "failed"


def _audit_entry(request: Request, state: Any, status: int, cid: str) -> Entry | None:
    """Every call of a secured route, and every unauthenticated call under /api, becomes one entry."""
    action = getattr(state, "audit_action", None)
    if action is None:
        if status != 401 or not request.url.path.startswith(SECURED_PREFIXES):
            return None
        action = "authenticate"
    principal: Principal | None = getattr(state, "principal", None)
    record_type, record_id = getattr(state, "audit_record", (action.split(":")[0], None))
    return Entry(
        actor=principal.username if principal else "anonymous",
        action=f"{action} {request.method} {getattr(state, 'audit_route', request.url.path)}",
        record_type=record_type,
        record_id=record_id,
        outcome=_outcome(state, status),
        fields=getattr(state, "audit_fields", ()),
        correlation_id=cid,
        client=client_address(request),
        detail=getattr(state, "audit_detail", None),
    )


def client_address(request: Request) -> str | None:
    """Who called: the first X-Forwarded-For address (the edge replaces what a client sends), else the peer."""
    forwarded = request.headers.get("x-forwarded-for")
    if forwarded:
        return forwarded.split(",")[0].strip()[:64]
    return request.client.host if request.client else None


async def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """Services never trust a bare header: they verify the gateway's signature themselves."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("a bearer token is required")
    settings: TracsSettings = request.app.state.settings
    try:
        principal = verify_any(
            credentials.credentials,
            secret=settings.jwt_secret,
            previous_secret=settings.jwt_previous_secret or None,
            issuer=settings.jwt_issuer,
            oidc=settings.oidc(),
            local=settings.local_logins,
        )
    except InvalidToken as exc:
        raise Unauthorized(f"invalid token: {exc}") from exc
    structlog.contextvars.bind_contextvars(actor=principal.username)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def secured(action: str) -> dict[str, Any]:
    """Route options that authorize `action` from the policy table, scope the request and audit it.

    Spread into a route decorator: `@router.get(path, **secured("case:read"))`. The action is also
    published in the OpenAPI document (`x-tracs-action`), which the access matrix test reads.
    """
    if action not in policy.POLICY:
        raise KeyError(f"no policy for action {action!r}")

    async def authorize(request: Request, principal: CurrentPrincipal) -> None:
        state = request.state
        state.audit_action = action
        route = request.scope.get("route")
        state.audit_route = getattr(route, "path", request.url.path)
        state.audit_record = _record(request, action)
        if request.method in ("POST", "PUT", "PATCH") and request.headers.get("content-type", "").startswith(
            "application/json"
        ):
            state.audit_fields = await _body_fields(request)
        if principal.service is not None and (user := request.headers.get(ON_BEHALF_HEADER)):
            state.audit_detail = f"on behalf of {user[:200]}"  # the end user a service's internal call serves
        policy.authorize(principal, action)
        policy.enter(principal)

    return {"dependencies": [Depends(authorize)], "openapi_extra": {ACTION_KEY: action}}


def audit_record(request: Request, record_type: str, record_id: object) -> None:
    """Name the record a call acts on when its path has no id of it (creating a case's draft names the case),
    so the record's trail finds the call. Set before the unit of work commits: the entry is built then."""
    request.state.audit_record = (record_type, str(record_id)[:100])


def _record(request: Request, action: str) -> tuple[str, str | None]:
    """The record a route acts on: its last `<type>_id` path parameter, else the action's area."""
    ids = [(k, v) for k, v in request.path_params.items() if k.endswith("_id")]
    if ids:
        name, value = ids[-1]
        return name.removesuffix("_id"), str(value)[:100]
    return action.split(":")[0], None


async def _body_fields(request: Request) -> list[str]:
    """Names of the fields a write sends (never their values); FastAPI has already read the body."""
    try:
        body = await request.json()
    except ValueError:
        return []
    return [str(k)[:64] for k in body][:100] if isinstance(body, dict) else []


def unsecured_routes(app: FastAPI) -> list[str]:
    """API operations that name no action: a service refuses to start with one (no route left open)."""
    doc = app.openapi()
    return [
        f"{method.upper()} {path}"
        for path, operations in doc.get("paths", {}).items()
        if path.startswith((*SECURED_PREFIXES, "/audit"))
        for method, operation in operations.items()
        if isinstance(operation, dict) and ACTION_KEY not in operation
    ]


class BodySizeLimit:
    """Refuse a request body over `max_bytes` as it streams in, before it is stored anywhere.

    Pure ASGI: a declared Content-Length over the limit is refused at once; a chunked body is counted
    and cut off the moment it passes the limit (FastAPI turns the HTTPException into a 413).
    """

    def __init__(self, app: Callable, *, max_bytes: int, path_prefix: str = "/") -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.prefix = path_prefix

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            response = JSONResponse(status_code=413, content={"detail": self._message(), "error": "TooLarge"})
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> dict:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(status_code=413, detail=self._message())
            return message

        await self.app(scope, counted, send)

    def _message(self) -> str:
        return f"the request body exceeds the upload limit of {in_units(self.max_bytes)}"
