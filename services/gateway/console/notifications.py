"""The signed-in user's notifications: the list (unread first by choice), marking read, how they arrive (in the
console only, or by mail too), and the unread count the menu shows after first paint (htmx)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.gateway.console.web import Api, ApiError, SessionDep, form_with_csrf, render, submit
from services.gateway.console.worklists import PAGE, page_of, pager

router = APIRouter()

KIND_NAMES = {
    "case-assigned": "Case assigned",
    "review-requested": "Review requested",
    "redress-sla": "Redress due soon",
    "referral-replied": "Reply arrived",
}


@router.get("/notifications")
async def notifications_page(request: Request, session: SessionDep) -> HTMLResponse:
    filters = {"unread": "1"} if request.query_params.get("unread") else {}
    number = page_of(request.query_params.get("page"))
    api = Api(request, session)
    page = await api.get(
        "/api/v1/notifications", unread="true" if filters else None, limit=PAGE + 1, offset=(number - 1) * PAGE
    )
    return render(
        request,
        "notifications.html",
        title="Notifications",
        items=page["items"][:PAGE],
        unread=page["unread"],
        filters=filters,
        kinds=KIND_NAMES,
        preference=page.get("preference"),
        pager=pager("/notifications", filters, number, has_next=len(page["items"]) > PAGE),
    )


@router.get("/notifications/count")
async def unread_count(request: Request, session: SessionDep) -> HTMLResponse:
    """The menu's badge: how many are unread (an empty answer when none, so the menu stays quiet)."""
    n = (await Api(request, session).get("/api/v1/notifications/unread"))["unread"]
    return HTMLResponse(f'<span class="badge" id="unread-count">{n} unread</span>' if n else "")


@router.post("/notifications/read")
async def mark_read(request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    ids = [str(i) for i in form.getlist("id")]
    for i in ids:
        try:
            uuid.UUID(i)
        except ValueError:
            raise ApiError(422, f"{i[:40]!r} is not a notification id") from None
    body = {"ids": ids or None}
    done = "Marked as read."
    return await submit(request, "/api/v1/notifications/read", body, back_to="/notifications", done=done)


@router.post("/notifications/preference")
async def set_preference(request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    by_mail = str(form.get("delivery") or "") == "mail"
    done = "You are notified in the console and by mail." if by_mail else "You are notified in the console only."
    return await submit(
        request,
        "/api/v1/notifications/preference",
        {"notify_by_mail": by_mail},
        method="PUT",
        back_to="/notifications",
        done=done,
    )
