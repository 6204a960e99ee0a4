"""Session fixtures: one real PostgreSQL server and one real broker for every test that needs them."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tests.infra import Infra, real_infra


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = str(item.fspath)
        if f"{os.sep}e2e{os.sep}" in path:
            item.add_marker(pytest.mark.e2e)
        elif f"{os.sep}integration{os.sep}" in path:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    with real_infra() as i:
        yield i


@pytest.fixture
def namespace() -> str:
    """A fresh topic prefix / database suffix, so a test's data never meets another's."""
    return f"t{uuid.uuid4().hex[:8]}"
