"""Operators' tools on the running stack: `tracs dlq` replays a dead letter exactly once, and a real Prometheus
scraping the services with the repository's alert rules sees a dead letter as a firing alert."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import yaml
from aiokafka import AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from shared.events import topics, wrap
from tests.support import asyncpg_dsn, db_fetchval, debian_tools, one_row_chunk, wait_until
from tracs.infra import free_port, stop_process
from tracs.stack import SERVICES, Stack

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "monitoring" / "tracs-alerts.rules.yml"


def _db(stack: Stack, service: str) -> str:
    return f"tracs_{service}{stack.database_suffix}"


async def _publish(stack: Stack, topic: str, body: bytes, key: bytes | None, headers: list[tuple[str, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(stack.topic_prefix + topic, body, key=key, headers=headers)
    finally:
        await producer.stop()


@pytest.fixture
def tracs_cli(stack: Stack, tmp_path: Path) -> Any:
    """Runs `tracs ...` as an operator would on the host of `tracs up`: endpoints from var/run/endpoints.json."""
    var = tmp_path / "var"
    (var / "run").mkdir(parents=True)
    endpoints = {
        "TRACS_DATABASE_URL": stack.database_url,
        "TRACS_KAFKA_BOOTSTRAP": stack.kafka_bootstrap,
        "TRACS_TOPIC_PREFIX": stack.topic_prefix,
        "TRACS_DATABASE_SUFFIX": stack.database_suffix,
    }
    (var / "run" / "endpoints.json").write_text(json.dumps(endpoints))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACS_")}
    env |= {"TRACS_VAR_DIR": str(var), "TRACS_OPERATOR": "ops.oncall"}

    async def run(*args: str, expect: int = 0) -> str:
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "tracs.cli", *args],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == expect, f"tracs {' '.join(args)}: {done.returncode}\n{done.stdout}\n{done.stderr}"
        return done.stdout

    return run


async def _scrape(stack: Stack, service: str, name: str, **labels: str) -> float:
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"{stack.url(service)}/metrics")).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


async def test_dlq_replay_applies_a_poisoned_then_fixed_event_exactly_once(stack: Stack, tracs_cli: Any) -> None:
    event = one_row_chunk()
    envelope = wrap(event, producer="intake", correlation_id=f"dlq-replay-{uuid.uuid4().hex[:6]}")
    headers = [
        ("event_type", b"EncountersImported"),
        ("event_id", str(envelope.event_id).encode()),
        ("correlation_id", envelope.correlation_id.encode()),
    ]
    cases_db = asyncpg_dsn(stack.database_url, _db(stack, "cases"))
    refuse = f"tracs_test_refuse_{uuid.uuid4().hex[:8]}"

    async def encounters() -> int:
        return await db_fetchval(
            stack.database_url, _db(stack, "cases"), "SELECT count(*) FROM encounters WHERE batch_id = $1",
            event.batch_id,
        )  # fmt: skip

    # The poison: cases' database refuses its answer to this chunk, as a bug in cases would, for every attempt.
    # (A row the database refuses is named on its batch and the chunk applies; a failure outside the rows,
    # here the answer's outbox row, fails the whole event, which goes to the DLQ.)
    conn = await asyncpg.connect(cases_db)
    try:
        await conn.execute(
            f"CREATE FUNCTION {refuse}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"RAISE EXCEPTION 'answer refused by the test' USING ERRCODE = 'check_violation'; END $$"
        )
        await conn.execute(
            f"CREATE TRIGGER {refuse} BEFORE INSERT ON outbox FOR EACH ROW "
            f"WHEN (convert_from(NEW.body, 'UTF8') LIKE '%{event.batch_id}%') EXECUTE FUNCTION {refuse}()"
        )
    finally:
        await conn.close()
    pending_before = await _scrape(stack, "cases", "tracs_dlq_pending", consumer="cases.chunks")
    await _publish(stack, topics.INTAKE_CHUNKS, envelope.to_bytes(), event.partition_key().encode(), headers)

    async def listed() -> dict[str, Any] | None:
        rows = json.loads(await tracs_cli("dlq", "list", "--json"))
        return next((r for r in rows if r["event_id"] == str(envelope.event_id)), None)

    letter = await wait_until(listed, timeout=90, interval=1, what="the dead letter in `tracs dlq list`")
    assert letter["consumer"] == "cases.chunks" and letter["state"] == "pending"
    assert letter["id"].startswith(f"{topics.INTAKE_CHUNKS}.dlq:")
    assert "answer refused by the test" in letter["error"]
    assert await encounters() == 0  # the event's effects rolled back with its answer
    await wait_until(
        lambda: _pending_is(stack, pending_before + 1), timeout=30, what="tracs_dlq_pending counting the dead letter"
    )

    shown = json.loads(await tracs_cli("dlq", "show", letter["id"], "--json"))
    assert shown["source"].startswith(stack.topic_prefix + topics.INTAKE_CHUNKS + ":")
    assert shown["headers"]["event_type"] == "EncountersImported"
    assert shown["headers"]["correlation_id"] == envelope.correlation_id
    assert "payload" not in shown and "key" not in shown  # personal data only with --payload
    assert "CheckViolation" in shown["trace"] or "IntegrityError" in shown["trace"]

    # The fix, then the replay.
    conn = await asyncpg.connect(cases_db)
    try:
        await conn.execute(f"DROP TRIGGER {refuse} ON outbox; DROP FUNCTION {refuse}()")
    finally:
        await conn.close()
    replayed = await tracs_cli("dlq", "replay", letter["id"])
    assert f"{letter['id']}: replayed to {stack.topic_prefix}{topics.INTAKE_CHUNKS}:" in replayed
    await wait_until(lambda: _is(encounters, 1), timeout=60, what="the replayed encounter")

    # Repeating is safe: the command sees it was replayed; a stray second copy (a replay that died after
    # publishing and before its audit entry) is absorbed by the inbox.
    again = await tracs_cli("dlq", "replay", letter["id"])
    assert "already replayed by ops.oncall" in again
    await _publish(stack, topics.INTAKE_CHUNKS, envelope.to_bytes(), event.partition_key().encode(), headers)
    await asyncio.sleep(3)
    assert await encounters() == 1
    answers = await db_fetchval(
        stack.database_url,
        _db(stack, "cases"),
        "SELECT count(*) FROM outbox WHERE event_type = 'EncountersAttached' AND convert_from(body, 'UTF8') LIKE $1",
        f"%{event.batch_id}%",
    )
    assert answers == 1  # applied exactly once: one answer
    inbox = await db_fetchval(
        stack.database_url, _db(stack, "cases"), "SELECT status FROM inbox WHERE event_id = $1", envelope.event_id
    )
    assert inbox == "done"
    await wait_until(lambda: _pending_is(stack, pending_before), timeout=30, what="tracs_dlq_pending back down")

    assert await listed() is None  # handled: gone from the operator's list
    everything = json.loads(await tracs_cli("dlq", "list", "--all", "--json"))
    state = next(r["state"] for r in everything if r["id"] == letter["id"])
    assert state.startswith("replayed by ops.oncall at ")
    trail = await db_fetchval(
        stack.database_url,
        _db(stack, "gateway"),
        "SELECT string_agg(action || ' ' || actor || ' ' || outcome, ',' ORDER BY seq) FROM audit_trail"
        " WHERE record_id = $1",
        letter["id"],
    )
    assert trail == "dlq:show ops.oncall allowed,dlq:replay ops.oncall allowed,dlq:replay ops.oncall refused"


async def test_dlq_drop_hides_a_dead_letter_and_keeps_it_unapplied(stack: Stack, tracs_cli: Any) -> None:
    marker = f"dlq-drop-{uuid.uuid4().hex[:8]}"
    await _publish(
        stack, topics.REDRESS, b"\xff a body no consumer can decode", None, [("correlation_id", marker.encode())]
    )

    async def ours(*flags: str) -> list[dict[str, Any]]:
        rows = json.loads(await tracs_cli("dlq", "list", "--json", *flags))
        return [r for r in rows if r["correlation_id"] == marker]

    async def every() -> list[dict[str, Any]]:
        found = await ours()
        return found if len(found) == 4 else []

    # Every consumer of the topic dead-letters it, each on its own.
    letters = await wait_until(every, timeout=90, interval=1, what="every consumer's dead letter")
    assert {r["consumer"] for r in letters} == {
        "cases.corrections",
        "disclosure.redress",
        "gateway.notify-redress",
        "reporting.counts",
    }
    letter = next(r for r in letters if r["consumer"] == "cases.corrections")
    await tracs_cli("dlq", "replay", f"{topics.REDRESS}.dlq:0:99999999", expect=2)  # no such message
    await tracs_cli("dlq", "drop", "tracs.nowhere.v1.dlq:0:0", "--reason", "x", expect=2)  # no such topic
    dropped = await tracs_cli("dlq", "drop", letter["id"], "--reason", "test data, never valid")
    assert f"{letter['id']}: dropped" in dropped
    assert "already dropped by ops.oncall" in await tracs_cli("dlq", "replay", letter["id"])
    theirs = ["disclosure.redress", "gateway.notify-redress", "reporting.counts"]
    assert sorted(r["consumer"] for r in await ours()) == theirs  # theirs stay
    states = {r["consumer"]: r["state"].split(" at ")[0] for r in await ours("--all")}
    assert states == {
        "cases.corrections": "dropped by ops.oncall",
        "disclosure.redress": "pending",
        "gateway.notify-redress": "pending",
        "reporting.counts": "pending",
    }
    trail = await db_fetchval(
        stack.database_url,
        _db(stack, "gateway"),
        "SELECT string_agg(action || ' ' || outcome, ',' ORDER BY seq) FROM audit_trail WHERE record_id = $1",
        letter["id"],
    )
    assert trail == "dlq:drop allowed,dlq:replay refused"


async def _pending_is(stack: Stack, value: float) -> bool:
    return await _scrape(stack, "cases", "tracs_dlq_pending", consumer="cases.chunks") == value


async def _is(count: Any, n: int) -> bool:
    return await count() == n


# --- Prometheus ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def prometheus_binary() -> str:
    return debian_tools("prometheus", why="the Prometheus end-to-end test")["prometheus"]


@pytest.fixture
def prometheus(prometheus_binary: str, stack: Stack, tmp_path: Path) -> Iterator[str]:
    """A Prometheus scraping every service of the stack each second with the repository's rule file as is
    (the dead-letter alert has no `for:`, so nothing needs shortening), evaluating rules every second."""
    port = free_port()
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(RULES)],
        "scrape_configs": [
            {
                "job_name": "tracs",
                "static_configs": [
                    {"targets": [stack.url(name).removeprefix("http://")], "labels": {"service": name, "pod": name}}
                    for name in (*SERVICES, "gateway")
                ],
            }
        ],
    }
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    log = (tmp_path / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        [
            prometheus_binary,
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(proc)


async def _api(base: str, path: str, **params: str) -> Any:
    async with httpx.AsyncClient(timeout=10) as client:
        try:
            response = await client.get(f"{base}{path}", params=params)
        except httpx.HTTPError:
            return None
    return response.json()["data"] if response.status_code == 200 else None


async def test_prometheus_scraping_the_stack_fires_the_dead_letter_alert(stack: Stack, prometheus: str) -> None:
    async def all_up() -> bool:
        result = await _api(prometheus, "/api/v1/query", query='up{job="tracs"}')
        return bool(result) and len(result["result"]) == 6 and all(r["value"][1] == "1" for r in result["result"])

    await wait_until(all_up, timeout=60, interval=0.5, what="Prometheus scraping all six services")
    # Every service exports the outbox age gauge (sampled from its database, whatever it consumes).
    sampled = await _api(
        prometheus, "/api/v1/query", query="count by (service) (tracs_outbox_oldest_unpublished_seconds)"
    )
    assert {r["metric"]["service"] for r in sampled["result"]} == {*SERVICES, "gateway"}
    rules = await _api(prometheus, "/api/v1/rules")
    loaded = [r for g in rules["groups"] for r in g["rules"]]
    expected = {r["alert"] for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]}
    assert {r["name"] for r in loaded} == expected

    topic = stack.topic_prefix + topics.CASES
    wanted = {"alertname": "TracsDeadLetters", "consumer": "disclosure.cases", "topic": topic}

    async def firing() -> list[dict[str, Any]]:
        alerts = (await _api(prometheus, "/api/v1/alerts"))["alerts"]
        return [a for a in alerts if wanted.items() <= a["labels"].items() and a["state"] == "firing"]

    assert await firing() == []
    await _publish(stack, topics.CASES, b"\xff poison for the alert " + uuid.uuid4().bytes, None, [])
    alerts = await wait_until(firing, timeout=90, interval=1, what="TracsDeadLetters firing in Prometheus")
    assert alerts[0]["labels"]["severity"] == "critical"
    assert alerts[0]["annotations"]["summary"] == f"disclosure.cases dead-lettered events from {topic}"
    # Every rule evaluated against the real series without error.
    rules = await _api(prometheus, "/api/v1/rules")
    assert {r["name"]: r["health"] for g in rules["groups"] for r in g["rules"]} == dict.fromkeys(expected, "ok")
    for name in (*SERVICES, "gateway"):
        assert "metrics sampling failed" not in (stack.var / "log" / f"{name}.log").read_text(errors="replace")
