"""The gateway's connections to the services: one pooled keep-alive HTTP client per service."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from fastapi import Request

from shared.errors import Unavailable
from shared.logging import CORRELATION_HEADER, current_correlation_id

# Below uvicorn's 5 s keep-alive on the services' side, so the gateway never reuses a connection the service
# is closing at that moment (which would surface as a spurious RemoteProtocolError).
KEEPALIVE_EXPIRY = 4.0


class Upstreams:
    """A client per service base URL, so a slow or saturated service never takes another's connections."""

    def __init__(self, bases: list[str], *, timeout: float, max_connections: int, max_keepalive: int) -> None:
        limits = httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_keepalive, keepalive_expiry=KEEPALIVE_EXPIRY
        )
        self._clients = {base: httpx.AsyncClient(timeout=timeout, limits=limits) for base in sorted(set(bases))}
        # Anything else (a URL no route names) gets a client of its own kind rather than an error.
        self._spare = httpx.AsyncClient(timeout=timeout, limits=limits)

    def for_url(self, url: str) -> httpx.AsyncClient:
        """The pooled client of the service that `url` (absolute) belongs to."""
        for base, client in self._clients.items():
            if url.startswith(base):
                return client
        return self._spare

    async def aclose(self) -> None:
        await asyncio.gather(*(c.aclose() for c in (*self._clients.values(), self._spare)))


def client_for(request: Request, url: str) -> httpx.AsyncClient:
    upstreams: Upstreams = request.app.state.upstreams
    return upstreams.for_url(url)


def as_caller(request: Request) -> Callable[..., Awaitable[tuple[int, Any]]]:
    """GETs to the services carrying the caller's own token: each service applies its policy and audits the read."""
    headers = {
        "Authorization": request.headers.get("authorization", ""),
        CORRELATION_HEADER: current_correlation_id(),
        "X-Forwarded-For": request.client.host if request.client else "",
    }

    async def get(url: str, params: dict[str, Any] | None = None) -> tuple[int, Any]:
        try:
            r = await client_for(request, url).get(url, params=params, headers=headers)
        except httpx.HTTPError as exc:
            raise Unavailable(f"{url.split('/api/')[0]} is unavailable") from exc
        try:
            return r.status_code, r.json()
        except ValueError:
            return r.status_code, r.text

    return get
