"""What `make run` starts, exercised for real: `tracs up` end to end, the SMTP sink, `tracs topics`."""

from __future__ import annotations

import asyncio
import os
import signal
import smtplib
import subprocess
import sys
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from shared.db import drop_database, ensure_database
from shared.events import topics
from tests.infra import Infra
from tracs.infra import free_port, stop_process, wait_for_port
from tracs.stack import DEFAULT_PORTS


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACS_")}
    env.update(extra)
    return env


def test_the_smtp_sink_stores_every_message_as_a_file(tmp_path: Path) -> None:
    port = free_port()
    sink = subprocess.Popen([sys.executable, "-m", "tracs.mailsink", "--dir", str(tmp_path), "--port", str(port)])
    try:
        wait_for_port(port, 15, sink)
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "obim@example.gov", "partner@example.uk", "Response 1"
        msg.set_content("encrypted body would be here")
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            smtp.send_message(msg)
        stored = list(tmp_path.glob("*.eml"))
        assert len(stored) == 1
        assert b"Subject: Response 1" in stored[0].read_bytes()
    finally:
        stop_process(sink)


def test_topics_create_is_idempotent_and_describe_reports_partitions(infra: Infra, namespace: str) -> None:
    env = _clean_env(
        TRACS_KAFKA_BOOTSTRAP=infra.kafka_bootstrap, TRACS_TOPIC_PREFIX=f"{namespace}.", TRACS_TOPIC_PARTITIONS="2"
    )
    cli = [sys.executable, "-m", "tracs.cli", "topics"]
    first = subprocess.run([*cli, "create"], env=env, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("created") == len(topics.all_with_dlq())
    again = subprocess.run([*cli, "create"], env=env, capture_output=True, text=True, timeout=60)
    assert again.stdout.count("exists") == len(topics.all_with_dlq())
    described = subprocess.run([*cli, "describe"], env=env, capture_output=True, text=True, timeout=60)
    assert described.returncode == 0
    assert f"{namespace}.tracs.cases.v1.dlq: 2 partitions" in described.stdout


def test_tracs_up_runs_everything_stops_on_ctrl_c_and_starts_again(tmp_path: Path) -> None:
    """`make run` as a newcomer sees it: own PostgreSQL and broker, a login that works, a clean Ctrl-C, twice."""
    ports = {name: free_port() for name in DEFAULT_PORTS}
    env = _clean_env(
        TRACS_VAR_DIR=str(tmp_path / "var"),
        TRACS_PG_PORT=str(free_port()),
        TRACS_KAFKA_PORT=str(free_port()),
        TRACS_SMTP_PORT=str(free_port()),
        TRACS_TOPIC_PARTITIONS="2",
        **{f"TRACS_{name.upper()}_PORT": str(port) for name, port in ports.items()},
    )
    gateway = f"http://127.0.0.1:{ports['edge']}"  # the public entry: the edge
    for run in range(2):
        log = (tmp_path / f"up-{run}.log").open("wb")
        up = subprocess.Popen(
            [sys.executable, "-m", "tracs.cli", "up"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 180
            while b"TRACS is running" not in (tmp_path / f"up-{run}.log").read_bytes():
                assert up.poll() is None, (tmp_path / f"up-{run}.log").read_text()
                assert time.monotonic() < deadline, "tracs up did not come up"
                time.sleep(0.5)
            token = httpx.post(
                f"{gateway}/api/v1/auth/token", data={"username": "supervisor", "password": "tracs-dev"}
            ).json()
            r = httpx.get(f"{gateway}/api/v1/encounters", headers={"Authorization": f"Bearer {token['access_token']}"})
            assert r.status_code == 200
        finally:
            up.send_signal(signal.SIGINT)  # Ctrl-C
            assert up.wait(90) == 0
        output = (tmp_path / f"up-{run}.log").read_text()
        assert "stopped." in output
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{gateway}/healthz")
    assert not (tmp_path / "var" / "run" / "tracs-up.pid").exists()
    pki = tmp_path / "var" / "pki"
    assert (pki / "office.crt").exists() and (pki / "pcsc-greece.key").exists() and (pki / "ca.crt").exists()


async def test_tracs_users_create_adds_a_login_that_authenticates_and_refuses_bad_input(
    infra: Infra, namespace: str
) -> None:
    from services.gateway import sign_in
    from services.gateway.db import tables
    from services.gateway.settings import Settings
    from shared.db import create_engine, drop_database, session_factory
    from shared.uow import UnitOfWork

    env = _clean_env(
        TRACS_DATABASE_URL=infra.database_url,
        TRACS_DATABASE_SUFFIX=f"_{namespace}",
        TRACS_NEW_USER_PASSWORD="correct horse battery",
    )
    cli = [sys.executable, "-m", "tracs.cli", "users", "create"]
    ok = subprocess.run(
        [*cli, "maria.k", "--role", "analyst", "--program", "PCSC"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    again = subprocess.run([*cli, "maria.k", "--role", "analyst"], env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 1 and "already exists" in again.stderr
    bad_role = subprocess.run([*cli, "olaf", "--role", "root"], env=env, capture_output=True, text=True, timeout=60)
    assert bad_role.returncode == 1 and "roles must be" in bad_role.stderr
    short = subprocess.run(
        [*cli, "olaf", "--role", "auditor"],
        env={**env, "TRACS_NEW_USER_PASSWORD": "short"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert short.returncode == 1 and "at least 12" in short.stderr

    settings = Settings(database_url=infra.database_url, database_suffix=f"_{namespace}")
    engine = create_engine(settings.service_database_url, pool_size=1)
    try:
        uow = UnitOfWork(session_factory(engine), tables.outbox, producer="gateway")
        principal = await sign_in.authenticate(
            uow=uow, username="maria.k", password="correct horse battery", threshold=5, lock_minutes=15
        )
        assert principal.roles == frozenset({"analyst"}) and principal.programs == frozenset({"PCSC"})
    finally:
        await engine.dispose()
        await drop_database(settings.service_database_url)


def test_replicas_creating_their_database_at_once_all_start(infra: Infra) -> None:
    """Replicas of a service starting together on a fresh server race to create its database; every one
    must go on (PostgreSQL reports the loser as a duplicate database or as a unique violation)."""
    url = infra.database_url.rsplit("/", 1)[0] + f"/race_{uuid.uuid4().hex[:8]}"

    async def race() -> list[bool]:
        return list(await asyncio.gather(*(ensure_database(url) for _ in range(6))))

    try:
        for _ in range(3):
            created = asyncio.run(race())
            assert created.count(True) == 1  # one created it, the others found it made
            asyncio.run(drop_database(url))
    finally:
        asyncio.run(drop_database(url))
