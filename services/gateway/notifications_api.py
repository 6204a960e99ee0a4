"""Gateway HTTP, one's own notifications: the list, the unread count, marking read, the mail preference."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from services.gateway import notifications
from shared.runtime import RuntimeDep
from shared.web import MAX_OFFSET, CurrentPrincipal, secured

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])


class NotificationOut(BaseModel):
    id: uuid.UUID
    kind: str = Field(description="case-assigned, review-requested, redress-sla or referral-replied")
    record_type: str
    record_id: str
    label: str
    link: str = Field(description="the console page of the record")
    created_at: datetime
    read_at: datetime | None
    mail_state: str = Field(description="none (in-app only), due, sent or failed")


class Preference(BaseModel):
    notify_by_mail: bool = Field(description="false: in the console only; true: also by mail")


class PreferenceOut(Preference):
    email: str | None = Field(description="the address an admin recorded (no mail is sent without one)")


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    unread: int
    preference: PreferenceOut | None = Field(None, description="how they arrive (none for a provider's sign-in)")


class MarkRead(BaseModel):
    ids: list[uuid.UUID] | None = Field(None, max_length=500, description="none: every unread one")


@router.get("", response_model=NotificationPage, **secured("notification:read"))
async def listing(
    rt: RuntimeDep,
    principal: CurrentPrincipal,
    unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> dict[str, Any]:
    """The caller's own notifications, newest first (nobody reads another's)."""
    return await notifications.listing(
        uow=rt.uow(actor=principal.username), username=principal.username, unread=unread, limit=limit, offset=offset
    )


@router.get("/unread", **secured("notification:read"))
async def unread(rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, int]:
    return {"unread": await notifications.unread(uow=rt.uow(actor=principal.username), username=principal.username)}


@router.post("/read", **secured("notification:read"))
async def mark_read(body: MarkRead, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, int]:
    n = await notifications.mark_read(uow=rt.uow(actor=principal.username), username=principal.username, ids=body.ids)
    return {"marked": n}


@router.put("/preference", response_model=PreferenceOut, **secured("notification:read"))
async def preference(body: Preference, rt: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    return await notifications.set_preference(
        uow=rt.uow(actor=principal.username), username=principal.username, notify_by_mail=body.notify_by_mail
    )
