"""Intake settings (`TRACS_INTAKE_*` beats `TRACS_*`)."""

from typing import ClassVar

from pydantic import Field

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: ClassVar[str] = "intake"
    default_port: ClassVar[int] = 8101

    max_upload_bytes: int = Field(50 * 1024 * 1024, ge=1024)
    max_rows: int = Field(200_000, ge=1)
    max_columns: int = Field(200, ge=1)
    preview_rows: int = Field(20, ge=0, le=1000)
