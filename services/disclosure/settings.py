"""Disclosure settings (`TRACS_DISCLOSURE_*` beats `TRACS_*`)."""

from typing import ClassVar

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: ClassVar[str] = "disclosure"
    default_port: ClassVar[int] = 8103
