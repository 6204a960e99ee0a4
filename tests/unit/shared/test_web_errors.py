"""Database refusals a caller caused are named to the caller; anything else stays a server error."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import DBAPIError

from shared.errors import in_units
from shared.web import install_common


class _PgError(Exception):
    pass


def _app(message: str) -> FastAPI:
    app = FastAPI(title="test")

    async def ready() -> dict[str, bool]:
        return {}

    install_common(app, readiness=ready)

    @app.post("/store")
    async def store() -> None:
        raise DBAPIError("INSERT ...", {}, _PgError(message))

    return app


@pytest.mark.parametrize(
    "message",
    ["unsupported Unicode escape sequence", 'invalid byte sequence for encoding "UTF8": 0x00'],
)
def test_a_nul_in_text_is_a_422_that_names_it(message: str) -> None:
    r = TestClient(_app(message)).post("/store")
    assert r.status_code == 422 and "NUL character" in r.json()["detail"], r.text


def test_any_other_database_error_is_still_a_500() -> None:
    r = TestClient(_app("deadlock detected"), raise_server_exceptions=False).post("/store")
    assert r.status_code == 500


@pytest.mark.parametrize(
    ("size", "said"),
    [(0, "0 bytes"), (1023, "1023 bytes"), (2048, "2.0 KiB"), (52_428_800, "50.0 MiB"), (167_772_160, "160.0 MiB"),
     (3 * 2**30, "3.0 GiB"), (5 * 2**40, "5120.0 GiB")],
)  # fmt: skip
def test_a_refusal_names_a_size_in_the_unit_it_reaches(size: int, said: str) -> None:
    assert in_units(size) == said
