"""Admins: users, agreements (their pages: agreements.py), legal holds."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.gateway.console.web import Api, ApiError, SessionDep, form_with_csrf, q, redirect, render, submit
from shared.auth import PROGRAMS, ROLES

router = APIRouter()


@router.get("/admin")
async def admin_page(request: Request, session: SessionDep) -> HTMLResponse:
    return await _admin(request, session)


async def _admin(
    request: Request,
    session: SessionDep,
    *,
    typed: dict[str, Any] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Each section is a separate API call; a section the user may not see says so instead of failing the page.
    A refused new user comes back with the error and everything typed but the password."""
    api = Api(request, session)
    sections: dict[str, Any] = {}
    for name, path, action in (
        ("users", "/api/v1/users", "user:manage"),
        ("lapsing", "/api/v1/users/lapsing", "user:manage"),
        ("agreements", "/api/v1/agreements", "agreement:read"),
        ("holds", "/api/v1/holds", "retention:manage"),
    ):
        if not session.can(action):
            continue
        try:
            sections[name] = await api.get(path)
        except ApiError as exc:
            sections[name] = exc
    return render(
        request,
        "admin.html",
        status_code=status_code,
        title="Administration",
        sections=sections,
        roles=sorted(ROLES),
        programs=sorted(PROGRAMS),
        typed=typed or {},
        error=error,
    )


async def _act(request: Request, path: str, body: dict[str, Any], done: str) -> Response:
    return await submit(request, path, body, back_to="/admin", done=done)


@router.post("/admin/users")
async def create_user(request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    body = {
        "username": str(form.get("username") or "").strip(),
        "password": str(form.get("password") or ""),
        "roles": form.getlist("roles"),
        "programs": form.getlist("programs"),
    }
    try:
        await Api(request, session).post("/api/v1/users", body)
    except ApiError as exc:
        if exc.status not in (400, 409, 422):
            raise
        typed = {k: v for k, v in body.items() if k != "password"}
        return await _admin(request, session, typed=typed, error=exc.detail, status_code=exc.status)
    return redirect(request, "/admin", "User created.")


@router.post("/admin/users/training")
async def record_training(request: Request, session: SessionDep) -> Response:
    """An admin records the day a user completed the annual privacy training (PIA 8.2)."""
    form = await form_with_csrf(request)
    username = str(form.get("username") or "").strip()
    if not username:
        return redirect(request, "/admin", "Name the user whose training to record.", "error")
    body = {"training_completed_on": str(form.get("training_completed_on") or "") or None}
    path = f"/api/v1/users/{q(username)}"
    return await submit(
        request, path, body, method="PATCH", back_to="/admin", done=f"Training recorded for {username}."
    )


@router.post("/admin/holds")
async def place_hold(request: Request, session: SessionDep) -> Response:
    form = await form_with_csrf(request)
    body = {
        "case_id": str(form.get("case_id") or "") or None,
        "subject_id": str(form.get("subject_id") or "") or None,
        "reason": str(form.get("reason") or ""),
    }
    return await _act(request, "/api/v1/holds", body, "Hold placed.")


@router.post("/admin/holds/{hold_id}/release")
async def release_hold(hold_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    await form_with_csrf(request)
    return await _act(request, f"/api/v1/holds/{hold_id}/release", {}, "Hold released.")
