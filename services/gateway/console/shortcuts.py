"""The keyboard shortcuts, listed on a page of their own (`?` opens it from any page; static/keys.js does the rest)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.gateway.console.web import render

router = APIRouter()

# (keys, what they do, where): the page lists them; keys.js and the data-key attributes of the pages act on them.
SHORTCUTS = (
    ("Everywhere", (("?", "open this list"), ("/", "go to the page's search field"))),
    (
        "Lists (case queue, audit trail, imports)",
        (
            ("j or ↓", "next row"),
            ("k or ↑", "previous row"),
            ("Enter", "open the row"),
        ),
    ),
    (
        "A case",
        (
            ("a", "assign the case to me"),
            ("f", "write a finding"),
            ("s", "record a search"),
            ("d", "draft a disclosure"),
            ("t", "go to the timeline"),
        ),
    ),
)


@router.get("/help/keys")
async def keys_page(request: Request) -> HTMLResponse:
    return render(request, "keys.html", title="Keyboard shortcuts", shortcuts=SHORTCUTS)
