"""The console against a fake API: the pages call `/api/v1/...` in-process exactly as in the gateway, and the fake
answers what a test tells it to and records what it was sent."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.testclient import TestClient

from services.gateway import console
from shared.auth import Principal, issue_token
from shared.settings import TracsSettings

SECRET = "unit-test-secret-that-is-long-enough-for-hs256"


@dataclass
class FakeApi:
    """Answers by (method, path); unknown routes are a 404 in the API's shape."""

    answers: dict[tuple[str, str], tuple[int, Any]] = field(default_factory=dict)
    calls: list[tuple[str, str, dict[str, str], Any]] = field(default_factory=list)

    def on(self, method: str, path: str, body: Any = None, status: int = 200) -> None:
        self.answers[(method, path)] = (status, body)

    def sent(self, method: str, path: str) -> list[Any]:
        return [body for m, p, _, body in self.calls if (m, p) == (method, path)]

    def params(self, method: str, path: str) -> list[dict[str, str]]:
        return [params for m, p, params, _ in self.calls if (m, p) == (method, path)]


def console_client(fake: FakeApi, username: str, roles: set[str], programs: set[str]) -> TestClient:
    app = FastAPI()
    app.state.settings = TracsSettings(jwt_secret=SECRET)

    @app.api_route("/api/v1/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def api(rest: str, request: Request) -> Response:
        raw = await request.body()
        body = await request.json() if raw else None
        path = f"/api/v1/{rest}"
        fake.calls.append((request.method, path, dict(request.query_params), body))
        status, answer = fake.answers.get((request.method, path), (404, {"detail": f"no route {path}"}))
        return Response(status_code=204) if status == 204 else JSONResponse(answer, status_code=status)

    app.include_router(console.router)
    console.install(app)
    client = TestClient(app, follow_redirects=False)
    principal = Principal(username, frozenset(roles), frozenset(programs))
    client.cookies.set("tracs_session", issue_token(principal, secret=SECRET, issuer="tracs-gateway", ttl_seconds=600))
    return client


def csrf_of(client: TestClient, page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(page).text)
    assert found is not None, f"no form on {page}"
    return found[1]


def forms_on(html: str) -> list[str]:
    """The actions of the page's POST forms (sign-out excluded)."""
    return [a for a in re.findall(r'<form method="post" action="([^"]+)"', html) if a != "/logout"]


def text_of(page: str) -> str:
    """A page's words without its markup (user text sits in <bdi>, times in <time>), as a reader sees them."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))
