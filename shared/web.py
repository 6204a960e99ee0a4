"""What every service's HTTP side shares: correlation ids, auth, health, metrics, error mapping."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import structlog
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared.auth import InvalidToken, Principal, verify_token
from shared.errors import DomainError
from shared.logging import CORRELATION_HEADER, bind_correlation_id, get_logger, new_correlation_id
from shared.settings import TracsSettings

log = get_logger(__name__)
_bearer = HTTPBearer(auto_error=False)

ReadinessCheck = Callable[[], Awaitable[dict[str, bool]]]


def install_common(app: FastAPI, *, readiness: ReadinessCheck) -> None:
    """Correlation middleware, domain-error mapping, /healthz, /readyz and /metrics."""

    @app.middleware("http")
    async def correlation(request: Request, call_next: Callable) -> Response:
        structlog.contextvars.clear_contextvars()
        cid = request.headers.get(CORRELATION_HEADER) or new_correlation_id()
        bind_correlation_id(cid[:64])
        structlog.contextvars.bind_contextvars(service=app.title, path=request.url.path, method=request.method)
        response = await call_next(request)
        response.headers[CORRELATION_HEADER] = cid[:64]
        return response

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        body = {"detail": exc.message, "error": type(exc).__name__, **exc.details}
        return JSONResponse(status_code=exc.status_code, content=body)

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


def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """Services never trust a bare header: they verify the gateway's signature themselves."""
    from shared.errors import Unauthorized

    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("a bearer token is required")
    settings: TracsSettings = request.app.state.settings
    try:
        principal = verify_token(credentials.credentials, secret=settings.jwt_secret, issuer=settings.jwt_issuer)
    except InvalidToken as exc:
        raise Unauthorized(f"invalid token: {exc}") from exc
    structlog.contextvars.bind_contextvars(actor=principal.username)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
