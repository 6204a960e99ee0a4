"""Cases settings (`TRACS_CASES_*` beats `TRACS_*`)."""

from typing import ClassVar

from pydantic import Field

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: ClassVar[str] = "cases"
    default_port: ClassVar[int] = 8102

    page_size_max: int = Field(500, ge=1)
