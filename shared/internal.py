"""One service calling another's internal API (`/internal/v1/...`) under its own service identity.

Personal data is stored once, in cases: disclosure and redress ask cases for it when an analyst needs it.
A call carries a short-lived token the caller mints with the shared signing secret (`sub` "service:<name>",
the `service` role only), the request's correlation id, and the user on whose behalf it is made, which the
callee writes into its audit entry. One pooled keep-alive client per target, opened with the app's lifespan.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from shared.auth import issue_service_token
from shared.errors import Unavailable
from shared.logging import CORRELATION_HEADER, current_correlation_id, get_logger
from shared.settings import TracsSettings

log = get_logger(__name__)

ON_BEHALF_HEADER = "X-TRACS-On-Behalf-Of"
TOKEN_TTL_SECONDS = 300
RENEW_BEFORE_SECONDS = 60  # a cached token is replaced this long before it expires
# Below uvicorn's 5 s keep-alive on the callee's side (as the gateway's upstreams), so a reused connection is
# never one the callee is closing at that moment.
KEEPALIVE_EXPIRY = 4.0


class ServiceToken:
    """The caller's own token, minted once and reused until shortly before it expires."""

    def __init__(self, service: str, *, secret: str, issuer: str, ttl_seconds: int = TOKEN_TTL_SECONDS) -> None:
        self.service = service
        self._secret = secret
        self._issuer = issuer
        self._ttl = ttl_seconds
        self._token = ""
        self._expires = 0.0

    def get(self, now: float | None = None) -> str:
        now = time.time() if now is None else now
        if not self._token or now >= self._expires - min(RENEW_BEFORE_SECONDS, self._ttl / 2):
            self._token = issue_service_token(
                self.service, secret=self._secret, issuer=self._issuer, ttl_seconds=self._ttl, now=now
            )
            self._expires = now + self._ttl
        return self._token


class InternalClient:
    """The internal API of one target service (e.g. cases), as one service identity."""

    def __init__(
        self,
        *,
        caller: str,
        target: str,
        base_url: str,
        settings: TracsSettings,
        timeout: float = 10.0,
        max_connections: int = 16,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.caller = caller
        self.target = target
        self.base_url = base_url.rstrip("/")
        self._token = ServiceToken(caller, secret=settings.jwt_secret, issuer=settings.jwt_issuer)
        limits = httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=KEEPALIVE_EXPIRY,
        )
        self._client = httpx.AsyncClient(base_url=self.base_url, timeout=timeout, limits=limits, transport=transport)

    def headers(self, on_behalf_of: str | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self._token.get()}", CORRELATION_HEADER: current_correlation_id()}
        if on_behalf_of:
            headers[ON_BEHALF_HEADER] = on_behalf_of[:200]
        return headers

    async def get(self, path: str, *, on_behalf_of: str | None, params: dict[str, Any] | None = None) -> httpx.Response:
        """GET an internal route; the target being down or failing is `Unavailable` (503) naming it, so a caller
        never goes on with nothing. Other answers (404 and the like) are returned for the caller to judge."""
        query = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            response = await self._client.get(path, params=query, headers=self.headers(on_behalf_of))
        except httpx.HTTPError as exc:
            log.warning("internal call failed", target=self.target, error=type(exc).__name__)
            raise Unavailable(f"{self.target} is unavailable; try again", service=self.target) from exc
        if response.status_code >= 500 or response.status_code in (401, 403):
            # A refusal of our own identity is a deployment fault (secrets differ), not the user's doing.
            log.warning("internal call refused", target=self.target, status=response.status_code)
            raise Unavailable(f"{self.target} is unavailable; try again", service=self.target)
        return response

    async def aclose(self) -> None:
        await self._client.aclose()
