"""`tracs up` and the test stacks tell the gateway where the console is, so a notification mail's link opens it."""

from __future__ import annotations

from pathlib import Path

from tracs.stack import DEFAULT_PORTS, Stack


def test_the_gateway_is_told_the_edges_address_as_the_console_url(tmp_path: Path) -> None:
    ports = {name: port + 40 for name, port in DEFAULT_PORTS.items()}  # as with a port offset
    stack = Stack(var=tmp_path, database_url="postgresql+asyncpg://x/y", kafka_bootstrap="k:9092", ports=ports)
    assert stack.env("gateway")["TRACS_GATEWAY_CONSOLE_URL"] == f"http://127.0.0.1:{ports['edge']}"
    assert "TRACS_GATEWAY_CONSOLE_URL" not in stack.env("cases")
    custom = {"TRACS_GATEWAY_CONSOLE_URL": "https://tracs.example.org"}
    assert Stack(tmp_path, "db", "k", ports=ports, extra_env=custom).env("gateway")["TRACS_GATEWAY_CONSOLE_URL"] == (
        "https://tracs.example.org"
    )
