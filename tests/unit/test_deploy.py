"""docker-compose.yml cannot run here (no Docker engine): check it names real settings and wires every service."""

from __future__ import annotations

import importlib
from pathlib import Path

import yaml

from tracs.stack import DEFAULT_PORTS, SERVICES

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
SELF_ONLY = {"PORT"}  # the image's healthcheck port


def _settings(service: str) -> type:
    return importlib.import_module(f"services.{service}.settings").Settings


def _is_setting(var: str, service: str) -> bool:
    """A shared setting, or `TRACS_<SERVICE>_<FIELD>` of this or another service (the shared env anchor)."""
    if var in SELF_ONLY or not var.startswith("TRACS_"):
        return True
    name = var.removeprefix("TRACS_").lower()
    if name in _settings(service).model_fields:
        return True
    return any(
        name.startswith(f"{other}_") and name.removeprefix(f"{other}_") in _settings(other).model_fields
        for other in (*SERVICES, "gateway")
    )


def test_every_process_is_a_container_listening_on_its_port() -> None:
    for name in (*SERVICES, "gateway"):
        svc = COMPOSE[name]
        assert svc["command"] == ["python", "-m", f"services.{name}"]
        env = svc["environment"]
        assert env[f"TRACS_{name.upper()}_PORT"] == str(DEFAULT_PORTS[name]) == env["PORT"]
        assert env[f"TRACS_{name.upper()}_HOST"] == "0.0.0.0"
        assert "container_name" not in svc, "a fixed name would stop --scale"
        assert "ports" not in svc, "only the edge is published"
        assert set(svc["depends_on"]) == {"postgres", "kafka", "topics"}


def test_the_edge_is_the_one_published_address_and_routes_to_each_container() -> None:
    edge = COMPOSE["edge"]
    assert edge["command"] == ["python", "-m", "tracs.edge"]
    assert edge["ports"] == ["${TRACS_EDGE_PORT:-8000}:8000"]
    env = edge["environment"]
    assert env["TRACS_EDGE_HOST"] == "0.0.0.0" and env["TRACS_EDGE_PORT"] == str(DEFAULT_PORTS["edge"]) == env["PORT"]
    for name in ("gateway", *SERVICES):
        assert env[f"TRACS_EDGE_{name.upper()}_URL"] == f"http://{name}:{DEFAULT_PORTS[name]}"
    assert not any(k.startswith("TRACS_JWT") or k == "TRACS_DATABASE_URL" for k in env), "the edge holds no secret"


def test_every_tracs_variable_is_a_real_setting_of_that_service() -> None:
    for name in (*SERVICES, "gateway"):
        unknown = [v for v in COMPOSE[name]["environment"] if not _is_setting(v, name)]
        assert unknown == [], f"{name}: {unknown}"


def test_the_gateway_finds_each_service_by_its_container_name() -> None:
    env = COMPOSE["gateway"]["environment"]
    for name in SERVICES:
        assert env[f"TRACS_GATEWAY_{name.upper()}_URL"] == f"http://{name}:{DEFAULT_PORTS[name]}"


def test_production_settings_and_topic_creation() -> None:
    env = COMPOSE["intake"]["environment"]
    assert env["TRACS_ENVIRONMENT"] == "production" and env["TRACS_KAFKA_ENABLE_IDEMPOTENCE"] == "true"
    assert COMPOSE["topics"]["command"] == ["tracs", "topics", "create"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    for folder in ("shared", "services", "tracs"):
        assert f"COPY {folder} ./{folder}" in dockerfile


def test_notification_mail_links_to_the_console_at_the_edges_published_address() -> None:
    """The gateway's default (http://127.0.0.1:8000) is `tracs up`'s; a container must be told its public one."""
    env = COMPOSE["gateway"]["environment"]
    assert env["TRACS_GATEWAY_CONSOLE_URL"] == "${TRACS_GATEWAY_CONSOLE_URL:-http://localhost:${TRACS_EDGE_PORT:-8000}}"
    assert "${TRACS_EDGE_PORT:-8000}:8000" in COMPOSE["edge"]["ports"]
