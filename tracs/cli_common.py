"""What every `tracs` command group shares: the processes there are, and each one's settings."""

from __future__ import annotations

import importlib
from typing import Any

import typer

from tracs.stack import SERVICES

ALL_PROCESSES = (*SERVICES, "gateway")


def settings_of(service: str) -> Any:
    """A process's own settings, as it would read them from this environment."""
    return importlib.import_module(f"services.{service}.settings").Settings()


def check_service(service: str) -> str:
    if service not in ALL_PROCESSES:
        raise typer.BadParameter(f"unknown service {service!r}; one of {', '.join(ALL_PROCESSES)}")
    return service
