"""What every service's HTTP side shares: correlation ids, auth, health, metrics, error mapping."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import structlog
from fastapi import Depends, FastAPI, HTTPException, Request
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
        return f"the request body exceeds the upload limit of {self.max_bytes} bytes"
