"""Intake settings (`TRACS_INTAKE_*` beats `TRACS_*`)."""

from typing import ClassVar

from pydantic import Field

from services.intake.reader import Limits
from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: ClassVar[str] = "intake"
    default_port: ClassVar[int] = 8101

    max_upload_bytes: int = Field(50 * 1024 * 1024, ge=1024)
    max_rows: int = Field(200_000, ge=1)
    max_columns: int = Field(200, ge=1)
    max_decompressed_bytes: int = Field(1024 * 1024 * 1024, ge=1024)
    preview_rows: int = Field(20, ge=0, le=1000)
    # Header aliases per program: TRACS_INTAKE_PROGRAM_ALIASES='{"UK-VISA": {"GWF Ref": "partner_unique_id"}}'
    program_aliases: dict[str, dict[str, str]] = Field(default_factory=dict)

    def reader_limits(self) -> Limits:
        return Limits(
            max_rows=self.max_rows, max_columns=self.max_columns, max_decompressed_bytes=self.max_decompressed_bytes
        )
