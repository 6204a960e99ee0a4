"""Reporting settings (`TRACS_REPORTING_*` beats `TRACS_*`)."""

from typing import ClassVar

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: ClassVar[str] = "reporting"
    default_port: ClassVar[int] = 8105
