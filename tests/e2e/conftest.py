"""One running TRACS (five services + gateway as separate processes) shared by the end-to-end tests."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from shared.events import topics
from shared.kafka import ensure_topics
from shared.settings import TracsSettings
from tests.infra import Infra
from tests.oidc_provider import RunningProvider, running_provider
from tests.support import Gateway
from tracs.infra import free_port, stop_process, wait_for_port
from tracs.pki import DEV_OFFICE_EMAIL, DEV_PARTNERS, ensure_dev_pki
from tracs.stack import DEFAULT_PORTS, Stack, development_env

TEST_PARTITIONS = 3


@contextlib.contextmanager
def running_stack(infra: Infra, var: Path, env: dict[str, str] | None = None) -> Iterator[Stack]:
    """Six processes with their own topic prefix and databases on the shared servers (`env` overrides)."""
    ns = f"e{uuid.uuid4().hex[:8]}"
    settings = TracsSettings(kafka_bootstrap=infra.kafka_bootstrap, topic_partitions=TEST_PARTITIONS)
    asyncio.run(ensure_topics(settings, [f"{ns}.{t}" for t in topics.all_with_dlq()]))
    stack = Stack(
        var=var,
        database_url=infra.database_url,
        kafka_bootstrap=infra.kafka_bootstrap,
        ports={name: free_port() for name in DEFAULT_PORTS},
        topic_prefix=f"{ns}.",
        database_suffix=f"_{ns}",
        # Small consumer batches so a kill lands mid-stream; fast relay polling keeps tests short.
        extra_env={
            "TRACS_CASES_CONSUMER_MAX_RECORDS": "250",
            "TRACS_RELAY_POLL_INTERVAL": "0.05",
            # Audit checkpoints every second of activity, so the tests see them soon.
            "TRACS_AUDIT_CHECKPOINT_SECONDS": "1",
            # Redress looks for requests near their SLA every two seconds (not five minutes), so a notification
            # test sees RedressSlaNearing without waiting.
            "TRACS_REDRESS_SLA_WATCH_INTERVAL_SECONDS": "2",
            # Gauges read from the databases (outbox age, pending dead letters) follow within a second.
            "TRACS_METRICS_INTERVAL": "0.5",
            "TRACS_TOPIC_PARTITIONS": str(TEST_PARTITIONS),
            # Tight intake limits so the hostile-file tests stay small.
            "TRACS_INTAKE_MAX_ROWS": "6000",
            "TRACS_INTAKE_MAX_COLUMNS": "60",
            "TRACS_INTAKE_MAX_UPLOAD_BYTES": str(3 * 1024 * 1024),
            "TRACS_INTAKE_MAX_DECOMPRESSED_BYTES": str(30 * 1024 * 1024),
            # UK files write "NOT GIVEN" for what they do not know (test_intake_realism); header aliases and
            # day-first dates for UK-VISA are the product's defaults, as `tracs up` runs them.
            "TRACS_INTAKE_PROGRAM_UNKNOWN_MARKERS": '{"UK-VISA": ["NOT GIVEN"]}',
        },
    )
    stack.extra_env.update(env or {})
    # Disclosure signs with a development PKI and mails a real SMTP sink.
    ensure_dev_pki(var / "pki", DEV_OFFICE_EMAIL, DEV_PARTNERS)
    smtp_port = free_port()
    sink = subprocess.Popen(
        [sys.executable, "-m", "tracs.mailsink", "--dir", str(var / "mail"), "--port", str(smtp_port)]
    )
    wait_for_port(smtp_port, 15, sink)
    stack.extra_env.update(development_env(var, smtp_port))
    try:
        stack.start_all()
        yield stack
    finally:
        stack.stop_all()
        stop_process(sink)


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningProvider]:
    """The identity provider the shared stack trusts, and the console signs in through (tests/oidc_provider.py)."""
    with running_provider(tmp_path_factory.mktemp("idp")) as provider:
        yield provider


@pytest.fixture(scope="session")
def stack(infra: Infra, tmp_path_factory: pytest.TempPathFactory, oidc_provider: RunningProvider) -> Iterator[Stack]:
    """The stack most end-to-end tests share; they isolate themselves by their own data. Its local logins and
    the test provider both sign people in, as in a deployment moving to an identity provider."""
    with running_stack(infra, tmp_path_factory.mktemp("stack"), oidc_provider.gateway_env()) as s:
        yield s


@pytest.fixture
async def gateway(stack: Stack) -> AsyncIterator[Gateway]:
    gw = Gateway(stack.url("edge"))
    await gw.login("analyst")
    yield gw
    await gw.aclose()
