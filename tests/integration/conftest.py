"""Fixtures of the integration tests: a scratch database of their own on the real PostgreSQL server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from shared.db import drop_database, ensure_database
from tests.infra import Infra


@pytest.fixture
def empty_database(infra: Infra, namespace: str) -> Iterator[str]:
    """The SQLAlchemy URL of a new, empty database; dropped after the test."""
    url = infra.database_url.rsplit("/", 1)[0] + f"/it_{namespace}"
    asyncio.run(ensure_database(url))
    yield url
    asyncio.run(drop_database(url))
