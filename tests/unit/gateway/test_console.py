"""The console's own logic, without a browser: charts, redirects, CSRF binding, where import progress comes from."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.requests import Request

from services.gateway.console import imports, web
from services.gateway.console.auth import safe_next
from services.gateway.console.reports import chart


def test_a_chart_escapes_every_label_and_leaves_a_suppressed_point_as_a_gap() -> None:
    rows = [
        {"data_owner": "<script>alert(1)</script>", "matched": 7, "shared": "suppressed"},
        {"data_owner": "CBP", "matched": 12, "shared": 6},
    ]
    svg = str(chart("data_owners", rows))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert svg.count("<rect") == 3 + 2  # three bars (one suppressed cell drawn as none) and two legend keys
    assert 'role="img"' in svg and "aria-label=" in svg


def test_a_table_with_nothing_to_draw_has_no_chart() -> None:
    assert chart("totals", []) is None
    assert chart("only_text", [{"period": "2026-10", "note": "x"}]) is None
    # Every count zero or suppressed: no empty frame with a made-up axis.
    rows = [{"week": "2026-W40", "matches": "suppressed"}, {"week": "2026-W41", "matches": 0}]
    assert chart("weekly", rows) is None


@pytest.mark.parametrize(
    ("target", "safe"),
    [
        ("/cases/1", "/cases/1"),
        ("https://evil.example/", None),
        ("//evil.example/", None),
        ("/\\evil.example", None),
        ("", None),
    ],
)
def test_sign_in_only_returns_to_a_path_of_this_site(target: str, safe: str | None) -> None:
    assert safe_next(target) == safe


def _request(cookies: dict[str, str], form: bytes = b"", headers: dict[str, str] | None = None) -> Request:
    settings = SimpleNamespace(jwt_secret="unit-test-secret-that-is-long-enough", jwt_issuer="tracs")
    app = SimpleNamespace(state=SimpleNamespace(settings=settings))
    raw = [(b"cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()).encode())]
    raw += [(b"content-type", b"application/x-www-form-urlencoded")]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    scope = {"type": "http", "method": "POST", "path": "/x", "headers": raw, "app": app, "query_string": b""}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": form, "more_body": False}

    return Request(scope, receive)


def test_a_csrf_token_is_good_only_with_the_session_it_was_made_for() -> None:
    token = web.csrf_token(_request({web.SESSION_COOKIE: "session-a"}))
    good = _request({web.SESSION_COOKIE: "session-a"}, f"csrf_token={token}".encode())
    assert asyncio.run(web.form_with_csrf(good))["csrf_token"] == token
    by_header = _request({web.SESSION_COOKIE: "session-a"}, headers={web.CSRF_HEADER: token})
    asyncio.run(web.form_with_csrf(by_header))  # htmx sends it as a header
    for request in (
        _request({web.SESSION_COOKIE: "session-b"}, f"csrf_token={token}".encode()),
        _request({web.SESSION_COOKIE: "session-a"}, b"csrf_token=forged"),
        _request({web.SESSION_COOKIE: "session-a"}),
        _request({}, f"csrf_token={token}".encode()),
    ):
        with pytest.raises(web.CsrfRefused):
            asyncio.run(web.form_with_csrf(request))


def _batch(**extra: Any) -> dict[str, Any]:
    base = {"id": "b1", "status": "confirmed", "rows_imported": 9, "rows_attached": 0, "rows_failed": 0}
    return {**base, "progress": "attaching", **extra}


def _progress(batch: dict[str, Any]) -> dict[str, Any]:
    return asyncio.run(imports._progress(None, batch))  # type: ignore[arg-type]


def test_progress_is_what_intake_counts_of_cases_answers() -> None:
    failures = [{"row_number": 3, "encounter_id": "e", "reason": "last_name: longer than 1000 characters"}]
    done = _progress(_batch(rows_attached=7, rows_failed=2, progress="done", failures=failures))
    assert done == {"attached": 7, "failed": 2, "failures": failures, "expected": 9, "done": True, "percent": 100}
    half = _progress(_batch(rows_imported=12, rows_attached=6))
    assert half["expected"] == 12 and half["percent"] == 50 and not half["done"] and half["failures"] == []
    # Nothing to import (every row was invalid or a no-match): done at once, never a division by zero.
    assert _progress(_batch(rows_imported=0, progress="done"))["percent"] == 100
