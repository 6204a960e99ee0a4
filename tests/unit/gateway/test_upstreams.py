"""The gateway keeps one pooled keep-alive client per service and closes them all on shutdown."""

from __future__ import annotations

from services.gateway.settings import Settings
from services.gateway.upstreams import KEEPALIVE_EXPIRY, Upstreams


async def test_each_service_has_its_own_pooled_client_and_all_close_on_shutdown() -> None:
    settings = Settings()
    upstreams = Upstreams(list(settings.routes().values()), timeout=5, max_connections=8, max_keepalive=4)
    cases = upstreams.for_url(f"{settings.cases_url}/api/v1/cases")
    assert cases is upstreams.for_url(f"{settings.cases_url}/api/v1/encounters/x")  # reused, not per request
    assert cases is not upstreams.for_url(f"{settings.disclosure_url}/api/v1/disclosures")
    pool = cases._transport._pool  # type: ignore[attr-defined]
    assert pool._max_connections == 8 and pool._max_keepalive_connections == 4
    assert pool._keepalive_expiry == KEEPALIVE_EXPIRY
    await upstreams.aclose()
    assert cases.is_closed and upstreams.for_url("http://elsewhere.example/x").is_closed
