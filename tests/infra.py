"""Real PostgreSQL and Kafka-protocol broker for the tests.

Order of preference: `TRACS_DATABASE_URL` / `TRACS_KAFKA_BOOTSTRAP` from the environment; testcontainers
when a Docker engine answers; otherwise the embedded PostgreSQL and Tansu wheels (this machine).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tracs.infra import Postgres, Tansu, free_port


@dataclass(frozen=True)
class Infra:
    database_url: str
    kafka_bootstrap: str


def _docker_answers() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@contextlib.contextmanager
def _postgres() -> Iterator[str]:
    if url := os.environ.get("TRACS_DATABASE_URL"):
        yield url
        return
    if _docker_answers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16", driver="asyncpg") as pg:
            yield pg.get_connection_url()
        return
    root = Path(tempfile.mkdtemp(prefix="tracs-test-pg-"))
    server = Postgres(root, free_port())
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def _broker() -> Iterator[str]:
    if bootstrap := os.environ.get("TRACS_KAFKA_BOOTSTRAP"):
        yield bootstrap
        return
    if _docker_answers():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer().with_kraft() as kafka:
            yield kafka.get_bootstrap_server()
        return
    tansu = Tansu(free_port())
    tansu.start()
    try:
        yield tansu.bootstrap
    finally:
        tansu.stop()


@contextlib.contextmanager
def real_infra() -> Iterator[Infra]:
    with _postgres() as db, _broker() as kafka:
        yield Infra(database_url=db, kafka_bootstrap=kafka)
