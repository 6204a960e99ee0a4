"""Information bulletins: readers list and read them; writers draft, edit, delete, send and record approval."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.gateway.console.web import Api, ApiError, SessionDep, form_with_csrf, redirect, render, submit

router = APIRouter()

STATUSES = ["draft", "sent", "approved"]
FIELDS = ("title", "description", "case_summary", "services_provided", "outcome")
PAGE = 50
WRITE = "bulletin:write"
REFUSALS = (400, 409, 422)


@router.get("/bulletins")
async def listing(request: Request, session: SessionDep, status: str = "", offset: int = 0) -> HTMLResponse:
    """The API's filter (status) and its offset paging, fifty a page."""
    offset = max(offset, 0)
    items = await Api(request, session).get("/api/v1/bulletins", status=status or None, limit=PAGE, offset=offset)
    return render(
        request,
        "bulletins.html",
        title="Information bulletins",
        items=items,
        chosen=status,
        statuses=STATUSES,
        offset=offset,
        more=len(items) == PAGE,
        page=PAGE,
    )


def _form(
    request: Request, *, values: dict[str, Any], action: str, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    editing = action != "/bulletins"
    return render(
        request,
        "bulletin_form.html",
        status_code=status_code,
        title="Edit the bulletin" if editing else "New information bulletin",
        values=values,
        action=action,
        editing=editing,
        error=error,
    )


def _typed(form: Any) -> dict[str, str]:
    return {k: str(form.get(k) or "").strip() for k in FIELDS}


@router.get("/bulletins/new")
async def new_form(request: Request, session: SessionDep) -> HTMLResponse:
    session.require(WRITE)
    return _form(request, values={}, action="/bulletins")


@router.post("/bulletins")
async def create(request: Request, session: SessionDep) -> Response:
    values = _typed(await form_with_csrf(request))
    try:
        created = await Api(request, session).post("/api/v1/bulletins", values)
    except ApiError as exc:
        if exc.status not in REFUSALS:
            raise
        return _form(request, values=values, action="/bulletins", error=exc.detail, status_code=exc.status)
    return redirect(request, f"/bulletins/{created['id']}", "Bulletin drafted.")


@router.get("/bulletins/{bulletin_id}")
async def detail(bulletin_id: uuid.UUID, request: Request, session: SessionDep) -> HTMLResponse:
    """The bulletin as it stands and, below, every iteration as written (PIA 3: bulletins "record iterations")."""
    api = Api(request, session)
    bulletin = await api.get(f"/api/v1/bulletins/{bulletin_id}")
    try:
        iterations: list[dict[str, Any]] | ApiError = await api.get(f"/api/v1/bulletins/{bulletin_id}/iterations")
    except ApiError as exc:  # the page still shows the bulletin, and says why its history is missing
        iterations = exc
    return render(request, "bulletin.html", title=bulletin["title"], bulletin=bulletin, iterations=iterations)


@router.get("/bulletins/{bulletin_id}/edit")
async def edit_form(bulletin_id: uuid.UUID, request: Request, session: SessionDep) -> HTMLResponse:
    bulletin = await Api(request, session).get(f"/api/v1/bulletins/{bulletin_id}")
    return _form(request, values=bulletin, action=f"/bulletins/{bulletin_id}/edit")


@router.post("/bulletins/{bulletin_id}/edit")
async def edit(bulletin_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    """PATCH with every field as typed (an emptied outcome is cleared; the API refuses other empty fields)."""
    values = _typed(await form_with_csrf(request))
    action = f"/bulletins/{bulletin_id}/edit"
    try:
        await Api(request, session).call("PATCH", f"/api/v1/bulletins/{bulletin_id}", json=values)
    except ApiError as exc:
        if exc.status not in REFUSALS:
            raise
        return _form(request, values=values, action=action, error=exc.detail, status_code=exc.status)
    return redirect(request, f"/bulletins/{bulletin_id}", "Bulletin changed.")


@router.post("/bulletins/{bulletin_id}/delete")
async def delete(bulletin_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    await form_with_csrf(request)
    url = f"/bulletins/{bulletin_id}"
    return await submit(
        request, f"/api/v1{url}", method="DELETE", back_to=url, done="Bulletin deleted.", go_to=lambda _: "/bulletins"
    )


@router.post("/bulletins/{bulletin_id}/{action}")
async def advance(bulletin_id: uuid.UUID, action: str, request: Request, session: SessionDep) -> Response:
    """`send` records it went to the Executive Secretariat, `approve` its approval (the API checks the order)."""
    await form_with_csrf(request)
    url = f"/bulletins/{bulletin_id}"
    done = {"send": "Recorded as sent to the Executive Secretariat.", "approve": "Approval recorded."}
    return await submit(request, f"/api/v1{url}/{action}", back_to=url, done=done.get(action, "Done."))
