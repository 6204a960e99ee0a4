"""Helpers shared by the integration and end-to-end tests (real processes, real sockets)."""

from __future__ import annotations

import asyncio
import csv
import io
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def asyncpg_dsn(server_url: str, database: str) -> str:
    return make_url(server_url).set(drivername="postgresql", database=database).render_as_string(hide_password=False)


def database_dsn(url: str) -> str:
    """asyncpg's DSN for a SQLAlchemy URL that names its database."""
    server, database = url.rsplit("/", 1)
    return asyncpg_dsn(server, database)


async def db_fetchval(server_url: str, database: str, query: str, *args: Any) -> Any:
    conn = await asyncpg.connect(asyncpg_dsn(server_url, database))
    try:
        return await conn.fetchval(query, *args)
    finally:
        await conn.close()


async def wait_until(
    check: Callable[[], Awaitable[Any]],
    *,
    timeout: float = 60.0,
    interval: float = 0.2,
    what: str = "condition",
) -> Any:
    """Poll until `check` returns something truthy; fail with `what` if it never does."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last value: {last!r})")


class Gateway:
    """An analyst tool talking to the gateway over HTTP."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.client = httpx.AsyncClient(base_url=base_url, timeout=60)
        self.token: str | None = None

    async def login(self, username: str = "analyst", password: str = "tracs-dev") -> str:
        r = await self.client.post("/api/v1/auth/token", data={"username": username, "password": password})
        assert r.status_code == 200, r.text
        self.token = r.json()["access_token"]
        return self.token

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **extra}

    async def upload(
        self,
        content: bytes,
        *,
        name: str = "matches.csv",
        program: str = "M5",
        kind: str = "partner-query",
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        return await self.client.post(
            "/api/v1/intake/batches",
            files={"file": (name, content, "text/csv")},
            data={"program": program, "kind": kind},
            headers=self.headers(**(headers or {})),
        )

    async def confirm(self, batch_id: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return await self.client.post(
            f"/api/v1/intake/batches/{batch_id}/confirm", headers=self.headers(**(headers or {}))
        )

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return await self.client.get(path, params=params, headers=self.headers())

    async def encounter_total(self, batch_id: str) -> int:
        r = await self.get("/api/v1/encounters", batch_id=batch_id, limit=1)
        assert r.status_code == 200, r.text
        return r.json()["total"]

    async def aclose(self) -> None:
        await self.client.aclose()


async def events_until(
    bootstrap: str, topic: str, done: Callable[[list[dict[str, Any]]], bool], *, timeout: float = 60.0
) -> list[dict[str, Any]]:
    """Read a topic from the start (a throwaway group) until `done` holds for the envelopes seen.

    Records that are not JSON envelopes are passed over: the shared stack's topics also carry the poison
    messages other tests send on purpose (the DLQ and `tracs dlq` tests)."""
    import uuid

    import orjson
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=f"test-{uuid.uuid4().hex[:8]}"
    )
    await consumer.start()
    seen: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(timeout):
            while not done(seen):
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for r in records:
                        try:
                            envelope = orjson.loads(r.value) if r.value else None
                        except orjson.JSONDecodeError:
                            continue
                        if isinstance(envelope, dict) and "payload" in envelope:
                            seen.append(envelope)
    finally:
        await consumer.stop()
    return seen


def one_row_chunk(program: str = "M5") -> Any:
    """An import chunk of one row (a fresh FIN and batch), as intake's dispatcher sends it to cases."""
    import uuid

    from shared.events.intake import EncounterFields, EncountersImported, ImportedRow

    fin = uuid.uuid4().hex[:10]
    row = ImportedRow(
        encounter_id=uuid.uuid4(),
        row_number=2,
        subject_key=f"FIN:{fin}",
        fields=EncounterFields(fin=fin, last_name="Øster"),
        raw={"FIN": fin, "Last Name": "Øster"},
    )
    return EncountersImported(batch_id=uuid.uuid4(), chunk=0, program=program, upload_kind="partner-query", rows=[row])


def apt_install(packages: list[str], why: str) -> None:
    """apt-get install as root (the tests' machines are Debian); anyone else is told the command to run."""
    import os
    import subprocess

    import pytest

    if os.geteuid() != 0:
        named = " ".join(packages)
        pytest.fail(f"{why} needs {named}; only root can install it: apt-get install -y {named}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", *packages]):
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=1200, check=False, env=env)
        if done.returncode != 0:
            pytest.fail(f"{why}: `{' '.join(cmd)}` failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def debian_tools(*programs: str, package: str | None = None, why: str) -> dict[str, str]:
    """Each program's path, apt-get installing what is missing (its own package, or `package`) when the machine
    lacks it: tests that need a Debian tool set it up themselves and fail with apt-get's words, never skip."""
    import shutil

    import pytest

    missing = [p for p in programs if shutil.which(p) is None]
    if missing:
        apt_install([package] if package else missing, why=why)
    paths = {p: shutil.which(p) for p in programs}
    absent = [p for p, path in paths.items() if path is None]
    if absent:
        pytest.fail(f"{why}: apt-get ran but {', '.join(absent)} is not on the PATH")
    return {p: str(path) for p, path in paths.items()}


# Debian's chromium brings no font for Chinese, Japanese or Korean: names in those scripts would be drawn as boxes.
# WenQuanYi Micro Hei is a 1.6 MB download (fonts-noto-cjk is 57 MB) and covers the CJK ideographs and kana.
CJK_FONT = "fonts-wqy-microhei"


def _has_cjk_font() -> bool:
    import subprocess

    listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False)
    return bool(listed.stdout.strip())


def chromium_path(why: str = "the console tests") -> str:
    """Debian's chromium (Playwright drives it; its own browser download is never used) and a CJK font, each
    installed when missing."""
    import shutil

    found = next(filter(None, map(shutil.which, ("chromium", "chromium-browser"))), None)
    found = found or debian_tools("chromium", why=why)["chromium"]
    if not _has_cjk_font():  # fc-list (fontconfig) comes with chromium
        apt_install([CJK_FONT], why=f"{why} (names in Chinese, Japanese or Korean)")
        if not _has_cjk_font():
            import pytest

            pytest.fail(f"{why}: {CJK_FONT} is installed yet fontconfig lists no Chinese font (fc-list :lang=zh)")
    return found
