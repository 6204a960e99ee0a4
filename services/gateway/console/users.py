"""User administration (admins): one login's page to edit its name, email, roles and programs, disable or enable
it, lift a lockout, set a temporary password; and every user's own change of a temporary password at sign-in.

Every form that the API refuses comes back with its error and everything typed (never a password).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.gateway.console.auth import login_page, safe_next, signed_in
from services.gateway.console.web import (
    NONCE_COOKIE,
    Api,
    ApiError,
    SessionDep,
    csrf_token,
    form_with_csrf,
    new_nonce,
    q,
    redirect,
    render,
    set_cookie,
)
from shared.auth import PROGRAMS, ROLES

router = APIRouter()
REFUSALS = (400, 409, 422)


async def _user(api: Api, username: str) -> dict[str, Any]:
    for user in await api.get("/api/v1/users"):
        if user["username"] == username:
            return user
    raise ApiError(404, f"no user {username!r}")


async def _page(
    request: Request,
    session: SessionDep,
    username: str,
    *,
    typed: dict[str, Any] | None = None,
    error: str | None = None,
    form: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    user = await _user(Api(request, session), username)
    until = user.get("locked_until")
    locked = bool(until) and datetime.fromisoformat(str(until).replace("Z", "+00:00")) > datetime.now(UTC)
    return render(
        request,
        "user.html",
        status_code=status_code,
        title=f"User {username}",
        user=user,
        typed=typed or {},
        error=error,
        form=form,
        locked=locked,
        roles=sorted(ROLES),
        programs=sorted(PROGRAMS),
    )


@router.get("/admin/users/{username}")
async def user_page(username: str, request: Request, session: SessionDep) -> HTMLResponse:
    session.require("user:manage")
    return await _page(request, session, username)


async def _act(
    request: Request,
    session: SessionDep,
    username: str,
    *,
    form: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    typed: dict[str, Any],
    done: str,
) -> Response:
    """One admin action through the API; a refusal re-shows the page with the error beside that form."""
    try:
        await Api(request, session).call(method, path, json=body if body is not None else {})
    except ApiError as exc:
        if exc.status not in REFUSALS:
            raise
        return await _page(request, session, username, typed=typed, error=exc.detail, form=form, status_code=exc.status)
    return redirect(request, f"/admin/users/{q(username)}", done)


@router.post("/admin/users/{username}/edit")
async def edit(username: str, request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    typed = {
        "full_name": str(form.get("full_name") or "").strip(),
        "email": str(form.get("email") or "").strip(),
        "roles": form.getlist("roles"),
        "programs": form.getlist("programs"),
        "approved_by": str(form.get("approved_by") or "").strip(),
    }
    body = {k: typed[k] for k in ("full_name", "email", "roles", "programs")}
    if typed["approved_by"]:
        body["approved_by"] = typed["approved_by"]
    return await _act(
        request,
        session,
        username,
        form="edit",
        method="PATCH",
        path=f"/api/v1/users/{q(username)}",
        body=body,
        typed=typed,
        done="User changed.",
    )


ACTIONS = {
    "disable": "Disabled: the user can no longer sign in, and is no longer offered work.",
    "enable": "Enabled: the user may sign in again.",
    "unlock": "Unlocked: the user may sign in again.",
    "password": "Temporary password set: the user must choose a new one at their next sign-in.",
}


@router.post("/admin/users/{username}/{action}")
async def act(username: str, action: str, request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    if action not in ACTIONS:
        raise ApiError(404, f"no user action {action!r}; one of edit, {', '.join(ACTIONS)}")
    typed: dict[str, Any] = {}
    body: dict[str, Any] | None = None
    if action == "disable":
        typed = {"reason": str(form.get("reason") or "")}
        body = typed
    elif action == "password":
        body = {"temporary_password": str(form.get("temporary_password") or "")}
    return await _act(
        request,
        session,
        username,
        form=action,
        method="POST",
        path=f"/api/v1/users/{q(username)}/{action}",
        body=body,
        typed=typed,
        done=ACTIONS[action],
    )


def password_page(request: Request, *, username: str = "", error: str | None = None, status: int = 200) -> Response:
    """Choose a new password (a temporary one must be replaced before any token is issued)."""
    nonce = request.cookies.get(NONCE_COOKIE) or new_nonce()
    response = render(
        request,
        "password.html",
        status_code=status,
        title="Choose a new password",
        csrf=csrf_token(request, bound_to=nonce),
        username=username,
        error=error,
        next=safe_next(request.query_params.get("next")) or "",
    )
    set_cookie(request, response, NONCE_COOKIE, nonce, 3600)
    return response


@router.get("/login/password")
async def password_form(request: Request, username: str = "") -> Response:
    return password_page(request, username=username[:64])


@router.post("/login/password")
async def change_password(request: Request) -> Response:
    form = await form_with_csrf(request)
    username = str(form.get("username") or "")
    new = str(form.get("new_password") or "")
    if new != str(form.get("confirm_password") or ""):
        return password_page(request, username=username, error="the two new passwords differ", status=422)
    r = await Api(request, None).raw(
        "POST",
        "/api/v1/auth/password",
        data={"username": username, "password": str(form.get("password") or ""), "new_password": new},
    )
    if r.status_code != 200:
        try:
            detail = str(r.json().get("detail"))
        except ValueError:
            detail = "the password was not changed"
        if r.status_code == 401:
            return login_page(request, status=401, error=detail, username=username)
        return password_page(request, username=username, error=detail, status=r.status_code)
    body = r.json()
    response = redirect(request, safe_next(str(form.get("next") or "")) or "/", "Your new password is set.")
    signed_in(request, response, body["access_token"], int(body["expires_in"]))
    return response
