"""Gateway HTTP, user administration beyond create and change (api.py): disable, enable, unlock, reset password.

Each is an admin's audited action on one login (`user:manage`), written to the gateway's trail with the change.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from services.gateway import accounts
from services.gateway.api import UserOut
from shared.runtime import RuntimeDep
from shared.web import CurrentPrincipal, secured

router = APIRouter(prefix="/api/v1/users", tags=["users"])


class Disable(BaseModel):
    reason: str = Field("", max_length=500, description="why (kept in the trail)")


class PasswordReset(BaseModel):
    temporary_password: str = Field(max_length=200, description="given to the user; they must replace it at sign-in")


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.post("/{username}/disable", response_model=UserOut, **secured("user:manage"))
async def disable(
    username: str, request: Request, rt: RuntimeDep, principal: CurrentPrincipal, body: Disable | None = None
) -> dict[str, Any]:
    """The login can no longer sign in or refresh its token; cases stops offering it work (StaffChanged)."""
    return await accounts.set_enabled(
        uow=rt.uow(actor=principal.username),
        username=username,
        enabled=False,
        reason=body.reason if body else "",
        client=_client(request),
        training_valid_days=rt.settings.training_valid_days,
    )


@router.post("/{username}/enable", response_model=UserOut, **secured("user:manage"))
async def enable(username: str, request: Request, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return await accounts.set_enabled(
        uow=rt.uow(actor=principal.username),
        username=username,
        enabled=True,
        client=_client(request),
        training_valid_days=rt.settings.training_valid_days,
    )


@router.post("/{username}/unlock", response_model=UserOut, **secured("user:manage"))
async def unlock(username: str, request: Request, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """Lift the lockout failed sign-ins set (TRACS_GATEWAY_LOCKOUT_THRESHOLD / _LOCKOUT_MINUTES)."""
    return await accounts.unlock(uow=rt.uow(actor=principal.username), username=username, client=_client(request))


@router.post("/{username}/password", response_model=UserOut, **secured("user:manage"))
async def reset_password(
    username: str, body: PasswordReset, request: Request, rt: RuntimeDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Set a temporary password: no token is issued for it until the user has chosen their own."""
    return await accounts.reset_password(
        uow=rt.uow(actor=principal.username),
        username=username,
        temporary_password=body.temporary_password,
        client=_client(request),
    )
