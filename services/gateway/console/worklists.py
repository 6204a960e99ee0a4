"""Worklists: my imports (everyone's for supervisors), disclosures and drafts, reviews awaiting me.

Each list is one API call a page at a time; its filters and page number live in the address, so a list can be
bookmarked or sent to a colleague. A page past the end says so instead of showing an empty table.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.gateway.console.web import Api, ApiError, SessionDep, render
from shared.web import MAX_OFFSET

router = APIRouter()

PAGE = 25
IMPORT_STATUSES = ["staged", "confirmed", "rejected"]
DRAFT_STATUSES = ["draft", "in-review", "approved", "sending", "sent", "not-sendable", "discarded"]


def page_of(text: str | None) -> int:
    """The page number in the address (1 when none); a number that is not a page is refused in words."""
    try:
        number = int(text or 1)
    except ValueError:
        raise ApiError(422, f"“{text}” is not a page number.") from None
    if number < 1 or (number - 1) * PAGE > MAX_OFFSET:
        raise ApiError(422, f"There is no page {number}: pages are numbered from 1.")
    return number


def pager(base: str, filters: dict[str, str], number: int, *, has_next: bool, total: int | None = None) -> dict:
    """Previous and next (and the last, when the total is known) with the filters kept in every link."""
    last = max(1, -(-total // PAGE)) if total is not None else None
    return {
        "base": base,
        "filters": filters,
        "number": number,
        "last": last,
        "previous": number - 1 if number > 1 else None,
        "next": number + 1 if has_next else None,
    }


def _filters(request: Request, names: tuple[str, ...]) -> dict[str, str]:
    return {k: v.strip() for k in names if (v := request.query_params.get(k, "")).strip()}


@router.get("/imports/list")
async def imports_list(request: Request, session: SessionDep) -> HTMLResponse:
    """One's imports, newest first; a supervisor or auditor sees everyone's unless they ask for their own."""
    filters = _filters(request, ("status", "mine"))
    number = page_of(request.query_params.get("page"))
    sees_all = session.can("intake:oversee")
    page = await Api(request, session).get(
        "/api/v1/intake/batches",
        status=filters.get("status"),
        mine="true" if filters.get("mine") or not sees_all else None,
        limit=PAGE,
        offset=(number - 1) * PAGE,
    )
    has_next = number * PAGE < page["total"]
    return render(
        request,
        "imports_list.html",
        title="My imports" if (filters.get("mine") or not sees_all) else "Imports",
        items=page["items"],
        total=page["total"],
        filters=filters,
        statuses=IMPORT_STATUSES,
        sees_all=sees_all,
        pager=pager("/imports/list", filters, number, has_next=has_next, total=page["total"]),
    )


async def _drafts(request: Request, session: SessionDep, number: int, **params: Any) -> tuple[list[Any], bool]:
    """A page of drafts and whether another follows (one more than a page is asked for)."""
    items = await Api(request, session).get("/api/v1/disclosures", limit=PAGE + 1, offset=(number - 1) * PAGE, **params)
    return items[:PAGE], len(items) > PAGE


@router.get("/disclosures")
async def disclosures_list(request: Request, session: SessionDep) -> HTMLResponse:
    """Drafts and disclosures of one's programs: mine or all, by state (drafts included: each opens its page)."""
    filters = _filters(request, ("status", "mine"))
    number = page_of(request.query_params.get("page"))
    items, has_next = await _drafts(
        request, session, number, status=filters.get("status"), mine="true" if filters.get("mine") else None
    )
    return render(
        request,
        "disclosures_list.html",
        title="My drafts and disclosures" if filters.get("mine") else "Disclosures and drafts",
        items=items,
        filters=filters,
        statuses=DRAFT_STATUSES,
        pager=pager("/disclosures", filters, number, has_next=has_next),
    )


@router.get("/reviews")
async def reviews_awaited(request: Request, session: SessionDep) -> HTMLResponse:
    """Drafts in review one may approve: a supervisor's, never their own, nor one they approved already."""
    number = page_of(request.query_params.get("page"))
    items, has_next = await _drafts(request, session, number, awaiting_review="true")
    return render(
        request,
        "reviews.html",
        title="Reviews awaited",
        items=items,
        may_review=session.can("disclosure:approve"),
        pager=pager("/reviews", {}, number, has_next=has_next),
    )
