"""Runs the whole system as separate processes: used by `tracs up` and by the end-to-end tests."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tracs.infra import stop_process, wait_for_port

SERVICES = ("intake", "cases", "disclosure", "redress", "reporting")
# The edge (Caddy, tracs/edge.py) is the one public address; the gateway and the services sit behind it.
DEFAULT_PORTS = {
    "edge": 8000,
    "gateway": 8100,
    "intake": 8101,
    "cases": 8102,
    "disclosure": 8103,
    "redress": 8104,
    "reporting": 8105,
    "witness": 8190,
}
WITNESS = "witness"  # not a service: tracs/witness.py, with its own key and files (no database)


# Services that call another's internal API (shared/internal.py), and which.
INTERNAL_CALLS = {"disclosure": ("cases",), "redress": ("cases",)}


def development_env(var: Path, smtp_port: int) -> dict[str, str]:
    """What `tracs up` creates and every service must be told of: the mail sink, the development PKI
    (the office signs with it; seeded recipients get its partner certificates) and the audit-signing key
    with the checkpoint archive. The tests use it too."""
    from shared.audit_sequencer import generate_key_file
    from tracs.witness import witness_signer

    key = generate_key_file(var / "audit" / "signing-key.pem")
    witness = witness_signer("tracs-witness", var / "witness" / "key.pem")
    return {
        "TRACS_SMTP_PORT": str(smtp_port),
        "TRACS_DISCLOSURE_PKI_DIR": str(var / "pki"),
        "TRACS_AUDIT_SIGNING_KEY": str(key),
        "TRACS_AUDIT_CHECKPOINT_FILE": str(var / "audit" / "checkpoints.jsonl"),
        # `tracs audit verify` requires this witness's cosignature.
        "TRACS_AUDIT_WITNESS_KEYS": json.dumps([witness.verifier.vkey()]),
    }


def witness_command(var: Path, port: int, signing_key: str) -> list[str]:
    """The witness process: its own key and state under var/witness, accepting every TRACS log's key."""
    from shared.audit_sequencer import default_origin, load_signing_key
    from shared.signed_note import Verifier

    key = load_signing_key(signing_key)
    logs = [Verifier(default_origin(n), key.public_key()).vkey() for n in (*SERVICES, "gateway")] if key else []
    return [
        sys.executable,
        "-m",
        "tracs.witness",
        "--dir",
        str(var / "witness" / "state"),
        "--key",
        str(var / "witness" / "key.pem"),
        "--port",
        str(port),
        *(arg for vkey in logs for arg in ("--log", vkey)),
    ]


@dataclass
class Stack:
    """Service processes sharing one PostgreSQL server and one broker."""

    var: Path
    database_url: str
    kafka_bootstrap: str
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    topic_prefix: str = ""
    database_suffix: str = ""
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    # Extra instances of a service (same consumer groups, own port): instance name -> service.
    instances: dict[str, str] = field(default_factory=dict)

    def add_instance(self, service: str, instance: str, port: int) -> None:
        """Another process of `service`, started and stopped as `instance` (scaling out, failover)."""
        self.instances[instance] = service
        self.ports[instance] = port

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def env(self, name: str, overrides: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRACS_") or k == "TRACS_DEV_PASSWORD"}
        env.update(
            {
                "TRACS_DATABASE_URL": self.database_url,
                "TRACS_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
                "TRACS_TOPIC_PREFIX": self.topic_prefix,
                "TRACS_DATABASE_SUFFIX": self.database_suffix,
                f"TRACS_{self.instances.get(name, name).upper()}_PORT": str(self.ports[name]),
                "PYTHONUNBUFFERED": "1",
            }
        )
        if WITNESS in self.ports:
            env["TRACS_AUDIT_WITNESS_URL"] = self.url(WITNESS)
        if name == "gateway":
            for svc in SERVICES:
                env[f"TRACS_GATEWAY_{svc.upper()}_URL"] = self.url(svc)
            if "edge" in self.ports:  # the console people open: notification mails link to it, whatever its port
                env["TRACS_GATEWAY_CONSOLE_URL"] = self.url("edge")
        if name == "edge":
            env["TRACS_EDGE_HOME"] = str(self.var / "edge")
            for target in ("gateway", *SERVICES):
                replicas = [target, *(i for i, svc in self.instances.items() if svc == target)]
                env[f"TRACS_EDGE_{target.upper()}_URL"] = ",".join(self.url(r) for r in replicas)
        service = self.instances.get(name, name)
        for caller, targets in INTERNAL_CALLS.items():
            if service == caller:
                for target in targets:
                    env[f"TRACS_{caller.upper()}_{target.upper()}_URL"] = self.url(target)
        env.update(self.extra_env)
        env.update(overrides or {})
        return env

    def start(self, name: str, overrides: dict[str, str] | None = None) -> subprocess.Popen:
        (self.var / "log").mkdir(parents=True, exist_ok=True)
        (self.var / "run").mkdir(parents=True, exist_ok=True)
        log = (self.var / "log" / f"{name}.log").open("ab")
        env = self.env(name, overrides)
        module = "tracs.edge" if name == "edge" else f"services.{self.instances.get(name, name)}"
        command = (
            witness_command(self.var, self.ports[name], env.get("TRACS_AUDIT_SIGNING_KEY", ""))
            if name == WITNESS
            else [sys.executable, "-m", module]
        )
        proc = subprocess.Popen(
            command,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = proc
        (self.var / "run" / f"{name}.pid").write_text(str(proc.pid))
        return proc

    def wait_ready(self, name: str, timeout: float = 90.0) -> None:
        proc = self.processes[name]
        wait_for_port(self.ports[name], timeout, proc)
        ready = "/healthz" if name == WITNESS else "/readyz"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}; see {self.var}/log/{name}.log")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url(name)}{ready}", timeout=5).status_code == 200:
                    return
            time.sleep(0.2)
        raise TimeoutError(f"{name} not ready after {timeout}s; see {self.var}/log/{name}.log")

    def start_all(self, timeout: float = 120.0) -> None:
        names = ([WITNESS] if WITNESS in self.ports else []) + [*SERVICES, "gateway", "edge"]
        for name in names:
            self.start(name)
        for name in names:
            self.wait_ready(name, timeout)  # the edge's /readyz is the gateway's, through it

    def kill(self, name: str) -> None:
        """kill -9: no shutdown hooks run, as in a crash."""
        proc = self.processes.pop(name)
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    def stop(self, name: str) -> None:
        stop_process(self.processes.pop(name, None))
        with contextlib.suppress(FileNotFoundError):
            (self.var / "run" / f"{name}.pid").unlink()

    def stop_all(self) -> None:
        """Ask every process to stop at once, then wait for each: they shut down side by side."""
        names = ("edge", "gateway", *self.instances, *reversed(SERVICES), WITNESS)
        for name in names:
            proc = self.processes.get(name)
            if proc is not None and proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
        for name in names:
            self.stop(name)
