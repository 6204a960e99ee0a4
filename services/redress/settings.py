"""Redress settings (`TRACS_REDRESS_*` beats `TRACS_*`)."""

from typing import ClassVar

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: ClassVar[str] = "redress"
    default_port: ClassVar[int] = 8104
