"""The case queue: filters, "my cases", a sort and a page number all in the URL (a queue can be bookmarked and
shared), page numbers from the API's count, and a case found by its id."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.gateway.console.cases import FLAGS
from services.gateway.console.web import Api, ApiError, SessionDep, redirect, render
from shared.web import MAX_OFFSET

router = APIRouter()

STATUSES = ["new", "in-review", "findings-ready", "response-sent", "closed"]
FILTERS = ("status", "assignee", "program", "partner", "fin", "name", "dob", "transaction", "flag", "batch")
KNOWN = {*FILTERS, "mine", "sort", "page", "cursor", "case"}  # every parameter the queue's address may hold
# Short badges for the flags a row carries (the case page says what each means).
BADGES = {
    "fast-matcher": "fast matcher",
    "derogatory": "derogatory",
    "protected-class": "protected",
    "not-sharable": "not sharable",
    "withdrawn": "withdrawn",
}
PAGE = 50
# The orders offered; the cases service decides what it accepts (and names the allowed values when it refuses).
SORTS = {
    "-opened": "Newest first",
    "opened": "Oldest first",
    "status": "Status (new to closed)",
    "-status": "Status (closed to new)",
    "assignee": "Assignee (A to Z, unassigned first)",
    "-assignee": "Assignee (Z to A)",
    "program": "Program (A to Z)",
    "-program": "Program (Z to A)",
}
DEFAULT_SORT = "-opened"  # fresh imports on top; the API's own default stays oldest first for tools
AROUND = 2  # page numbers linked either side of the current one


class QueueRefused(Exception):
    """What the queue's address asks for cannot be answered; said on the queue page, in words."""


def page_offset(text: str | None, size: int = PAGE) -> tuple[int, int]:
    """The page number in the address (1 when none) and the offset it stands for, within shared.web's bound."""
    if not text:
        return 1, 0
    try:
        number = int(text)
    except ValueError:
        raise QueueRefused(f"“{text}” is not a page number.") from None
    if number < 1 or (number - 1) * size > MAX_OFFSET:
        raise QueueRefused(f"There is no page {number}: pages are numbered from 1.")
    return number, (number - 1) * size


def page_numbers(current: int, last: int, around: int = AROUND) -> list[int | None]:
    """The pages to link: the first, the last and a few around the current one; None where pages are left out."""
    shown = sorted({1, last, *range(max(1, current - around), min(last, current + around) + 1)})
    out: list[int | None] = []
    for n in shown:
        if out and n - (out[-1] or 0) > 1:
            out.append(None)
        out.append(n)
    return out


def age_days(opened_at: str, now: datetime) -> int:
    """Whole days since the case opened (0 on its first day)."""
    opened = datetime.fromisoformat(opened_at.replace("Z", "+00:00"))
    return max(0, (now - opened).days)


def aria_sort(column: str, sort: str) -> str | None:
    """What a sortable header announces: the age column ascends as opening times descend."""
    if sort.removeprefix("-") != column:
        return None
    descending = sort.startswith("-")
    if column == "opened":
        descending = not descending  # the column shows age in days
    return "descending" if descending else "ascending"


def next_sort(column: str, sort: str) -> str:
    """A header link: the column's first order, or the other way round when it is already the sort. Age starts
    youngest first (newest cases), as the queue does."""
    first = "-opened" if column == "opened" else column
    if sort == first:
        return first.removeprefix("-") if first.startswith("-") else f"-{first}"
    return first


def _state(request: Request) -> dict[str, str]:
    """The queue's address as the form and the links keep it: filters, "my cases", the sort (when not the default)."""
    params = request.query_params
    state = {k: v.strip() for k in FILTERS if (v := params.get(k, "")).strip()}
    if params.get("mine"):
        state["mine"] = "1"
    if (sort := params.get("sort", "").strip()) and sort != DEFAULT_SORT:
        state["sort"] = sort
    return state


def _api_filters(state: dict[str, str], username: str) -> dict[str, str]:
    """What the API is asked: "my cases" is the signed-in user as assignee."""
    filters = {k: v for k, v in state.items() if k in FILTERS}
    if state.get("mine"):
        filters["assignee"] = username
    return filters


def _searching(state: dict[str, str]) -> bool:
    """A name or DOB search lists the best match first and pages by the API's cursor, not by number."""
    return bool({"name", "dob"} & state.keys())


@router.get("/cases")
async def queue(request: Request, session: SessionDep, cursor: str | None = None) -> Response:
    """One page of the queue; the count and the page numbers arrive after first paint (htmx), so the page stays
    fast. A case id typed in the form goes straight to the case."""
    if typed := request.query_params.get("case", "").strip():
        return await _find_case(request, session, typed)
    if unknown := sorted(set(request.query_params) - KNOWN):  # a typo'd filter would silently list everything
        error = f"“{unknown[0][:40]}” is not something the queue filters by: one of {', '.join(FILTERS)}."
        nothing = {"items": [], "next_cursor": None}
        return _render(request, session, _state(request), nothing, error=error, status_code=422)
    state = _state(request)
    paging = {k: v for k in ("page", "cursor") if (v := request.query_params.get(k, "").strip())}
    if tidied := _tidied(request, {**state, **paging}):
        return tidied
    sort = state.get("sort", DEFAULT_SORT)
    searching = _searching(state)
    error, number, page = None, 1, {"items": [], "next_cursor": None}
    try:
        if (status := state.get("status")) and status not in STATUSES:  # a typo in a shared address: say so
            raise QueueRefused(f"“{status[:40]}” is not a case status: one of {', '.join(STATUSES)}.")
        number, offset = (1, 0) if searching else page_offset(request.query_params.get("page"))
        paging = {"cursor": cursor} if searching else {"sort": sort, "offset": offset or None}
        page = await Api(request, session).get(
            "/api/v1/cases", **_api_filters(state, session.principal.username), **paging, limit=PAGE
        )
    except QueueRefused as exc:
        error = str(exc)
    except ApiError as exc:
        if exc.status != 422:
            raise
        error = f"The queue cannot be shown as asked: {exc.detail}"
    status = 422 if error else 200
    return _render(request, session, state, page, number=number, cursor=cursor, error=error, status_code=status)


async def _find_case(request: Request, session: SessionDep, typed: str) -> Response:
    """A whole or short case id: the case itself when exactly one has it; otherwise the queue says so."""
    state = {"case": typed}
    try:
        page = await Api(request, session).get("/api/v1/cases", case=typed, limit=2)
    except ApiError as exc:
        if exc.status != 422:
            raise
        message = f"“{typed}” is not a case id: type the whole id or the 8 characters the queue shows."
        return _render(request, session, state, {"items": [], "next_cursor": None}, error=message, status_code=422)
    if len(page["items"]) == 1:
        return redirect(request, f"/cases/{page['items'][0]['id']}")
    if tidied := _tidied(request, state):
        return tidied
    error = None if page["items"] else f"No case has the id “{typed}” (or none you may see)."
    return _render(request, session, state, page, error=error)


def _tidied(request: Request, wanted: dict[str, str]) -> Response | None:
    """The form sends every field, empty ones too (`/cases?status=&fin=&name=…`): the address is sent on to the one
    holding only what was asked, so what the browser shows is worth bookmarking or sending to a colleague."""
    if sorted(request.query_params.multi_items()) == sorted(wanted.items()):
        return None
    return redirect(request, f"/cases?{urlencode(wanted)}" if wanted else "/cases")


def _render(
    request: Request,
    session: SessionDep,
    state: dict[str, str],
    page: dict[str, Any],
    *,
    number: int = 1,
    cursor: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    now = datetime.now(UTC)
    rows = [{**c, "age": age_days(c["opened_at"], now)} for c in page["items"]]
    sort = state.get("sort", DEFAULT_SORT)
    return render(
        request,
        "cases.html",
        status_code=status_code,
        title="Case queue",
        rows=rows,
        next_cursor=page.get("next_cursor"),
        filters=state,
        sort=sort,
        sorts=SORTS,
        default_sort=DEFAULT_SORT,
        cursor=cursor,
        number=number,
        pager=_pager(number, None, bool(page.get("next_cursor"))),
        error=error,
        statuses=STATUSES,
        flags=FLAGS,
        badges=BADGES,
        programs=session.case_programs,
        searching=_searching(state),
        looking_up="case" in state,
        aria_sort=aria_sort,
        next_sort=next_sort,
        me=session.principal.username,
    )


def _pager(number: int, total: int | None, has_next: bool) -> dict[str, Any]:
    """The page links: all of them once the count is known, else the previous and the next."""
    last = max(1, math.ceil(total / PAGE)) if total is not None else None
    return {
        "number": number,
        "last": last,
        "previous": number - 1 if number > 1 else None,
        "next": number + 1 if (last is not None and number < last) or (last is None and has_next) else None,
        "numbers": page_numbers(number, last) if last is not None and number <= last else [],
    }


@router.get("/cases/count")
async def count(request: Request, session: SessionDep) -> Response:
    """How many cases the filters find (the API's own count, so the queue and its count cannot disagree), with the
    page numbers it makes, swapped into the queue's pager."""
    state = _state(request)
    filters = _api_filters(state, session.principal.username)
    total = (await Api(request, session).get("/api/v1/cases/count", **filters))["total"]
    try:
        number = page_offset(request.query_params.get("page"))[0]
    except QueueRefused:
        number = 1
    pager = None if _searching(state) else _pager(number, total, False)
    return render(request, "_count.html", total=total, pager=pager, filters=state)
