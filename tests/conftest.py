"""Session fixtures: one real PostgreSQL server and one real broker for every test that needs them."""

from __future__ import annotations

import hashlib
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.infra import Infra, real_infra

ROOT = Path(__file__).resolve().parents[1]


def _tracked_state() -> str | None:
    """What the git tree's tracked files hold beyond the last commit (a digest of `git diff HEAD`), or None without
    git. A test run must leave it as it found it: pictures and files go under var/ (`make screenshots` aside)."""
    try:
        diff = subprocess.run(
            ["git", "diff", "HEAD", "--binary"], cwd=ROOT, capture_output=True, check=True, timeout=60
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return hashlib.sha256(diff).hexdigest()


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_TRACKED] = _tracked_state()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    before = session.config.stash.get(_TRACKED, None)
    if before is None or "TRACS_CONSOLE_SCREENSHOTS" in os.environ:
        return  # `make screenshots` retakes docs/console/*.png on purpose
    if _tracked_state() != before:
        session.config.get_terminal_writer().line()
        session.config.get_terminal_writer().line(
            "the test run changed tracked files (git diff HEAD differs from before the run): tests write under var/",
            red=True,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


_TRACKED = pytest.StashKey[str | None]()


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
