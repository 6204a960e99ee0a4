"""Admins change a user's roles and programs; the change names a second person who approved it (the API refuses
the admin making it and the user concerned), and the gateway audits both names (issue 29)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.gateway.console.web import Api, ApiError, SessionDep, form_with_csrf, q, redirect, render
from shared.auth import PROGRAMS, ROLES

router = APIRouter()
MANAGE = "user:manage"
REFUSALS = (400, 404, 409, 422)


async def _user(request: Request, session: SessionDep, username: str) -> dict[str, Any]:
    users = await Api(request, session).get("/api/v1/users")
    found = next((u for u in users if u["username"] == username), None)
    if found is None:
        raise ApiError(404, f"no user {username!r}")
    return found


def _form(
    request: Request, user: dict[str, Any], *, chosen: dict[str, Any], error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    return render(
        request,
        "user_access.html",
        status_code=status_code,
        title=f"Roles and programs of {user['username']}",
        user=user,
        chosen=chosen,
        roles=sorted(ROLES),
        programs=sorted(PROGRAMS),
        error=error,
    )


@router.get("/admin/users/{username}/access")
async def access_form(username: str, request: Request, session: SessionDep) -> HTMLResponse:
    session.require(MANAGE)
    user = await _user(request, session, username)
    return _form(request, user, chosen={"roles": user["roles"], "programs": user["programs"], "approved_by": ""})


@router.post("/admin/users/{username}/access")
async def change_access(username: str, request: Request, session: SessionDep) -> Response:
    """PATCH the roles and programs as ticked, with who approved; a refusal shows the form again with its reason."""
    form = await form_with_csrf(request)
    chosen = {
        "roles": form.getlist("roles"),
        "programs": form.getlist("programs"),
        "approved_by": str(form.get("approved_by") or "").strip(),
    }
    body = {**chosen, "approved_by": chosen["approved_by"] or None}
    try:
        await Api(request, session).call("PATCH", f"/api/v1/users/{q(username)}", json=body)
    except ApiError as exc:
        if exc.status not in REFUSALS:
            raise
        user = await _user(request, session, username)
        return _form(request, user, chosen=chosen, error=exc.detail, status_code=exc.status)
    approver = chosen["approved_by"]
    return redirect(request, "/admin", f"Roles and programs of {username} changed, approved by {approver}.")
